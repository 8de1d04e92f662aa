#include "switchyard/upstream/http_client.hpp"

#include "switchyard/upstream/dns.hpp"
#include "switchyard/upstream/no_proxy.hpp"

#include "../http/wire_head.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <strings.h>
#include <sys/socket.h>

namespace switchyard::upstream {
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct target {
    bool tls = false;
    std::string host;
    std::string port;
    std::string path; // origin-form, with query
};

target parse_target(const std::string& url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) throw failure(failure_kind::protocol, "invalid upstream URL");
    const auto& u = *parsed;
    target t;
    const auto scheme = u.scheme();
    if (scheme == "https")
        t.tls = true;
    else if (scheme != "http")
        throw failure(failure_kind::protocol, "unsupported URL scheme");
    t.host = u.encoded_host();
    if (t.host.empty()) throw failure(failure_kind::protocol, "URL has no host");
    t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
    t.path = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
    return t;
}

failure_kind kind_of(const error_code& ec) {
    if (ec == beast::error::timeout) return failure_kind::timeout;
    if (ec == net::error::operation_aborted) return failure_kind::cancelled;
    return failure_kind::protocol;
}

[[noreturn]] void fail(const error_code& ec, const char* during) {
    throw failure(kind_of(ec), std::string(during) + ": " + ec.message());
}

/// The system's trusted roots. The hashed directory is read one certificate at a time, as
/// handshakes ask for issuers; the bundle file is parsed whole (about 240 million instructions
/// and several MB), so it is used only when SSL_CERT_FILE asks for it or there is no directory.
void use_system_roots(ssl::context& ctx) {
    const char* dir = std::getenv(X509_get_default_cert_dir_env());
    if (!dir) dir = X509_get_default_cert_dir();
    std::error_code ec;
    if (!std::getenv(X509_get_default_cert_file_env()) && std::filesystem::is_directory(dir, ec)) {
        ctx.add_verify_path(dir);
        return;
    }
    ctx.set_default_verify_paths(); // honours SSL_CERT_FILE
}

/// One client TLS context per trust configuration, shared by every worker's client: loading a
/// CA bundle costs tens of milliseconds and megabytes, and an SSL_CTX may serve many threads.
std::shared_ptr<ssl::context> shared_tls_context(const config::upstream_settings& s) {
    static std::mutex mutex;
    static std::map<std::pair<bool, std::string>, std::weak_ptr<ssl::context>> made;
    const std::lock_guard lock(mutex);
    auto& slot = made[{s.tls_verify, s.ca_file}];
    if (auto ctx = slot.lock()) return ctx;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (s.tls_verify) {
        ctx->set_verify_mode(ssl::verify_peer);
        if (!s.ca_file.empty())
            ctx->load_verify_file(s.ca_file);
        else
            use_system_roots(*ctx);
    } else {
        ctx->set_verify_mode(ssl::verify_none);
    }
    slot = ctx;
    return ctx;
}

} // namespace

/// Bounds on what an upstream may make us hold: a response head, and the framing bytes
/// (chunk-size lines, trailers) waiting in the read buffer. Body bytes never pile up there: they
/// are handed on as they arrive, and each reader bounds its own lines. Once the head is read,
/// the read buffer holds only framing, so its bound drops: Beast scans a partial chunk-size line
/// from its start on every read, and a long line trickled in would cost quadratic time.
constexpr std::uint32_t max_head_bytes = 64 * 1024;
constexpr std::size_t max_buffered_bytes = 256 * 1024;
constexpr std::size_t max_framing_bytes = 16 * 1024;
/// 1xx interim heads (100 Continue, 103 Early Hints) skipped before the real one, at most.
constexpr int max_interim_heads = 8;

struct connection {
    std::string key; // scheme://host:port
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer{max_buffered_bytes};
    std::chrono::steady_clock::time_point idle_since;
    std::optional<http::response_parser<http::buffer_body>> parser;
    bool reused = false;
    error_code pending_error; // a read failure that followed data already handed on
    // The parser's chunk callback (Beast keeps a reference, so it lives here): appends body
    // bytes to the string a body read is filling.
    struct chunk_appender {
        std::string* sink = nullptr;
        std::size_t operator()(std::uint64_t, std::string_view data, error_code&) const {
            sink->append(data);
            return data.size();
        }
    } body_sink;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

struct http_client::impl {
    net::any_io_executor executor;
    config::upstream_settings settings;
    std::shared_ptr<ssl::context> tls_context; // made on the first https exchange
    std::map<std::string, std::vector<std::unique_ptr<connection>>> idle;

