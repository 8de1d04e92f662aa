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

#include <atomic>
#include <cctype>
#include <optional>
#include <list>
#include <thread>

#include "switchyard/api/handlers.hpp"
#include "switchyard/upstream/http_client.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::server {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct session_state {
    net::cancellation_signal cancel;
    bool busy = false;
};

void add_common_headers(bhttp::fields& f, const std::string& request_id) {
    f.set("x-request-id", request_id);
    f.set(bhttp::field::access_control_allow_origin, "*");
    f.set(bhttp::field::access_control_expose_headers, "x-request-id, retry-after, retry-after-ms, x-should-retry");
}

/// response_stream over a Beast TCP stream. Every write has a deadline, so a client that stops
/// reading cannot hold a stream open forever.
class beast_response final : public http::response_stream {
public:
    beast_response(beast::tcp_stream& stream, std::string request_id, bool keep_alive, const config::server_limits& limits,
                   const std::atomic<bool>& draining)
        : stream_(stream), request_id_(std::move(request_id)), keep_alive_(keep_alive), limits_(limits), draining_(draining) {}

    net::awaitable<void> send(const http::http_response& r) override {
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
        if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
        for (auto& [k, v] : r.headers)
            res.set(k, v);
        add_common_headers(res, request_id_);
        res.keep_alive(keep_alive_);
        res.body() = r.body;
        res.prepare_payload();
        status_ = r.status;
        stream_.expires_after(limits_.write_timeout);
        co_await bhttp::async_write(stream_, res, net::use_awaitable);
    }

    net::awaitable<void> begin_stream(const http::header_list& extra) override {
        bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
        res.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
        res.set(bhttp::field::cache_control, "no-cache");
        res.set("x-accel-buffering", "no");
        for (auto& [k, v] : extra)
            res.set(k, v);
        add_common_headers(res, request_id_);
        res.keep_alive(keep_alive_);
        res.chunked(true);
        status_ = 200;
        bhttp::response_serializer<bhttp::empty_body> sr{res};
        stream_.expires_after(limits_.write_timeout);
        co_await bhttp::async_write_header(stream_, sr, net::use_awaitable);
    }

    net::awaitable<void> write(std::string_view bytes) override {
        stream_.expires_after(limits_.write_timeout);
        auto chunk = bhttp::make_chunk(net::buffer(bytes.data(), bytes.size()));
        co_await net::async_write(stream_, chunk, net::use_awaitable);
    }

    net::awaitable<void> end_stream() override {
        stream_.expires_after(limits_.write_timeout);
        auto last = bhttp::make_chunk_last();
        co_await net::async_write(stream_, last, net::use_awaitable);
    }

    bool draining() const noexcept override { return draining_.load(std::memory_order_relaxed); }

    int status() const noexcept { return status_; }
    bool keep_alive() const noexcept { return keep_alive_; }

private:
    beast::tcp_stream& stream_;
    std::string request_id_;
    bool keep_alive_;
    const config::server_limits& limits_;
    const std::atomic<bool>& draining_;
    int status_ = 0;
};

