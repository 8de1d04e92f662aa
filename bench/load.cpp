// switchyard-load: the benchmark's own load generator, reporting one JSON line.
//   --mode stream: holds N concurrent SSE streams open and reports how many completed correctly,
//     time to the first event and to the first text, and the event rate. wrk and h2load cannot
//     tell a complete stream from a truncated one.
//   --mode rate: open-loop fixed request rate over keep-alive connections, each request sent at
//     its scheduled time and its latency counted from that time (so a stall is not hidden by the
//     requests it delays). h2load's --rps stalls against nginx, so the benchmark uses this.
//   switchyard-load --port P --body-file F [--host H] [--path P] [--header 'K: V']...
//     stream: [--streams N] [--ramp-ms R] [--expect-events K] [--timeout-s T]
//     rate:   --mode rate --rate R [--connections C] [--duration-s D] [--warmup-s W]
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct load_options {
    std::string mode = "stream";
    double rate = 1000;
    std::size_t connections = 1;
    double duration_s = 10;
    double warmup_s = 1;
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    std::string path = "/v1/chat/completions";
    std::string body;
    std::vector<std::string> headers;
    std::size_t streams = 100;
    std::chrono::milliseconds ramp{1000};
    std::size_t expect_events = 1;
    std::chrono::seconds timeout{120};
};

struct load_stats {
    std::size_t total = 0;
    std::size_t completed = 0;
    std::size_t finished = 0;
    std::size_t open = 0;
    net::steady_timer* deadline = nullptr; // cancelled when the last stream finishes
    std::size_t max_open = 0;
    std::size_t events = 0;
    std::map<std::string, std::size_t> failures;
    std::vector<double> ttfb_us; // to the first event
    std::vector<double> ttft_us; // to the first event with answer text (the first token)
    clock_type::time_point first_event{}, last_event{};
};

/// Splits an SSE byte stream into lines; counts `data:` events, notices the first one that
/// carries answer text, and `[DONE]`.
class sse_counter {
public:
    /// Returns the number of new data events in `bytes`.
    std::size_t feed(const char* bytes, std::size_t n) {
        std::size_t found = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (bytes[i] != '\n') {
                line_.push_back(bytes[i]);
                continue;
            }
            if (line_.starts_with("data: [DONE]"))
                done_ = true;
            else if (line_.starts_with("data: {\"error\""))
                error_ = true;
            else if (line_.starts_with("data:")) {
                ++found;
                const auto at = line_.find("\"content\":\"");
                if (at != std::string::npos && line_.compare(at + 11, 1, "\"") != 0) saw_text_ = true;
            }
            line_.clear();
        }
        return found;
    }
    bool done() const { return done_; }
    bool error() const { return error_; }
    bool saw_text() const { return saw_text_; }

private:
    std::string line_;
    bool done_ = false;
    bool error_ = false;
    bool saw_text_ = false;
};

std::string build_request(const load_options& o, bool keep_alive = false) {
    std::string r = "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                    "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n";
    for (const auto& h : o.headers)
        r += h + "\r\n";
    r +=
        "Content-Length: " + std::to_string(o.body.size()) + (keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n") + o.body;
    return r;
}

net::awaitable<void> run_stream(const load_options& o, const std::string& request, clock_type::duration delay, load_stats& st) {
    auto ex = co_await net::this_coro::executor;
    net::steady_timer wait(ex, delay);
    co_await wait.async_wait(use_tuple);

    const auto fail = [&st](const std::string& why) { ++st.failures[why]; };
    const auto started = clock_type::now();
    st.max_open = std::max(st.max_open, ++st.open);
    struct closer {
        load_stats& st;
        ~closer() {
            --st.open;
            if (++st.finished == st.total && st.deadline) st.deadline->cancel();
        }
    } closes_on_exit{st};

    tcp::socket socket(ex);
    const tcp::endpoint to(net::ip::make_address(o.host), o.port);
    if (auto [ec] = co_await socket.async_connect(to, use_tuple); ec) co_return fail("connect: " + ec.message());
    if (auto [ec, n] = co_await net::async_write(socket, net::buffer(request), use_tuple); ec)
        co_return fail("write: " + ec.message());

    boost::beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(boost::none);
    if (auto [ec, n] = co_await bhttp::async_read_header(socket, buffer, parser, use_tuple); ec)
        co_return fail("header: " + ec.message());
    if (parser.get().result_int() != 200) co_return fail("status " + std::to_string(parser.get().result_int()));

    sse_counter sse;
    std::size_t events = 0;
    bool text_seen = false;
    char chunk[4096];
    while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof chunk;
        auto [ec, n] = co_await bhttp::async_read_some(socket, buffer, parser, use_tuple);
        if (ec && ec != bhttp::error::need_buffer) co_return fail("body: " + ec.message());
        const std::size_t got = sizeof chunk - parser.get().body().size;
        const std::size_t fresh = sse.feed(chunk, got);
        if (fresh == 0) continue;
        const auto now = clock_type::now();
        if (!text_seen && sse.saw_text()) {
            text_seen = true;
            st.ttft_us.push_back(std::chrono::duration<double, std::micro>(now - started).count());
        }
        if (events == 0) {
            st.ttfb_us.push_back(std::chrono::duration<double, std::micro>(now - started).count());
            if (st.first_event == clock_type::time_point{} || now < st.first_event) st.first_event = now;
        }
        st.last_event = std::max(st.last_event, now);
        events += fresh;
        st.events += fresh;
    }
    if (sse.error()) co_return fail("in-band error");
    if (!sse.done()) co_return fail("no [DONE]");
    if (events < o.expect_events) co_return fail("short stream");
    ++st.completed;
}

