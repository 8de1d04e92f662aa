#pragma once
// Beast-free view of one HTTP exchange, so the API layer and its tests never include Beast.
// The server fills `http_request` and implements `response_stream` over its socket.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
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
    bool from_loopback = false; // the peer's address is a loopback one

    /// Value of a header (name in lowercase), empty when absent.
    std::string_view header(std::string_view lowercase_name) const noexcept;
    /// The path without the query string.
    std::string_view path() const noexcept;
    /// The value of query parameter `name`, percent-decoded (`+` is a space), nullopt when absent.
    std::optional<std::string> query_param(std::string_view name) const;
};

/// What an exchange turned out to be, for the access log and the metrics: the router and the
/// handlers fill it in as they learn it, the server reads it when the exchange ends. Label
/// values come from bounded sets (route patterns, configured model ids, provider names).
struct exchange_facts {
    using time_point = std::chrono::steady_clock::time_point;
    std::string_view route = "other"; // the route's pattern, e.g. "/v1/chat/completions"
    std::string_view key_name;        // which client key ("" when auth is off or it matched none)
    std::string model;                // a configured model id or alias, once the request was routed to it
    std::string_view provider;
    std::string credential;            // the upstream credential used, masked (last four characters)
    std::string_view upstream_failure; // why the upstream failed, when it did
    // Routes that failed before another one was tried (failover): provider and reason each.
    std::vector<std::pair<std::string_view, std::string_view>> route_failures;
    long prompt_tokens = -1; // -1: not counted
    long completion_tokens = -1;
    bool tokens_estimated = false;
    bool streamed = false;
    std::size_t body_bytes = 0; // of the answer, as written to the client
    // The configuration the names above point into (key names, provider names): kept until the
    // facts are read, after the exchange, even when a reload has replaced it meanwhile.
    std::shared_ptr<const void> names_owner;
    time_point first_byte{};  // the head was written (epoch: never)
    time_point first_token{}; // the first text, reasoning or call reached the client's stream (epoch: none)
};

struct http_response {
    int status = 200;
    std::string content_type = "application/json";
    header_list headers;
    std::string body;
};

/// Why an exchange was ended from outside the handler.
enum class stop_reason {
    none,
    client_gone, // the client closed, or stopped reading until a write timed out
    shutdown,    // the shutdown grace period is over
};

/// Where a handler writes its answer: either one `send`, or `begin_stream`, `write`s and
/// `end_stream`. Every call throws boost::system::system_error when the client is gone.
/// Arguments are taken by reference: GCC 12 mishandles owning by-value coroutine parameters
/// and temporaries inside a co_await, so callers pass named objects.
/// The server adds x-request-id and CORS headers to whatever is sent.
///
/// Ending an exchange from outside is signalled, not inferred: `stop(reason)` records the
/// reason and cancels (terminal) whatever the handler's coroutine is waiting on, never a
/// write half done. A handler that catches the resulting operation_aborted asks `stopped()`.
class response_stream {
public:
    virtual ~response_stream() = default;
    virtual net::awaitable<void> send(const http_response& response) = 0;
    /// Sends the head of a chunked `text/event-stream` 200 response.
    virtual net::awaitable<void> begin_stream(const header_list& extra_headers) = 0;
    /// Writes bytes and flushes them to the client at once.
    virtual net::awaitable<void> write(std::string_view bytes) = 0;
    virtual net::awaitable<void> end_stream() = 0;
    /// Records why the exchange must end and cancels the handler's current wait. The first
    /// reason wins; later calls do nothing.
    virtual void stop(stop_reason why) = 0;
    virtual stop_reason stopped() const noexcept = 0;
    /// This exchange's facts, filled in by whoever learns one.
    virtual exchange_facts& facts() noexcept = 0;
};

} // namespace switchyard::http
