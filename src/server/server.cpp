#include "switchyard/server/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <optional>
#include <list>
#include <thread>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "../http/wire_head.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/upstream/http_client.hpp"
#include "switchyard/ops/metrics.hpp"
#include "switchyard/ops/recent_errors.hpp"
#include "switchyard/ops/usage.hpp"
#include "switchyard/util/ids.hpp"
#include "switchyard/util/log_output.hpp"

namespace switchyard::server {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

const api::api_error overloaded{api::error_kind::server_overloaded, "Too many open connections; retry shortly.", std::nullopt, 1};
const api::api_error headers_too_large{api::error_kind::headers_too_large, "Request headers are too large.", std::nullopt,
                                       std::nullopt};

/// What the server knows of one connection. The cancellation signal is bound to the session's
/// coroutine; `stop` is the one way to fire it while a request is being handled.
struct session_state {
    net::cancellation_signal cancel;
    bool busy = false;
    http::stop_reason reason = http::stop_reason::none;
    int writing = 0;             // a response write is under way: cancelling it would cut a frame
    bool cancel_pending = false; // stop() arrived during a write; fired when the write ends

    void stop(http::stop_reason why) {
        if (reason != http::stop_reason::none) return;
        reason = why;
        if (writing > 0)
            cancel_pending = true;
        else
            cancel.emit(net::cancellation_type::terminal);
    }
    void write_done() {
        if (--writing == 0 && cancel_pending) {
            cancel_pending = false;
            cancel.emit(net::cancellation_type::terminal);
        }
    }
};

/// response_stream over a Beast TCP stream. Every write has a deadline, so a client that stops
/// reading cannot hold a stream open forever.
class beast_response final : public http::response_stream {
public:
    struct request_facts {
        std::string request_id;
        bool keep_alive = false;
        bool head = false;                       // a HEAD request: the head only, never a body
        std::optional<std::string> allow_origin; // Access-Control-Allow-Origin, if any
    };

    beast_response(beast::tcp_stream& stream, request_facts facts, const config::server_limits& limits, session_state& state,
                   ops::metrics* metrics = nullptr)
        : stream_(stream), facts_(std::move(facts)), limits_(limits), state_(state), metrics_(metrics) {}
    ~beast_response() override {
        if (exchange_.streamed && metrics_) metrics_->stream_closed();
    }
    beast_response(const beast_response&) = delete;
    beast_response& operator=(const beast_response&) = delete;

    net::awaitable<void> send(const http::http_response& r) override {
        exchange_.first_byte = std::chrono::steady_clock::now();
        bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(r.status), 11};
        if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
        for (auto& [k, v] : r.headers)
            res.set(k, v);
        add_common_headers(res);
        res.keep_alive(facts_.keep_alive);
        // 1xx, 204 and 304 have no body and must not state a length (RFC 9110 8.6); Beast's
        // prepare_payload would say "Content-Length: 0".
        const bool bodiless = r.status / 100 == 1 || r.status == 204 || r.status == 304;
        if (!bodiless) res.content_length(r.body.size());
        const std::string head = http::wire_head(res);
        status_ = r.status;
        const write_scope scope(state_);
        stream_.expires_after(limits_.write_timeout);
        const bool with_body = !facts_.head && !bodiless;
        exchange_.body_bytes += with_body ? r.body.size() : 0;
        const std::array<net::const_buffer, 2> wire{net::buffer(head), net::buffer(r.body.data(), with_body ? r.body.size() : 0)};
        co_await net::async_write(stream_, wire, net::use_awaitable);
    }

    net::awaitable<void> begin_stream(const http::header_list& extra) override {
        bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
        res.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
        res.set(bhttp::field::cache_control, "no-cache");
        res.set("x-accel-buffering", "no");
        for (auto& [k, v] : extra)
            res.set(k, v);
        add_common_headers(res);
        res.keep_alive(facts_.keep_alive);
        res.chunked(true);
        status_ = 200;
        exchange_.first_byte = std::chrono::steady_clock::now();
        exchange_.streamed = true;
        if (metrics_) metrics_->stream_opened();
        const std::string head = http::wire_head(res);
        const write_scope scope(state_);
        stream_.expires_after(limits_.write_timeout);
        co_await net::async_write(stream_, net::buffer(head), net::use_awaitable);
    }