/// Cancels the session's exchange as soon as the client closes its side, so the upstream call
/// ends at once. A plain completion handler rather than a coroutine raced against the exchange:
/// one reactor registration per request, no frames, no exceptions.
class peer_close_watch {
public:
    peer_close_watch(tcp::socket& socket, net::cancellation_signal& cancel)
        : socket_(socket), live_(std::make_shared<bool>(true)) {
        socket_.async_wait(tcp::socket::wait_read, [&socket, &cancel, live = live_](error_code ec) {
            if (ec || !*live) return; // the exchange is over; socket and signal may be gone
            char probe;
            error_code pec;
            socket.non_blocking(true);
            // Readable with bytes is the client's next request, not a close: leave those to the parser.
            if (socket.receive(net::buffer(&probe, 1), tcp::socket::message_peek, pec) == 0 && pec != net::error::would_block)
                cancel.emit(net::cancellation_type::terminal);
        });
    }
    ~peer_close_watch() {
        *live_ = false;
        error_code ignored;
        socket_.cancel(ignored);
    }
    peer_close_watch(const peer_close_watch&) = delete;
    peer_close_watch& operator=(const peer_close_watch&) = delete;

private:
    tcp::socket& socket_;
    std::shared_ptr<bool> live_;
};

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

    impl(const config::settings& s, const http::router& r) : settings(s), router(r) {
        unsigned n = s.threads ? s.threads : std::max(1u, std::thread::hardware_concurrency());
        for (unsigned i = 0; i < n; ++i)
            workers.push_back(std::make_unique<worker>(s.upstream));
    }

    void bind(worker& w, const tcp::endpoint& ep) {
        w.acceptor.open(ep.protocol());
        w.acceptor.set_option(net::socket_base::reuse_address(true));
        int one = 1;
        ::setsockopt(w.acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        w.acceptor.bind(ep);
        w.acceptor.listen(net::socket_base::max_listen_connections);
    }

    net::awaitable<void> accept_loop(worker& w) {
        for (;;) {
            auto [ec, socket] = co_await w.acceptor.async_accept(use_tuple);
            if (ec) {
                if (ec == net::error::operation_aborted || !w.acceptor.is_open()) co_return;
                spdlog::warn("accept failed: {}", ec.message());
                continue;
            }
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

    net::awaitable<void> reject_overload(beast::tcp_stream& stream) {
        beast_response out(stream, ids::request_id(), false, settings.limits, draining);
        const api::api_error e{api::error_kind::server_shutting_down, "Too many open connections; retry shortly.", std::nullopt,
                               std::nullopt};
        const auto response = api::error_response(e);
        co_await out.send(response);
    }

    net::awaitable<void> session(worker& w, tcp::socket socket, session_state& state) {
        struct counted {
            std::atomic<std::size_t>& n;
            ~counted() { n.fetch_sub(1, std::memory_order_relaxed); }
        } count{open_connections};
        const bool over_limit = open_connections.fetch_add(1, std::memory_order_relaxed) >= settings.limits.max_connections;

        beast::tcp_stream stream(std::move(socket));
        if (over_limit) {
            co_await reject_overload(stream);
            co_return;
        }
        beast::flat_buffer buffer;
        bool first = true;
        for (;;) {
            state.busy = false;
            if (draining) break;
            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(settings.limits.max_header_bytes));
            parser.body_limit(settings.limits.max_body_bytes);
            stream.expires_after(first ? settings.limits.header_timeout : settings.limits.idle_timeout);
            first = false;
            auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
            if (hec == bhttp::error::header_limit) {
                beast_response out(stream, ids::request_id(), false, settings.limits, draining);
                const api::api_error e{api::error_kind::payload_too_large, "Request headers are too large.", std::nullopt,
                                       std::nullopt};
                const auto response = api::error_response(e);
                co_await out.send(response);
                break;
            }
            if (hec) break; // closed, idle timeout or shutdown: nothing to answer
            state.busy = true;
            const auto started = std::chrono::steady_clock::now();
            const std::string request_id = ids::request_id();

            const auto too_large = [&]() -> net::awaitable<void> {
                beast_response out(stream, request_id, false, settings.limits, draining);
                const api::api_error e{api::error_kind::payload_too_large,
                                       "Request body is larger than the limit of " +
                                           std::to_string(settings.limits.max_body_bytes) + " bytes.",
                                       std::nullopt, std::nullopt};
                const auto response = api::error_response(e);
                co_await out.send(response);
            };
            if (auto cl = parser.content_length(); cl && *cl > settings.limits.max_body_bytes) {
                co_await too_large();
                break;
            }
            if (parser.get()[bhttp::field::expect] == "100-continue") {
                bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
                co_await bhttp::async_write(stream, cont, net::use_awaitable);
            }
            stream.expires_after(settings.limits.idle_timeout);
            auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
            if (bec == bhttp::error::body_limit) {
                co_await too_large();
                break;
            }
            if (bec) break;
            stream.expires_never();

            auto msg = parser.release();
            http::http_request req;
            req.method = std::string(msg.method_string());
            req.target = std::string(msg.target());
            req.request_id = request_id;
            req.headers.reserve(16);
            for (const auto& f : msg) {
                std::string name(f.name_string());
                for (auto& c : name)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                req.headers.emplace_back(std::move(name), std::string(f.value()));
            }
            req.body = std::move(msg.body());

            beast_response out(stream, request_id, msg.keep_alive() && !draining, settings.limits, draining);
            bool client_gone = false;
            try {
                const peer_close_watch watch(stream.socket(), state.cancel);
                co_await router.route(req, out, w.http);
                client_gone = out.status() == 0;
            } catch (const std::exception& e) {
                client_gone = true; // a write failed or the exchange was cancelled
                spdlog::debug("[{}] exchange ended: {}", request_id, e.what());
            }
            const auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
            spdlog::info("[{}] {} {} {} {}ms{}", request_id, req.method, req.path(), out.status(), ms,
                         client_gone ? " (client gone)" : "");
            if (client_gone || !out.keep_alive()) break;
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
            for (auto& s : w.sessions)
                s.cancel.emit(net::cancellation_type::terminal);
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
    std::uint16_t port = l.port;
    for (auto& w : impl_->workers) {
        try {
            impl_->bind(*w, tcp::endpoint(address, port));
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("cannot listen on " + l.host + ":" + std::to_string(port) + ": " + e.code().message());
        }
        port = w->acceptor.local_endpoint().port(); // later workers share the port chosen for port 0
    }
    impl_->bound_port = port;
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

void server::run() {
    auto& first = *impl_->workers.front();
    impl_->signals.emplace(first.ioc, SIGINT, SIGTERM);
    impl_->signals->async_wait([this](error_code ec, int) {
        if (!ec) begin_shutdown();
    });
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
