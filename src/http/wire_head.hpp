#pragma once
// For the two translation units that already compile Beast (the server and the upstream client):
// a message head as one string, written as Beast's serializer would write it. The serializer
// walks a head as a chain of buffers, one per field, and under load that walk was about 8% of
// the gateway's CPU per proxied request (perf, bench workload 1); one string is one buffer.
#include <boost/beast/http/message.hpp>

#include <string>

namespace switchyard::http {

template <bool isRequest, class Fields> std::string wire_head(const boost::beast::http::header<isRequest, Fields>& h) {
    std::string out;
    out.reserve(256);
    const char* version = h.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    if constexpr (isRequest) {
        out.append(h.method_string()).append(" ").append(h.target()).append(" ").append(version);
    } else {
        const unsigned code = h.result_int();
        const char digits[] = {char('0' + code / 100 % 10), char('0' + code / 10 % 10), char('0' + code % 10)};
        out.append(version).append(" ").append(digits, 3).append(" ").append(h.reason());
    }
    out.append("\r\n");
    for (const auto& f : h)
        out.append(f.name_string()).append(": ").append(f.value()).append("\r\n");
    out.append("\r\n");
    return out;
}

} // namespace switchyard::http