struct rate_stats {
    std::vector<double> latency_us; // of requests due inside the measured window
    std::size_t errors = 0;
    std::size_t sent = 0;
};

/// One keep-alive connection sending request k at t0 + (k + index / C) * C / R.
net::awaitable<void> run_rate_connection(const load_options& o, const std::string& request, std::size_t index,
                                         clock_type::time_point t0, rate_stats& st) {
    auto ex = co_await net::this_coro::executor;
    const std::chrono::duration<double> interval(static_cast<double>(o.connections) / o.rate);
    const auto measured_from = t0 + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.warmup_s));
    const auto end =
        measured_from + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.duration_s));
    tcp::socket socket(ex);
    const tcp::endpoint to(net::ip::make_address(o.host), o.port);
    boost::beast::flat_buffer buffer;
    net::steady_timer timer(ex);
    for (std::size_t k = 0;; ++k) {
        const auto offset = interval * (static_cast<double>(k) + static_cast<double>(index) / static_cast<double>(o.connections));
        const auto due = t0 + std::chrono::duration_cast<clock_type::duration>(offset);
        // The window is over: a system that fell behind is not sent its backlog, which it would
        // still be working through while the next system is measured.
        if (due >= end || clock_type::now() >= end) co_return;
        if (clock_type::now() < due) {
            timer.expires_at(due);
            co_await timer.async_wait(use_tuple);
        }
        ++st.sent;
        if (!socket.is_open()) { // first request, or the server closed the last connection: reconnect as clients do
            buffer.clear();
            auto [cec] = co_await socket.async_connect(to, use_tuple);
            if (!cec) socket.set_option(tcp::no_delay(true), cec);
            if (cec) {
                socket.close();
                if (due >= measured_from) ++st.errors;
                continue;
            }
        }
        bhttp::response_parser<bhttp::string_body> parser;
        auto [wec, wn] = co_await net::async_write(socket, net::buffer(request), use_tuple);
        boost::system::error_code rec;
        if (!wec) {
            auto [ec, n] = co_await bhttp::async_read(socket, buffer, parser, use_tuple);
            rec = ec;
        }
        const bool ok = !wec && !rec && parser.get().result_int() == 200;
        if (due >= measured_from) {
            if (ok)
                st.latency_us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - due).count());
            else
                ++st.errors;
        }
        if (wec || rec || !parser.get().keep_alive()) socket.close();
    }
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN(); // written as null
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

