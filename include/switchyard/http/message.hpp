#pragma once
// Beast-free view of one HTTP exchange, so the API layer and its tests never include Beast.
// The server fills `http_request` and implements `response_stream` over its socket.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::http {

namespace net = boost::asio;

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
    std::string method;
    std::string target;  // path and query as sent
    header_list headers; // names lowercased
    std::string body;
    std::string request_id;

    /// Value of a header (name in lowercase), empty when absent.
    std::string_view header(std::string_view lowercase_name) const noexcept;
    /// The path without the query string.
    std::string_view path() const noexcept;
};

struct http_response {
    int status = 200;
    std::string content_type = "application/json";
    header_list headers;
    std::string body;
};

/// Where a handler writes its answer: either one `send`, or `begin_stream`, `write`s and
/// `end_stream`. Every call throws boost::system::system_error when the client is gone.
/// Arguments are taken by reference: GCC 12 mishandles owning by-value coroutine parameters
/// and temporaries inside a co_await, so callers pass named objects.
/// The server adds x-request-id and CORS headers to whatever is sent.
class response_stream {
public:
    virtual ~response_stream() = default;
    virtual net::awaitable<void> send(const http_response& response) = 0;
    /// Sends the head of a chunked `text/event-stream` 200 response.
    virtual net::awaitable<void> begin_stream(const header_list& extra_headers) = 0;
    /// Writes bytes and flushes them to the client at once.
    virtual net::awaitable<void> write(std::string_view bytes) = 0;
    virtual net::awaitable<void> end_stream() = 0;
    /// True once shutdown has begun and in-flight streams should wind down.
    virtual bool draining() const noexcept = 0;
};

} // namespace switchyard::http
