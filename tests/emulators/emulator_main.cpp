// switchyard-emulator: a small HTTP server speaking the upstream protocols for tests and benches.
//   switchyard-emulator [--listen HOST:PORT] [--signature v1|v2|v3|none] [--tokens T1,T2]
//                       [--device-id ID] [--scenario NAME] [--token-delay-ms N]
// Prints "emulator listening on http://HOST:PORT" once bound. Scenarios are chosen per request
// by "[scenario:NAME]" in the user's text, or for every request by --scenario.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <iostream>

#include "emulator.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using namespace switchyard;
using namespace switchyard::emulator;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct emulator_state {
    options opts;
    event_log log;
    flowgpt_emulator flowgpt{opts, log};
};

net::awaitable<void> send_plain(beast::tcp_stream& stream, bhttp::status status, std::string content_type, std::string body) {
    bhttp::response<bhttp::string_body> res{status, 11};
    res.set(bhttp::field::content_type, content_type);
    res.body() = std::move(body);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, use_tuple);
}

net::awaitable<void> serve(tcp::socket socket, emulator_state& state) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        if (ec) co_return;
        auto req = parser.release();
        const bool keep_alive = req.keep_alive();
        std::string target(req.target());
        if (target.rfind("http://", 0) == 0) {
            // Absolute-form: the caller treats us as its HTTP proxy. Serve it as the origin would.
            state.log.add("proxied", nlohmann::json{{"target", target}, {"host", std::string(req[bhttp::field::host])}});
            const auto slash = target.find('/', 7);
            target = slash == std::string::npos ? "/" : target.substr(slash);
            req.target(target);
        }
        if (target == "/_emulator/events") {
            std::string events = state.log.events.dump();
            co_await send_plain(stream, bhttp::status::ok, "application/json", std::move(events));
        } else if (target == "/_emulator/health") {
            co_await send_plain(stream, bhttp::status::ok, "application/json", R"({"status":"ok"})");
        } else if (!co_await state.flowgpt.handle(req, stream)) {
            co_await send_plain(stream, bhttp::status::not_found, "application/json",
                                R"({"statusCode":404,"message":"Not Found"})");
        }
        if (!keep_alive || !stream.socket().is_open()) co_return;
    }
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor, emulator_state& state) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) co_return;
        socket.set_option(tcp::no_delay(true), ec);
        net::co_spawn(acceptor.get_executor(), serve(std::move(socket), state), net::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    emulator_state state;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
                return argv[++i];
            };
            if (arg == "--listen")
                state.opts.listen = value();
            else if (arg == "--signature")
                state.opts.signature = config::parse_signature_scheme(value());
            else if (arg == "--tokens")
                for (auto& t : config::split_list(value()))
                    state.opts.tokens.insert(t);
            else if (arg == "--device-id")
                state.opts.device_id = value();
            else if (arg == "--scenario")
                state.opts.scenario = value();
            else if (arg == "--token-delay-ms")
                state.opts.token_delay = std::chrono::milliseconds(std::stol(value()));
            else
                throw std::runtime_error("unknown option " + arg);
        }
        const auto where = config::parse_listen_address(state.opts.listen);
        net::io_context ioc(1);
        tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address(where.host), where.port));
        std::printf("emulator listening on http://%s:%u\n", where.host.c_str(),
                    static_cast<unsigned>(acceptor.local_endpoint().port()));
        std::fflush(stdout);
        net::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](auto, int) { ioc.stop(); });
        net::co_spawn(ioc, accept_loop(acceptor, state), net::detached);
        ioc.run();
    } catch (const std::exception& e) {
        std::cerr << "switchyard-emulator: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