    // Chunk framing is written by hand: three plain buffers make a write operation a fraction
    // of the size of Beast's chunk_body, and every open stream has one in flight per chunk.
    net::awaitable<void> write(std::string_view bytes) override {
        if (bytes.empty()) co_return; // an empty chunk would end the body
        exchange_.body_bytes += bytes.size();
        const auto size_line = chunk_size_line(bytes.size());
        const std::array<net::const_buffer, 3> chunk{net::buffer(size_line.text, size_line.length),
                                                     net::buffer(bytes.data(), bytes.size()), net::buffer(crlf, 2)};
        const write_scope scope(state_);
        stream_.expires_after(limits_.write_timeout);
        co_await net::async_write(stream_, chunk, net::use_awaitable);
    }

    net::awaitable<void> end_stream() override {
        const write_scope scope(state_);
        stream_.expires_after(limits_.write_timeout);
        co_await net::async_write(stream_, net::buffer(last_chunk, sizeof last_chunk - 1), net::use_awaitable);
    }

    void stop(http::stop_reason why) override { state_.stop(why); }
    http::stop_reason stopped() const noexcept override { return state_.reason; }
    http::exchange_facts& facts() noexcept override { return exchange_; }

    int status() const noexcept { return status_; }
    bool keep_alive() const noexcept { return facts_.keep_alive; }

private:
    static constexpr char crlf[] = "\r\n";
    static constexpr char last_chunk[] = "0\r\n\r\n";

    struct size_line {
        char text[sizeof(std::size_t) * 2 + 2];
        std::size_t length;
    };
    static size_line chunk_size_line(std::size_t n) {
        size_line line{};
        auto [end, ec] = std::to_chars(line.text, line.text + sizeof line.text - 2, n, 16);
        *end++ = '\r';
        *end++ = '\n';
        line.length = static_cast<std::size_t>(end - line.text);
        return line;
    }

    struct write_scope {
        session_state& s;
        explicit write_scope(session_state& st) : s(st) { ++s.writing; }
        ~write_scope() { s.write_done(); }
    };

    void add_common_headers(bhttp::fields& f) const {
        f.set("x-request-id", facts_.request_id);
        if (facts_.allow_origin) {
            f.set(bhttp::field::access_control_allow_origin, *facts_.allow_origin);
            if (*facts_.allow_origin != "*") f.set(bhttp::field::vary, "Origin");
            f.set(bhttp::field::access_control_expose_headers, "x-request-id, retry-after, retry-after-ms, x-should-retry");
        }
    }

    beast::tcp_stream& stream_;
    request_facts facts_;
    const config::server_limits& limits_;
    session_state& state_;
    int status_ = 0;
    ops::metrics* metrics_;
    http::exchange_facts exchange_;
};

/// One exchange's access record, as the fields of a JSON object.
std::string access_record(const http::http_request& req, int status, const http::exchange_facts& f,
                          std::chrono::steady_clock::time_point started, std::chrono::steady_clock::time_point ended,
                          bool client_gone) {
    using ms = std::chrono::duration<double, std::milli>;
    nlohmann::json r = {{"type", "access"},
                        {"request_id", req.request_id},
                        {"method", req.method},
                        {"path", req.path()},
                        {"route", f.route},
                        {"status", status},
                        {"duration_ms", ms(ended - started).count()}};
    if (f.first_byte != http::exchange_facts::time_point{}) r["ttfb_ms"] = ms(f.first_byte - started).count();
    if (f.first_token != http::exchange_facts::time_point{}) r["ttft_ms"] = ms(f.first_token - started).count();
    if (!f.key_name.empty()) r["key"] = f.key_name;
    if (!f.model.empty()) r["model"] = f.model;
    if (!f.provider.empty()) r["provider"] = f.provider;
    if (!f.credential.empty()) r["credential"] = f.credential;
    if (!f.upstream_failure.empty()) r["upstream_failure"] = f.upstream_failure;
    for (const auto& [provider, reason] : f.route_failures)
        r["failed_routes"].push_back({{"provider", provider}, {"reason", reason}});
    if (f.prompt_tokens >= 0) {
        r["prompt_tokens"] = f.prompt_tokens;
        r["completion_tokens"] = f.completion_tokens;
        r["tokens_estimated"] = f.tokens_estimated;
    }
    if (f.streamed) r["streamed"] = true;
    if (client_gone) r["client_gone"] = true;
    std::string out = r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return out.substr(1, out.size() - 2); // the fields, without the braces
}

