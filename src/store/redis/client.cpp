#include "switchyard/store/redis/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/url/parse.hpp>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "switchyard/upstream/dns.hpp"
#include "switchyard/upstream/http_client.hpp"

namespace switchyard::store::redis {
namespace {

namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using clock = std::chrono::steady_clock;

// A reply array longer than this is refused before anything is allocated for it: hiredis would
// otherwise allocate whatever length the other end announces.
constexpr long long max_array_elements = 1'000'000;

// What the arrays of the reply being read may still announce, in elements: a batch's byte bound
// spent on slots before any byte of them arrives. Set around each synchronous reader call.
thread_local long long element_budget = 0;

// ---- replies, built straight from hiredis's reader into our tree ----------------------------

/// Puts `value` where the reader says it belongs: into its parent array (sized when the array
/// was announced, so element addresses never move), or as a new root.
void* attach(const redisReadTask* task, reply&& value) {
    try {
        if (task->parent) {
            auto& slot = static_cast<reply*>(task->parent->obj)->elements[static_cast<std::size_t>(task->idx)];
            slot = std::move(value);
            return &slot;
        }
        return new reply(std::move(value));
    } catch (...) {
        return nullptr; // the reader reports it as out of memory
    }
}

void* create_string(const redisReadTask* task, char* text, std::size_t length) {
    reply r;
    r.type = task->type == REDIS_REPLY_ERROR    ? reply::kind::error
             : task->type == REDIS_REPLY_STATUS ? reply::kind::status
                                                : reply::kind::string;
    try { // nothing may unwind through hiredis's C frames
        r.text.assign(text, length);
    } catch (...) {
        return nullptr;
    }
    return attach(task, std::move(r));
}

void* create_array(const redisReadTask* task, int elements) {
    if (elements < 0 || elements > max_array_elements || elements > element_budget) return nullptr;
    element_budget -= elements;
    reply r;
    r.type = reply::kind::array;
    try {
        r.elements.resize(static_cast<std::size_t>(elements));
    } catch (...) {
        return nullptr;
    }
    return attach(task, std::move(r));
}

void* create_integer(const redisReadTask* task, long long value) {
    reply r;
    r.type = reply::kind::integer;
    r.integer = value;
    return attach(task, std::move(r));
}

void* create_nil(const redisReadTask* task) { return attach(task, reply{}); }

// Only roots are freed: children live inside them.
void free_object(void* object) { delete static_cast<reply*>(object); }

redisReplyObjectFunctions reply_functions{create_string, create_array, create_integer, create_nil, free_object};

struct reader_deleter {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

/// The commands in RESP, one after the other.
std::string formatted(const std::vector<command>& commands) {
    std::string out;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& c : commands) {
        argv.clear();
        lengths.clear();
        for (const auto& arg : c) {
            argv.push_back(arg.data());
            lengths.push_back(arg.size());
        }
        char* text = nullptr;
        const int n = redisFormatCommandArgv(&text, static_cast<int>(argv.size()), argv.data(), lengths.data());
        if (n < 0 || !text) throw std::bad_alloc();
        out.append(text, static_cast<std::size_t>(n));
        redisFreeCommand(text);
    }
    return out;
}

} // namespace

// ---- URLs -------------------------------------------------------------------------------------

endpoint parse_url(std::string_view url) {
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed) throw std::invalid_argument("REDIS_URL is not a URL (redis://[user:password@]host:port[/db])");
    const auto& u = *parsed;
    if (u.scheme() != "redis" && u.scheme() != "rediss")
        throw std::invalid_argument("REDIS_URL must start with redis:// or rediss://");
    if (u.has_query() || u.has_fragment()) throw std::invalid_argument("REDIS_URL takes no query or fragment");
    endpoint e;
    e.tls = u.scheme() == "rediss";
    if (u.host_type() == boost::urls::host_type::ipv6)
        e.host = u.host_ipv6_address().to_string();
    else
        e.host = u.host();
    if (e.host.empty()) throw std::invalid_argument("REDIS_URL names no host");
    if (u.has_port()) {
        if (u.port_number() == 0) throw std::invalid_argument("REDIS_URL has a bad port");
        e.port = u.port_number();
    }
    if (u.has_userinfo()) {
        e.user = u.user();
        e.password = u.password();
        if (e.password.empty() && !e.user.empty()) { // redis://secret@host: the password alone
            e.password = std::move(e.user);
            e.user.clear();
        }
    }
    std::string_view path = u.encoded_path();
    if (!path.empty() && path != "/") {
        path.remove_prefix(1);
        int db = -1;
        const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
        if (ec != std::errc() || end != path.data() + path.size() || db < 0 || db > 100'000)
            throw std::invalid_argument("REDIS_URL: the path must be a database number (/0, /1, …)");
        e.db = db;
    }
    return e;
}

// ---- connections ------------------------------------------------------------------------------

namespace {

struct connection {
    explicit connection(const net::any_io_executor& ex) : stream(ex), reader(redisReaderCreateWithFunctions(&reply_functions)) {
        if (!reader) throw std::bad_alloc();
    }
    beast::tcp_stream stream;                             // its deadline bounds TLS too
    std::unique_ptr<ssl::stream<beast::tcp_stream&>> tls; // over `stream`, for rediss://
    reader_ptr reader;
    std::array<char, 16 * 1024> buffer{};