    impl(net::any_io_executor ex, config::upstream_settings s) : executor(ex), settings(std::move(s)) {
        // A configured CA file is read now, so a wrong path fails at start-up.
        if (settings.tls_verify && !settings.ca_file.empty()) tls_context = shared_tls_context(settings);
    }

    ssl::context& tls() {
        if (!tls_context) tls_context = shared_tls_context(settings);
        return *tls_context;
    }

    /// The proxy for this target, or "" when it goes direct (none set, or NO_PROXY names it).
    std::string proxy_for(const target& t) const {
        const std::string& proxy = t.tls ? settings.https_proxy : settings.http_proxy;
        if (proxy.empty() || bypasses_proxy(t.host, settings.no_proxy)) return {};
        return proxy;
    }

    net::awaitable<std::unique_ptr<connection>> open(const target& t, const std::string& key) {
        auto conn = std::make_unique<connection>();
        conn->key = key;
        conn->plain = std::make_unique<beast::tcp_stream>(executor);
        auto& stream = *conn->plain;

        std::string connect_host = t.host;
        std::string connect_port = t.port;
        const std::string proxy = proxy_for(t);
        if (!proxy.empty()) {
            const target p = parse_target(proxy.find("://") == std::string::npos ? "http://" + proxy : proxy);
            connect_host = p.host;
            connect_port = p.port;
        }
        std::string resolve_host = connect_host;
        if (resolve_host.size() > 2 && resolve_host.front() == '[')
            resolve_host = resolve_host.substr(1, resolve_host.size() - 2);

        // One deadline covers name resolution, connect and the TLS handshake.
        const auto deadline = std::chrono::steady_clock::now() + settings.connect_timeout;
        const auto endpoints = co_await upstream::resolve(resolve_host, connect_port, deadline);
        stream.expires_at(deadline);
        auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
        if (cec)
            throw failure(cec == beast::error::timeout ? failure_kind::timeout : failure_kind::connect,
                          "connect " + connect_host + ":" + connect_port + ": " + cec.message());
        stream.socket().set_option(tcp::no_delay(true));

        if (!proxy.empty() && t.tls) co_await tunnel(stream, t);

        if (t.tls) {
            conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(stream), tls());
            conn->plain.reset();
            error_code not_ip;
            net::ip::make_address(t.host, not_ip);
            // SNI carries host names only (RFC 6066), never address literals.
            if (not_ip && !SSL_set_tlsext_host_name(conn->tls->native_handle(), t.host.c_str()))
                throw failure(failure_kind::tls, "cannot set SNI");
            if (settings.tls_verify) conn->tls->set_verify_callback(ssl::host_name_verification(t.host));
            beast::get_lowest_layer(*conn->tls).expires_at(deadline);
            auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, use_tuple);
            if (hec)
                throw failure(hec == beast::error::timeout ? failure_kind::timeout : failure_kind::tls,
                              "TLS handshake: " + hec.message());
        }
        co_return conn;
    }

    net::awaitable<void> tunnel(beast::tcp_stream& stream, const target& t) {
        http::request<http::empty_body> req{http::verb::connect, t.host + ":" + t.port, 11};
        req.set(http::field::host, t.host + ":" + t.port);
        stream.expires_after(settings.connect_timeout);
        auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
        if (wec) fail(wec, "proxy CONNECT");
        beast::flat_buffer buf;
        http::response_parser<http::empty_body> parser;
        parser.skip(true); // a CONNECT reply has no body
        auto [rec, rn] = co_await http::async_read_header(stream, buf, parser, use_tuple);
        if (rec) fail(rec, "proxy CONNECT reply");
        if (parser.get().result_int() / 100 != 2)
            throw failure(failure_kind::connect,
                          "proxy refused CONNECT with status " + std::to_string(parser.get().result_int()));
    }

    /// A pooled connection that is still worth trying: idle for less than pool_idle_timeout
    /// (upstreams close idle keep-alives after a few seconds: uvicorn and Node after 5) and with
    /// nothing to read, since a peer that closed has sent its FIN and one that sent bytes
    /// unasked is not in a state we understand. Dead ones are dropped on the way.
    std::unique_ptr<connection> take_idle(const std::string& key) {
        auto it = idle.find(key);
        if (it == idle.end()) return nullptr;
        auto& list = it->second;
        const auto now = std::chrono::steady_clock::now();
        while (!list.empty()) {
            auto conn = std::move(list.back());
            list.pop_back();
            if (now - conn->idle_since >= settings.pool_idle_timeout || !quiet(conn->lowest().socket())) continue;
            conn->reused = true;
            return conn;
        }
        return nullptr;
    }

    /// Nothing to read and no FIN: one non-blocking peek, on every reuse, so no mode switch.
    static bool quiet(tcp::socket& socket) {
        char probe;
        return ::recv(socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
               (errno == EAGAIN || errno == EWOULDBLOCK);
    }
};