/// Watches the client side while a request is handled: a close stops the exchange at once, so
/// the upstream call ends with it. Bytes the client sends meanwhile (a pipelined request, or one
/// stray byte before it hangs up) are moved into the session's buffer, up to `limit`, and the
/// watch goes on. A plain completion handler rather than a coroutine: one reactor registration
/// per request, no frames, no exceptions.
class peer_close_watch {
public:
    peer_close_watch(tcp::socket& socket, beast::flat_buffer& pipelined, std::size_t limit, session_state& state)
        : socket_(socket), live_(std::make_shared<bool>(true)) {
        arm(socket, pipelined, limit, state, live_);
    }
    ~peer_close_watch() {
        *live_ = false;
        error_code ignored;
        socket_.cancel(ignored);
    }
    peer_close_watch(const peer_close_watch&) = delete;
    peer_close_watch& operator=(const peer_close_watch&) = delete;

private:
    static void arm(tcp::socket& socket, beast::flat_buffer& pipelined, std::size_t limit, session_state& state,
                    const std::shared_ptr<bool>& live) {
        socket.async_wait(tcp::socket::wait_read, [&socket, &pipelined, limit, &state, live](error_code ec) {
            if (ec || !*live) return;              // the exchange is over; socket, buffer and state may be gone
            if (pipelined.size() >= limit) return; // enough queued; a close now shows up as a failed write
            error_code rec;
            socket.non_blocking(true);
            const std::size_t n =
                socket.receive(pipelined.prepare(std::min<std::size_t>(limit - pipelined.size(), 4096)), 0, rec);
            pipelined.commit(n);
            if (rec == net::error::would_block || (!rec && n > 0))
                arm(socket, pipelined, limit, state, live);
            else
                state.stop(http::stop_reason::client_gone);
        });
    }

    tcp::socket& socket_;
    std::shared_ptr<bool> live_;
};

/// After an error answered before the request was read (413, 431), the client may still be
/// sending. Closing now would make the kernel reset the connection and destroy the answer in
/// flight, so the rest is read and dropped, for a bounded time, before the close.
net::awaitable<void> linger_close(beast::tcp_stream& stream) {
    using namespace std::chrono_literals;
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 16 * 1024> sink;
    const auto give_up = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < give_up) {
        stream.expires_after(1s);
        auto [rec, n] = co_await stream.async_read_some(net::buffer(sink), use_tuple);
        if (rec) break;
    }
    stream.close();
}

} // namespace

struct worker {
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    upstream::http_client http;
    std::list<session_state> sessions;
    net::steady_timer drain_deadline{ioc};

    explicit worker(const config::upstream_settings& up) : http(ioc.get_executor(), up) {}
};

struct server::impl {
    const config::settings& settings;
    const http::router& router;
    std::vector<std::unique_ptr<worker>> workers;
    std::atomic<bool> draining{false};
    std::atomic<std::size_t> open_connections{0};
    std::uint16_t bound_port = 0;
    std::optional<net::signal_set> signals; // on worker 0
    std::function<void()> on_hangup;
    std::function<void(int)> on_signal;

    /// SIGHUP is answered and waited for again; any other signal ends the waiting.
    void wait_for_signal() {
        signals->async_wait([this](error_code ec, int number) {
            if (ec) return;
            on_signal(number);
            if (number == SIGHUP) wait_for_signal();
        });
    }

    impl(const config::settings& s, const http::router& r) : settings(s), router(r) {
        unsigned n = s.threads ? s.threads : std::max(1u, std::thread::hardware_concurrency());
        for (unsigned i = 0; i < n; ++i)
            workers.push_back(std::make_unique<worker>(s.upstream));
    }

