#pragma once
// HTTP/1.1 client for upstream calls: Beast over OpenSSL for https:// and plain TCP for http://,
// keep-alive pooling per host, an outbound proxy (CONNECT for https), and response bodies
// handed on as they arrive. One client per worker thread; not thread-safe. Cancelling the
// awaiting coroutine aborts the exchange at once and drops the connection.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchyard/config/settings.hpp"

namespace switchyard::upstream {

namespace net = boost::asio;

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
    std::string method = "POST";
    std::string url; // absolute http:// or https:// URL
    header_list headers;
    std::string body;
};

enum class failure_kind { connect, tls, timeout, protocol, cancelled };

/// Thrown when an exchange cannot be completed. The message is for logs, never for clients.
struct failure : std::runtime_error {
    failure(failure_kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
    failure_kind kind;
};

struct connection;
class http_client;

/// A response whose head has arrived; the body is read on demand. Movable, not copyable.
class response {
public:
    response(response&&) noexcept;
    response& operator=(response&&) noexcept;
    ~response();

    int status() const noexcept { return status_; }
    /// Case-insensitive header lookup; empty when absent.
    std::string_view header(std::string_view name) const noexcept;

    /// The next bytes of the body as they arrive; nullopt once the body is complete.
    net::awaitable<std::optional<std::string>> read_some();
    /// The whole remaining body, failing with `protocol` beyond `limit` bytes.
    net::awaitable<std::string> read_all(std::size_t limit);

private:
    friend class http_client;
    response() = default;

    int status_ = 0;
    header_list headers_;
    std::unique_ptr<connection> conn_;
    http_client* owner_ = nullptr;
};

class http_client {
public:
    http_client(net::any_io_executor executor, config::upstream_settings settings);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    /// Sends `req` and returns once the response head has arrived (bounded by request_timeout).
    net::awaitable<response> send(request&& req);

private:
    friend class response;
    struct impl;
    void release(std::unique_ptr<connection> conn);
    std::unique_ptr<impl> impl_;
};

} // namespace switchyard::upstream