    template <class Buffers> auto write(const Buffers& b) {
        return tls ? net::async_write(*tls, b, net::as_tuple(net::use_awaitable))
                   : net::async_write(stream, b, net::as_tuple(net::use_awaitable));
    }
    auto read_some() {
        return tls ? tls->async_read_some(net::buffer(buffer), net::as_tuple(net::use_awaitable))
                   : stream.async_read_some(net::buffer(buffer), net::as_tuple(net::use_awaitable));
    }
};

/// What a socket error means for the caller.
failure failed(const boost::system::error_code& ec, std::string_view during) {
    if (ec == net::error::operation_aborted) return failure(failure::kind::cancelled, "cancelled (" + std::string(during) + ")");
    if (ec == beast::error::timeout)
        return failure(failure::kind::timeout, "Redis did not answer in time (" + std::string(during) + ")");
    return failure(failure::kind::connect, "Redis connection failed (" + std::string(during) + "): " + ec.message());
}

/// Writes `commands` on `c` and reads their replies, all before `deadline`. Throws failure.
net::awaitable<std::vector<reply>> exchange(connection& c, const std::vector<command>& commands, clock::time_point deadline,
                                            std::size_t max_bytes) {
    const std::string wire = formatted(commands);
    c.stream.expires_at(deadline);
    const auto out = net::buffer(wire);
    auto [wec, written] = co_await c.write(out);
    if (wec) throw failed(wec, "write");
    std::vector<reply> replies;
    replies.reserve(commands.size());
    std::size_t received = 0;
    long long budget = static_cast<long long>(max_bytes / sizeof(reply));
    while (replies.size() < commands.size()) {
        void* next = nullptr;
        element_budget = budget;
        const int status = redisReaderGetReply(c.reader.get(), &next);
        budget = element_budget;
        if (status != REDIS_OK)
            throw failure(failure::kind::protocol, std::string("unreadable reply from Redis: ") + c.reader->errstr);
        if (next) {
            std::unique_ptr<reply> got(static_cast<reply*>(next));
            replies.push_back(std::move(*got));
            continue;
        }
        c.stream.expires_at(deadline);
        auto [rec, n] = co_await c.read_some();
        if (rec) throw failed(rec, "read");
        received += n;
        if (received > max_bytes) throw failure(failure::kind::protocol, "Redis replies larger than the limit");
        if (redisReaderFeed(c.reader.get(), c.buffer.data(), n) != REDIS_OK)
            throw failure(failure::kind::protocol, "Redis reply buffer failed");
    }
    co_return replies;
}

} // namespace

struct client::state {
    net::any_io_executor executor;
    endpoint where;
    client_settings settings;
    std::size_t max_idle;
    std::vector<std::unique_ptr<connection>> idle;
    std::unique_ptr<ssl::context> tls; // for rediss://
    clock::time_point retry_at{};      // no connect before this, after failures
    milliseconds backoff{0};           // the pause after the next failed connect
    std::size_t connects = 0;
};

namespace {

/// A new connection, authenticated and on its database. Throws failure.
net::awaitable<std::unique_ptr<connection>> open(client::state& st) {
    const auto deadline = clock::now() + st.settings.connect_timeout;
    std::unique_ptr<connection> c = std::make_unique<connection>(st.executor);
    net::ip::tcp::resolver::results_type addresses;
    try {
        const std::string port = std::to_string(st.where.port);
        addresses = co_await upstream::resolve(st.where.host, port, deadline);
    } catch (const upstream::failure& f) {
        throw failure(f.kind == upstream::failure_kind::timeout ? failure::kind::timeout : failure::kind::connect,
                      std::string("Redis host lookup failed: ") + f.what());
    }
    c->stream.expires_at(deadline);
    auto [ec, where] = co_await c->stream.async_connect(addresses, net::as_tuple(net::use_awaitable));
    if (ec) throw failed(ec, "connect to " + st.where.host + ":" + std::to_string(st.where.port));
    c->stream.socket().set_option(net::ip::tcp::no_delay(true), ec);
    if (st.tls) {
        c->tls = std::make_unique<ssl::stream<beast::tcp_stream&>>(c->stream, *st.tls);
        c->tls->set_verify_mode(ssl::verify_peer);
        c->tls->set_verify_callback(ssl::host_name_verification(st.where.host));
        boost::system::error_code ip_error;
        net::ip::make_address(st.where.host, ip_error);
        if (ip_error && !SSL_set_tlsext_host_name(c->tls->native_handle(), st.where.host.c_str()))
            throw failure(failure::kind::connect, "Redis TLS: cannot set the server name");
        auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, net::as_tuple(net::use_awaitable));
        if (hec) throw failed(hec, "TLS handshake with " + st.where.host + ":" + std::to_string(st.where.port));
    }
    std::vector<command> hello;
    if (!st.where.password.empty())
        hello.push_back(st.where.user.empty() ? command{"AUTH", st.where.password}
                                              : command{"AUTH", st.where.user, st.where.password});
    if (st.where.db != 0) hello.push_back({"SELECT", std::to_string(st.where.db)});
    if (!hello.empty()) {
        const auto replies = co_await exchange(*c, hello, deadline, 64 * 1024);
        for (std::size_t i = 0; i < replies.size(); ++i)
            if (replies[i].is_error())
                throw failure(i == 0 && !st.where.password.empty() ? failure::kind::auth : failure::kind::protocol,
                              "Redis refused " + std::string(hello[i][0]) + ": " + replies[i].text.substr(0, 200));
    }
    ++st.connects;
    co_return c;
}

} // namespace