    /// One listening socket, without SO_REUSEPORT, so a second gateway on the same port fails to
    /// start instead of silently taking half the traffic. Every worker accepts on its own
    /// duplicate of that socket.
    void listen_on(const tcp::endpoint& ep) {
        auto& first = workers.front()->acceptor;
        first.open(ep.protocol());
        first.set_option(net::socket_base::reuse_address(true));
        first.bind(ep);
        first.listen(net::socket_base::max_listen_connections);
        for (std::size_t i = 1; i < workers.size(); ++i) {
            const int fd = ::dup(first.native_handle());
            if (fd < 0) throw boost::system::system_error(error_code(errno, boost::system::system_category()));
            workers[i]->acceptor.assign(ep.protocol(), fd);
        }
    }

    net::awaitable<void> accept_loop(worker& w) {
        using namespace std::chrono_literals;
        // Out of file descriptors (or memory), accept fails at once, every time: back off, and
        // say so at most once a second.
        auto backoff = 10ms;
        std::size_t unreported = 0;
        auto last_report = std::chrono::steady_clock::time_point{};
        net::steady_timer pause(w.ioc);
        for (;;) {
            auto [ec, socket] = co_await w.acceptor.async_accept(use_tuple);
            if (ec) {
                if (ec == net::error::operation_aborted || !w.acceptor.is_open()) co_return;
                ++unreported;
                if (const auto now = std::chrono::steady_clock::now(); now - last_report >= 1s) {
                    spdlog::warn("accept failed: {} ({} time(s) since the last report); retrying in {} ms", ec.message(),
                                 unreported, backoff.count());
                    unreported = 0;
                    last_report = now;
                }
                pause.expires_after(backoff);
                auto [pec] = co_await pause.async_wait(use_tuple);
                if (pec || !w.acceptor.is_open()) co_return;
                backoff = std::min(backoff * 2, std::chrono::milliseconds(1s));
                continue;
            }
            backoff = 10ms;
            socket.set_option(tcp::no_delay(true), ec);
            auto it = w.sessions.emplace(w.sessions.end());
            co_spawn(w.ioc, session(w, std::move(socket), *it),
                     net::bind_cancellation_slot(it->cancel.slot(), [this, &w, it](std::exception_ptr e) {
                         if (e) {
                             try {
                                 std::rethrow_exception(e);
                             } catch (const std::exception& ex) {
                                 spdlog::error("session ended by an unexpected error: {}", ex.what());
                             }
                         }
                         w.sessions.erase(it);
                         if (draining && w.sessions.empty()) w.drain_deadline.cancel();
                     }));
        }
    }

    /// An error answered before the request was read: Connection: close, then a lingering close.
    net::awaitable<void> refuse(beast::tcp_stream& stream, session_state& state, const api::api_error& e,
                                std::optional<std::string> allow_origin) {
        const auto started = std::chrono::steady_clock::now();
        beast_response out(stream, {ids::request_id(), false, false, std::move(allow_origin)}, settings.limits, state);
        const auto response = api::error_response(e);
        bool sent = true;
        try {
            co_await out.send(response);
        } catch (const std::exception&) {
            sent = false; // the client is already gone
        }
        // Counted, so an operator sees overload (503) and oversized requests (413, 431).
        if (auto* metrics = router.metrics())
            metrics->exchange_ended(out.facts(), out.status(), started, std::chrono::steady_clock::now());
        if (sent) co_await linger_close(stream);
    }

    /// A 413; its message is built only when one is sent, not for every request.
    net::awaitable<void> refuse_too_large(beast::tcp_stream& stream, session_state& state,
                                          std::optional<std::string> allow_origin) {
        const api::api_error e{api::error_kind::payload_too_large,
                               "Request body is larger than the limit of " + std::to_string(settings.limits.max_body_bytes) +
                                   " bytes.",
                               std::nullopt, std::nullopt};
        co_await refuse(stream, state, e, std::move(allow_origin));
    }