/// A fresh response parser with our bounds, its body handed to the chunk callback.
void reset_parser(connection& c) {
    c.buffer.max_size(max_buffered_bytes);
    c.parser.emplace();
    c.parser->header_limit(max_head_bytes);
    c.parser->body_limit(boost::none);
    c.parser->on_chunk_body(c.body_sink);
}

/// Writes the request and reads the final response head. Interim 1xx heads are read and
/// dropped: taking one for the answer would leave the real answer unread on a pooled
/// connection, for the next caller to receive.
template <class Stream>
static net::awaitable<error_code> write_and_read_head(Stream& s, connection& c, const std::string& head, const std::string& body,
                                                      const config::upstream_settings& st) {
    beast::get_lowest_layer(s).expires_after(st.request_timeout);
    const std::array<net::const_buffer, 2> wire{net::buffer(head), net::buffer(body)};
    auto [wec, wn] = co_await net::async_write(s, wire, use_tuple);
    if (wec) co_return wec;
    for (int interim = 0;; ++interim) {
        auto [rec, rn] = co_await http::async_read_header(s, c.buffer, *c.parser, use_tuple);
        if (rec) co_return rec;
        const int status = c.parser->get().result_int();
        if (status >= 200) {
            c.buffer.max_size(std::max(max_framing_bytes, c.buffer.size())); // what came with the head is body
            co_return error_code{};
        }
        // We never ask for an upgrade, so a 101 means the connection now speaks something else.
        if (status == 101 || interim == max_interim_heads) co_return error_code(http::error::bad_status);
        reset_parser(c);
    }
}

/// Appends to `out` the body bytes that have arrived, reading at least once. read_some, not
/// read: a read would wait for a whole buffer, holding back every streamed event until it filled.
/// Chunked bodies (every stream) are appended by the parser's chunk callback, so an idle stream
/// holds no read buffer while it waits; other bodies are read through a transient 16 KB buffer.
template <class Stream>
static net::awaitable<error_code> read_body_some(Stream& s, connection& c, std::string& out,
                                                 const config::upstream_settings& st) {
    beast::get_lowest_layer(s).expires_after(st.idle_timeout);
    auto& parser = *c.parser;
    const bool chunked = parser.chunked();
    auto& body = parser.get().body();
    if (chunked) {
        c.body_sink.sink = &out;
    } else {
        // Sized to what is still expected, so a small answer does not clear 16 KB first.
        const auto remaining = parser.content_length_remaining();
        out.resize(remaining ? std::clamp<std::uint64_t>(*remaining, 1, 16 * 1024) : 16 * 1024);
        body.data = out.data();
        body.size = out.size();
    }
    const auto nothing_yet = [&] { return chunked ? out.empty() : body.size == out.size(); };
    error_code ec;
    do { // past reads that carried no body bytes (a chunk header alone)
        auto [rec, n] = co_await http::async_read_some(s, c.buffer, parser, use_tuple);
        ec = rec == http::error::need_buffer ? error_code{} : rec;
    } while (!ec && nothing_yet() && !parser.is_done());
    if (chunked)
        c.body_sink.sink = nullptr;
    else
        out.resize(out.size() - body.size);
    co_return ec;
}

http_client::http_client(net::any_io_executor executor, config::upstream_settings settings)
    : impl_(std::make_unique<impl>(executor, std::move(settings))) {}

http_client::~http_client() = default;

void http_client::release(std::unique_ptr<connection> conn) {
    auto& list = impl_->idle[conn->key];
    if (list.size() >= impl_->settings.pool_max_idle_per_host) return;
    conn->parser.reset();
    conn->lowest().expires_never(); // an idle pooled connection must not time out and close itself
    conn->idle_since = std::chrono::steady_clock::now();
    list.push_back(std::move(conn));
}

