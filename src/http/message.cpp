#include "switchyard/http/message.hpp"

namespace switchyard::http {

std::string_view http_request::header(std::string_view lowercase_name) const noexcept {
    for (const auto& [name, value] : headers)
        if (name == lowercase_name) return value;
    return {};
}

std::string_view http_request::path() const noexcept {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

namespace {

/// A query value as sent: %XX is the byte it names, + a space (HTML forms); a % that names no
/// byte stays as it is.
std::string decoded(std::string_view v) {
    const auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '+') {
            out.push_back(' ');
        } else if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2])));
            i += 2;
        } else {
            out.push_back(v[i]);
        }
    }
    return out;
}

} // namespace

std::optional<std::string> http_request::query_param(std::string_view name) const {
    const auto q = target.find('?');
    if (q == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) return decoded(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

} // namespace switchyard::http