    /// The request as the API layer sees it: no Beast types past this point. Takes the message
    /// by value so that its fields are freed here, not held for as long as a stream lasts.
    static http::http_request to_api_request(bhttp::request<bhttp::string_body> msg, std::string request_id) {
        http::http_request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.request_id = std::move(request_id);
        req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
        for (const auto& f : msg) {
            std::string name(f.name_string());
            for (auto& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            req.headers.emplace_back(std::move(name), std::string(f.value()));
        }
        req.body = std::move(msg.body());
        return req;
    }

    /// A request read whole, and what its answer needs to know of it.
    struct incoming {
        http::http_request req;
        bool keep_alive = false;
        bool head = false;
        std::optional<std::string> allow_origin;
        std::chrono::steady_clock::time_point started;
    };

    /// Reads the next request. Nullopt ends the session: the client closed or idled out, or the
    /// request was refused here (too large) and the connection is already closing. A coroutine of
    /// its own so that the parser and its limits are gone before a stream begins.
    net::awaitable<std::optional<incoming>> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                         session_state& state, bool first, bool from_loopback) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(settings.limits.max_header_bytes));
        parser.body_limit(settings.limits.max_body_bytes);
        stream.expires_after(first ? settings.limits.header_timeout : settings.limits.idle_timeout);
        auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
        if (hec == bhttp::error::header_limit) {
            co_await refuse(stream, state, headers_too_large, router.cors().allow_origin(""));
            co_return std::nullopt;
        }
        // Beast checks a declared Content-Length against the body limit with the head.
        const bool declared_too_large = hec == bhttp::error::body_limit;
        if (hec && !declared_too_large) co_return std::nullopt; // closed, idle timeout or shutdown: nothing to answer
        state.busy = true;
        state.reason = http::stop_reason::none;
        state.cancel_pending = false;
        incoming in;
        in.started = std::chrono::steady_clock::now();
        in.allow_origin = router.cors().allow_origin(parser.get()[bhttp::field::origin]);
        if (declared_too_large) {
            co_await refuse_too_large(stream, state, in.allow_origin);
            co_return std::nullopt;
        }
        if (parser.get()[bhttp::field::expect] == "100-continue") {
            bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
            co_await bhttp::async_write(stream, cont, net::use_awaitable);
        }
        stream.expires_after(settings.limits.idle_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        if (bec == bhttp::error::body_limit) {
            co_await refuse_too_large(stream, state, in.allow_origin);
            co_return std::nullopt;
        }
        if (bec) co_return std::nullopt;
        stream.expires_never();
        in.keep_alive = parser.get().keep_alive() && !draining;
        in.head = parser.get().method() == bhttp::verb::head;
        in.req = to_api_request(parser.release(), ids::request_id());
        in.req.from_loopback = from_loopback;
        co_return in;
    }

    net::awaitable<void> session(worker& w, tcp::socket socket, session_state& state) {
        struct counted {
            std::atomic<std::size_t>& n;
            ~counted() { n.fetch_sub(1, std::memory_order_relaxed); }
        } count{open_connections};
        const bool over_limit = open_connections.fetch_add(1, std::memory_order_relaxed) >= settings.limits.max_connections;

        error_code peer_ec;
        const auto peer = socket.remote_endpoint(peer_ec).address();
        const bool from_loopback =
            !peer_ec && (peer.is_loopback() || (peer.is_v6() && peer.to_v6().is_v4_mapped() &&
                                                net::ip::make_address_v4(net::ip::v4_mapped, peer.to_v6()).is_loopback()));
        beast::tcp_stream stream(std::move(socket));
        if (over_limit) co_return co_await refuse(stream, state, overloaded, router.cors().allow_origin(""));
        beast::flat_buffer buffer;
        bool first = true;
        for (;;) {
            state.busy = false;
            if (draining) break;
            auto next = co_await read_request(stream, buffer, state, first, from_loopback);
            first = false;
            if (!next) break;
            // The read buffer is kept only while it holds pipelined bytes.
            if (buffer.size() == 0) buffer.shrink_to_fit();
            const http::http_request& req = next->req;
            beast_response out(stream, {req.request_id, next->keep_alive, next->head, std::move(next->allow_origin)},
                               settings.limits, state, router.metrics());
            bool client_gone = false;
            try {
                const peer_close_watch watch(stream.socket(), buffer, settings.limits.max_header_bytes, state);
                co_await router.route(req, out, w.http);
                client_gone = out.status() == 0;
            } catch (const std::exception& e) {
                client_gone = true; // a write failed or the exchange was stopped
                spdlog::debug("[{}] exchange ended: {}", req.request_id, e.what());
            }
            const auto ended = std::chrono::steady_clock::now();
            if (auto* metrics = router.metrics()) metrics->exchange_ended(out.facts(), out.status(), next->started, ended);
            if (auto* usage = router.usage()) usage->exchange_ended(out.facts(), out.status());
            if (auto* errors = router.errors()) errors->exchange_ended(req.request_id, out.facts(), out.status());
            if (log_output::json_lines()) {
                if (spdlog::should_log(spdlog::level::info))
                    log_output::access(access_record(req, out.status(), out.facts(), next->started, ended, client_gone));
            } else {
                const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ended - next->started).count();
                spdlog::info("[{}] {} {} {} {}ms{}", req.request_id, req.method, req.path(), out.status(), ms,
                             client_gone ? " (client gone)" : "");
            }
            if (client_gone || !out.keep_alive() || state.reason != http::stop_reason::none) break;
        }
        error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream.close();
    }

    void shutdown_worker(worker& w) {
        error_code ignored;
        w.acceptor.close(ignored);
        for (auto& s : w.sessions)
            if (!s.busy) s.cancel.emit(net::cancellation_type::terminal);
        if (w.sessions.empty()) return;
        w.drain_deadline.expires_after(settings.limits.shutdown_grace);
        w.drain_deadline.async_wait([&w](error_code ec) {
            if (ec) return; // every session finished in time
            spdlog::warn("shutdown grace period over: ending {} open exchange(s)", w.sessions.size());
            for (auto& s : w.sessions) {
                if (s.busy)
                    s.stop(http::stop_reason::shutdown);
                else
                    s.cancel.emit(net::cancellation_type::terminal);
            }
        });
    }
};