load_options parse_args(int argc, char** argv) {
    load_options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
        const std::string v = argv[++i];
        if (arg == "--mode")
            o.mode = v;
        else if (arg == "--rate")
            o.rate = std::stod(v);
        else if (arg == "--connections")
            o.connections = std::stoul(v);
        else if (arg == "--duration-s")
            o.duration_s = std::stod(v);
        else if (arg == "--warmup-s")
            o.warmup_s = std::stod(v);
        else if (arg == "--host")
            o.host = v;
        else if (arg == "--port")
            o.port = static_cast<unsigned short>(std::stoul(v));
        else if (arg == "--path")
            o.path = v;
        else if (arg == "--header")
            o.headers.push_back(v);
        else if (arg == "--streams")
            o.streams = std::stoul(v);
        else if (arg == "--ramp-ms")
            o.ramp = std::chrono::milliseconds(std::stol(v));
        else if (arg == "--expect-events")
            o.expect_events = std::stoul(v);
        else if (arg == "--timeout-s")
            o.timeout = std::chrono::seconds(std::stol(v));
        else if (arg == "--body-file") {
            std::ifstream in(v);
            if (!in) throw std::runtime_error("cannot read " + v);
            std::stringstream ss;
            ss << in.rdbuf();
            o.body = ss.str();
        } else
            throw std::runtime_error("unknown option " + arg);
    }
    if (o.port == 0 || o.body.empty()) throw std::runtime_error("--port and --body-file are required");
    if (o.mode != "stream" && o.mode != "rate") throw std::runtime_error("--mode is stream or rate");
    if (o.streams == 0 || o.connections == 0 || o.rate <= 0)
        throw std::runtime_error("--streams, --connections and --rate must be positive");
    return o;
}

} // namespace

int run_rate(const load_options& opts) {
    rate_stats st;
    net::io_context ioc(1);
    const std::string request = build_request(opts, true);
    const auto t0 = clock_type::now() + std::chrono::milliseconds(50); // connections are open by then
    for (std::size_t i = 0; i < opts.connections; ++i)
        net::co_spawn(ioc, run_rate_connection(opts, request, i, t0, st), net::detached);
    ioc.run();
    const std::size_t ok = st.latency_us.size();
    nlohmann::json out{{"rate", opts.rate},
                       {"requests", ok + st.errors},
                       {"errors", st.errors},
                       {"achieved_rps", static_cast<double>(ok) / opts.duration_s},
                       {"latency_us",
                        {{"p50", percentile(st.latency_us, 50)},
                         {"p99", percentile(st.latency_us, 99)},
                         {"p999", percentile(st.latency_us, 99.9)},
                         {"max", percentile(st.latency_us, 100)}}}};
    std::cout << out.dump() << std::endl;
    return st.errors == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
    load_options opts;
    try {
        opts = parse_args(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "switchyard-load: " << e.what() << "\n";
        return 2;
    }
    // One descriptor per stream: take the whole hard limit.
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }

    if (opts.mode == "rate") return run_rate(opts);

    load_stats st; // outlives the io_context, whose destructor ends abandoned streams
    net::io_context ioc(1);
    net::steady_timer deadline(ioc, opts.timeout);
    st.total = opts.streams;
    st.deadline = &deadline;
    const std::string request = build_request(opts);
    for (std::size_t i = 0; i < opts.streams; ++i) {
        const auto delay = opts.ramp * static_cast<long>(i) / static_cast<long>(opts.streams);
        net::co_spawn(ioc, run_stream(opts, request, delay, st), net::detached);
    }
    // Streams that hang are abandoned at the deadline and counted as unfinished.
    deadline.async_wait([&](boost::system::error_code ec) {
        if (!ec) ioc.stop();
    });
    const auto began = clock_type::now();
    ioc.run();
    st.deadline = nullptr;
    const double wall_s = std::chrono::duration<double>(clock_type::now() - began).count();

    if (const std::size_t unfinished = opts.streams - st.finished) st.failures["unfinished at timeout"] += unfinished;
    const double span_s = std::chrono::duration<double>(st.last_event - st.first_event).count();
    nlohmann::json out{{"streams", opts.streams},
                       {"completed", st.completed},
                       {"failed", opts.streams - st.completed},
                       {"failures", st.failures},
                       {"max_open", st.max_open},
                       {"events", st.events},
                       {"events_per_s", span_s > 0 ? static_cast<double>(st.events) / span_s : 0.0},
                       {"wall_s", wall_s},
                       {"ttfb_us", {{"p50", percentile(st.ttfb_us, 50)}, {"p99", percentile(st.ttfb_us, 99)}}},
                       {"ttft_us", {{"p50", percentile(st.ttft_us, 50)}, {"p99", percentile(st.ttft_us, 99)}}}};
    std::cout << out.dump() << std::endl;
    return st.completed == opts.streams ? 0 : 1;
}