client::client(net::any_io_executor executor, endpoint where, client_settings settings, std::size_t max_idle)
    : state_(std::make_shared<state>(state{std::move(executor), std::move(where), settings, max_idle, {}, {}, {}, {}, 0})) {
    if (state_->where.tls) {
        state_->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
        state_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                                 ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        state_->tls->set_default_verify_paths(); // honours SSL_CERT_FILE
    }
}

client::~client() = default;

std::size_t client::connects() const noexcept { return state_->connects; }

namespace {

/// Whether an idle connection is still usable: Redis says nothing unasked, so anything readable
/// (its close, a reset, stray bytes, a TLS alert) means the connection is done. Peeked, so that
/// nothing is taken from under TLS.
bool still_open(connection& c) {
    auto& s = c.stream.socket();
    boost::system::error_code ec;
    s.non_blocking(true, ec);
    char byte = 0;
    s.receive(net::buffer(&byte, 1), net::socket_base::message_peek, ec);
    boost::system::error_code ignored;
    s.non_blocking(false, ignored);
    return ec == net::error::would_block;
}

} // namespace

net::awaitable<std::vector<reply>> client::run(const std::vector<command>& commands) {
    const std::shared_ptr<state> st = state_;
    const auto now = clock::now();
    if (now < st->retry_at)
        throw failure(failure::kind::backoff,
                      "Redis failed a moment ago; the next attempt is in " +
                          std::to_string(std::chrono::duration_cast<milliseconds>(st->retry_at - now).count()) + " ms");
    // A failure that says Redis is down or hung pauses every call for a while: fast failures,
    // not one timeout after another.
    const auto back_off = [&] {
        st->backoff = std::clamp(st->backoff * 2, st->settings.first_backoff, st->settings.max_backoff);
        st->retry_at = clock::now() + st->backoff;
    };
    std::unique_ptr<connection> c;
    while (!c && !st->idle.empty()) { // a command is never sent twice: a dead connection is found before
        c = std::move(st->idle.back());
        st->idle.pop_back();
        if (!still_open(*c)) c.reset();
    }
    try {
        if (!c) c = co_await open(*st);
        auto replies = co_await exchange(*c, commands, clock::now() + st->settings.command_timeout, st->settings.max_reply_bytes);
        st->backoff = milliseconds(0);
        if (st->idle.size() < st->max_idle) st->idle.push_back(std::move(c));
        co_return replies;
    } catch (const failure& f) {
        if (f.why == failure::kind::connect || f.why == failure::kind::timeout) back_off();
        throw;
    }
}

net::awaitable<reply> client::run(const command& c) {
    const std::vector<command> one{c};
    auto replies = co_await run(one);
    co_return std::move(replies.front());
}

std::string key_part(std::string_view name) {
    if (name.find_first_of(":%") == std::string_view::npos) return std::string(name);
    std::string out;
    for (char c : name)
        out += c == ':' ? std::string("%3A") : c == '%' ? std::string("%25") : std::string(1, c);
    return out;
}

bool is_temporary(std::string_view error) noexcept {
    for (std::string_view prefix : {"LOADING", "READONLY", "OOM", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS"})
        if (error.starts_with(prefix)) return true;
    return false;
}

} // namespace switchyard::store::redis