server::server(const config::settings& settings, const http::router& router) : impl_(std::make_unique<impl>(settings, router)) {}
server::~server() = default;

void server::start() {
    const auto& l = impl_->settings.listen;
    error_code ec;
    const auto address = net::ip::make_address(l.host == "localhost" ? "127.0.0.1" : l.host, ec);
    if (ec) throw std::runtime_error("invalid listen host '" + l.host + "': use an IP address");
    try {
        impl_->listen_on(tcp::endpoint(address, l.port));
    } catch (const boost::system::system_error& e) {
        const bool taken = e.code() == net::error::address_in_use;
        throw std::runtime_error("cannot listen on " + l.host + ":" + std::to_string(l.port) + ": " + e.code().message() +
                                 (taken ? " (is another switchyard or another server already running there?)" : ""));
    }
    impl_->bound_port = impl_->workers.front()->acceptor.local_endpoint().port();
}

std::uint16_t server::port() const noexcept { return impl_->bound_port; }

void server::begin_shutdown() {
    if (impl_->draining.exchange(true)) return;
    spdlog::info("shutting down: no new connections; draining for up to {} ms", impl_->settings.limits.shutdown_grace.count());
    for (auto& w : impl_->workers)
        net::post(w->ioc, [this, &w = *w] { impl_->shutdown_worker(w); });
    // The pending signal wait would keep worker 0 running; drop it so run() can return.
    net::post(impl_->workers.front()->ioc, [this] {
        if (impl_->signals) impl_->signals->cancel();
    });
}

void server::on_hangup(std::function<void()> handler) { impl_->on_hangup = std::move(handler); }

void server::run() {
    auto& first = *impl_->workers.front();
    impl_->signals.emplace(first.ioc, SIGINT, SIGTERM);
    if (impl_->on_hangup) impl_->signals->add(SIGHUP);
    impl_->on_signal = [this](int number) {
        if (number == SIGHUP)
            impl_->on_hangup();
        else
            begin_shutdown();
    };
    impl_->wait_for_signal();
    for (auto& w : impl_->workers)
        co_spawn(w->ioc, impl_->accept_loop(*w), net::detached);

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < impl_->workers.size(); ++i)
        threads.emplace_back([&w = *impl_->workers[i]] { w.ioc.run(); });
    first.ioc.run();
    for (auto& t : threads)
        t.join();
}

} // namespace switchyard::server