net::awaitable<response> http_client::send(request&& req) {
    const target t = parse_target(req.url);
    const std::string key = (t.tls ? "https://" : "http://") + t.host + ":" + t.port;
    const bool via_http_proxy = !t.tls && !impl_->proxy_for(t).empty();

    const std::string body = std::move(req.body); // owned here: it is written after suspensions
    http::request<http::span_body<const char>> msg;
    msg.method_string(req.method);
    msg.target(via_http_proxy ? req.url : t.path);
    msg.version(11);
    msg.set(http::field::host, (t.port == "80" || t.port == "443") ? t.host : t.host + ":" + t.port);
    for (auto& [name, value] : req.headers)
        msg.set(name, value);
    msg.body() = {body.data(), body.size()};
    msg.prepare_payload();
    const std::string head = switchyard::http::wire_head(msg);

    // A pooled connection may have been closed by the peer while idle; such a failure before any
    // response byte is retried once on a fresh connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto conn = attempt == 0 ? impl_->take_idle(key) : nullptr; // the retry never takes another pooled one
        if (!conn) conn = co_await impl_->open(t, key);
        reset_parser(*conn);

        error_code ec = conn->tls ? co_await write_and_read_head(*conn->tls, *conn, head, body, impl_->settings)
                                  : co_await write_and_read_head(*conn->plain, *conn, head, body, impl_->settings);
        if (ec) {
            // A reused connection that failed before any byte of an answer was closed by the
            // upstream while idle: the request is sent once more, on a new connection.
            const bool stale = conn->reused && ec != beast::error::timeout && ec != net::error::operation_aborted &&
                               conn->buffer.size() == 0 && !conn->parser->got_some();
            if (stale && attempt == 0) continue;
            fail(ec, "upstream response head");
        }
        response r;
        const auto& head = conn->parser->get();
        r.status_ = head.result_int();
        for (const auto& f : head)
            r.headers_.emplace_back(std::string(f.name_string()), std::string(f.value()));
        r.conn_ = std::move(conn);
        r.owner_ = this;
        co_return r;
    }
    throw failure(failure_kind::protocol, "unreachable");
}

response::response(response&&) noexcept = default;
response& response::operator=(response&&) noexcept = default;
response::~response() = default;

std::string_view response::header(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers_)
        if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
    return {};
}

net::awaitable<std::optional<std::string>> response::read_some() {
    if (!conn_) co_return std::nullopt;
    auto& c = *conn_;
    if (c.pending_error) {
        const error_code ec = c.pending_error;
        conn_.reset();
        fail(ec, "upstream body");
    }
    if (c.parser->is_done()) {
        if (c.parser->keep_alive()) owner_->release(std::move(conn_));
        conn_.reset();
        co_return std::nullopt;
    }
    std::string got;
    const auto& st = owner_->impl_->settings;
    error_code ec = c.tls ? co_await read_body_some(*c.tls, c, got, st) : co_await read_body_some(*c.plain, c, got, st);
    // A close-delimited body ends with EOF. A TLS peer that closes without close_notify may
    // have been cut off by anyone on the path, so that is an end only when the framing
    // (content-length, the last chunk) proves the body complete.
    if (ec == http::error::end_of_stream || (ec == net::ssl::error::stream_truncated && c.parser->is_done())) {
        conn_.reset();
        if (got.empty()) co_return std::nullopt;
        co_return got;
    }
    if (ec) {
        // Bytes that arrived before the failure are still delivered; the failure comes next call.
        if (!got.empty()) {
            c.pending_error = ec;
            co_return got;
        }
        conn_.reset();
        fail(ec, "upstream body");
    }
    if (c.parser->is_done() && got.empty()) {
        if (c.parser->keep_alive()) owner_->release(std::move(conn_));
        conn_.reset();
        co_return std::nullopt;
    }
    co_return got;
}

net::awaitable<std::string> response::read_all(std::size_t limit) {
    std::string out;
    while (auto part = co_await read_some()) {
        out += *part;
        if (out.size() > limit) {
            conn_.reset();
            throw failure(failure_kind::protocol, "upstream body larger than " + std::to_string(limit) + " bytes");
        }
    }
    co_return out;
}

} // namespace switchyard::upstream
