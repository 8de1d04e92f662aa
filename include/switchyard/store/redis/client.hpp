#pragma once
// A Redis client for the gateway's own I/O threads: RESP written and read with hiredis's command
// formatter and reply reader, over an Asio socket of ours, so that no call ever blocks a thread.
// Commands sent together go out in one write and are answered in order (pipelining). Every
// connect, write and read has a deadline; whatever fails closes the connection, and the next
// call connects again once a backoff has passed, so a Redis that is down costs callers a fast
// failure, not a wait.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::store::redis {

namespace net = boost::asio;
using std::chrono::milliseconds;

/// Where Redis is and who we are to it: REDIS_URL, parsed.
struct endpoint {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string user;     // an ACL user; empty: AUTH with the password alone
    std::string password; // empty: no AUTH
    int db = 0;           // SELECT after connecting when not 0
    bool tls = false;     // rediss://: TLS, the server's certificate checked against the system's
                          // CAs (or SSL_CERT_FILE's) and its name
};

/// `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS. Throws
/// std::invalid_argument saying what is wrong, never quoting the password.
endpoint parse_url(std::string_view url);

/// One RESP reply. An error reply is a reply (the command ran and Redis said no), not a failure.
struct reply {
    enum class kind { string, status, error, integer, nil, array };
    kind type = kind::nil;
    std::string text; // of a string, a status or an error
    long long integer = 0;
    std::vector<reply> elements; // of an array

    bool is_error() const noexcept { return type == kind::error; }
};

/// Why commands got no replies: Redis could not be reached, refused our credentials, did not
/// answer in time, or sent what we cannot read; or the caller was cancelled (which says nothing
/// about Redis). The message is for logs.
struct failure : std::runtime_error {
    enum class kind { connect, auth, timeout, protocol, backoff, cancelled };
    failure(kind k, const std::string& what) : std::runtime_error(what), why(k) {}
    kind why;
};

using command = std::vector<std::string>;

/// A name as it appears in a key or a sorted set: ':' and '%' escaped, so that no id a client
/// sends can name another key ("conv_1:order").
std::string key_part(std::string_view name);

/// Whether an error reply says Redis is not ready (loading, a replica after failover, out of
/// memory, a script running too long): unavailable for now, not broken.
bool is_temporary(std::string_view error) noexcept;

struct client_settings {
    milliseconds connect_timeout{2'000};            // resolve, connect, AUTH and SELECT
    milliseconds command_timeout{2'000};            // from the write of a batch to its last reply
    std::size_t max_reply_bytes = 64 * 1024 * 1024; // all replies of one batch together
    milliseconds first_backoff{100};                // after a failed connect; doubles up to max_backoff
    milliseconds max_backoff{5'000};
};

/// Connections to one Redis for one executor (a worker thread): each call takes an idle
/// connection or opens one, and gives it back when its replies are in. Not thread-safe; every
/// call must come from the executor it was made with.
class client {
public:
    client(net::any_io_executor executor, endpoint where, client_settings settings = {}, std::size_t max_idle = 4);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// Sends `commands` at once and returns their replies, in order. Throws failure. The
    /// commands must stay alive until it returns (name them; never a temporary in co_await).
    net::awaitable<std::vector<reply>> run(const std::vector<command>& commands);
    /// One command.
    net::awaitable<reply> run(const command& c);

    /// Connections opened so far (for tests and metrics).
    std::size_t connects() const noexcept;

    struct state; // shared with the calls in flight, so that none outlives what it uses

private:
    std::shared_ptr<state> state_;
};

} // namespace switchyard::store::redis
