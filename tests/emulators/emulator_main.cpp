// switchyard-emulator: a small HTTP server speaking the upstream protocols for tests and benches.
//   switchyard-emulator [--listen HOST:PORT] [--signature v1|v2|v3|none] [--tokens T1,T2]
//                       [--device-id ID] [--scenario NAME] [--token-delay-ms N]
//                       [--tls-listen HOST:PORT --tls-cert-out FILE [--tls-cert-names SANS]] [--nonce-ttl-ms N] [--nonce-delay-ms
//                       N]
//                       [--site-origin URL]
// FlowGPT: [--flowgpt-forms conversation,history,anonymous] (the /v3/chat forms offered; all by default).
// AIPKit: [--aipkit-page default|changed|site-b|cloudflare|no-bots] (what the chat pages show).
// POST /_emulator/settings {"flowgpt_forms":[…], "aipkit_page":…} changes them while it runs.
// OpenAI mode: [--openai-keys K1,K2] [--openai-tokens N] [--openai-token-delay-ms D].
// Benchmarks: [--no-event-log] keeps nothing per request; [--answer-chunks N] makes every
// FlowGPT answer N NDJSON lines and every AIPKit answer N deltas.
// With --tls-listen it also serves https (printing "emulator tls on https://HOST:PORT"), and it
// acts as an HTTP proxy: absolute-form requests are served, CONNECT is tunnelled.
// Prints "emulator listening on http://HOST:PORT" once bound. Scenarios are chosen per request
// by "[scenario:NAME]" in the user's text, or for every request by --scenario (the only way for
// requests that carry no text, such as AIPKit's nonce: --scenario nonce-success-number).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <boost/asio/ssl/context.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

#include "emulator.hpp"
#include "tunnels.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using namespace switchyard;
using namespace switchyard::emulator;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// What callers sent, for tests that measure upstream traffic (GET /_emulator/traffic).
struct traffic {
    std::size_t requests = 0;
    std::size_t bytes = 0; // request line, header fields and body
};

/// The size of a request as it came over the wire, give or take optional whitespace.
std::size_t wire_size(const request& req) {
    std::size_t n = req.method_string().size() + 1 + req.target().size() + 11; // " HTTP/1.1\r\n"
    for (const auto& f : req)
        n += f.name_string().size() + 2 + f.value().size() + 2;
    return n + 2 + req.body().size();
}

struct emulator_state {
    options opts;
    event_log log;
    traffic received;
    flowgpt_emulator flowgpt{opts, log};
    aipkit_emulator aipkit{opts, log};
    openai_emulator openai{opts, log};
};

net::awaitable<void> serve(tcp::socket socket, emulator_state& state) {
    state.log.add("connection_accepted");
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        if (ec) co_return;
        auto req = parser.release();
        if (req.method() == bhttp::verb::connect) {
            const std::string authority(req.target());
            const auto colon = authority.rfind(':');
            state.log.add("tunnel", nlohmann::json{{"target", authority}});
            const std::string host = authority.substr(0, colon);
            const std::string port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
            co_await tunnel(stream.socket(), host, port);
            co_return;
        }
        const bool keep_alive = req.keep_alive();
        std::string target(req.target());
        if (target.rfind("http://", 0) == 0) {
            // Absolute-form: the caller treats us as its HTTP proxy. Serve it as the origin would.
            state.log.add("proxied", nlohmann::json{{"target", target}, {"host", std::string(req[bhttp::field::host])}});
            const auto slash = target.find('/', 7);
            target = slash == std::string::npos ? "/" : target.substr(slash);
            req.target(target);
        }
        if (!target.starts_with("/_emulator/")) {
            ++state.received.requests;
            state.received.bytes += wire_size(req);
        }
        if (target == "/_emulator/events") {
            std::string events = state.log.dump();
            co_await send_text(stream, bhttp::status::ok, "application/json", events);
        } else if (target == "/_emulator/traffic") {
            const nlohmann::json seen = {{"requests", state.received.requests}, {"bytes", state.received.bytes}};
            co_await send_text(stream, bhttp::status::ok, "application/json", seen.dump());
        } else if (target == "/_emulator/settings" && req.method() == bhttp::verb::post) {
            // Changes how the upstream behaves from now on, as a real one changes under a gateway.
            const auto change = nlohmann::json::parse(req.body(), nullptr, false);
            if (change.is_object() && change.contains("flowgpt_forms") && change["flowgpt_forms"].is_array()) {
                state.opts.flowgpt_forms.clear();
                for (const auto& f : change["flowgpt_forms"])
                    if (f.is_string()) state.opts.flowgpt_forms.insert(f.get<std::string>());
            }
            if (change.is_object() && change.contains("aipkit_page") && change["aipkit_page"].is_string())
                state.opts.aipkit_page = change["aipkit_page"].get<std::string>();
            state.log.add("settings_changed", change.is_object() ? change : nlohmann::json::object());
            co_await send_text(stream, bhttp::status::ok, "application/json", R"({"status":"ok"})");
        } else if (target == "/_emulator/health") {
            co_await send_text(stream, bhttp::status::ok, "application/json", R"({"status":"ok"})");
        } else if (!co_await state.flowgpt.handle(req, stream) && !co_await state.aipkit.handle(req, stream) &&
                   !co_await state.openai.handle(req, stream)) {
            co_await send_text(stream, bhttp::status::not_found, "application/json",
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
    std::string tls_listen;
    std::string tls_cert_out;
    std::string tls_cert_names = "IP:127.0.0.1,DNS:localhost";
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
            else if (arg == "--answer-chunks")
                state.opts.answer_chunks = std::stoul(value());
            else if (arg == "--flowgpt-forms") {
                state.opts.flowgpt_forms.clear();
                for (auto& f : config::split_list(value()))
                    state.opts.flowgpt_forms.insert(f);
            } else if (arg == "--nonce-ttl-ms")
                state.opts.nonce_ttl = std::chrono::milliseconds(std::stol(value()));
            else if (arg == "--nonce-delay-ms")
                state.opts.nonce_delay = std::chrono::milliseconds(std::stol(value()));
            else if (arg == "--aipkit-page")
                state.opts.aipkit_page = value();
            else if (arg == "--site-origin")
                state.opts.site_origin = value();
            else if (arg == "--openai-keys")
                for (auto& k : config::split_list(value()))
                    state.opts.openai_keys.insert(k);
            else if (arg == "--openai-tokens")
                state.opts.openai_tokens = std::stoul(value());
            else if (arg == "--openai-token-delay-ms")
                state.opts.openai_token_delay = std::chrono::milliseconds(std::stol(value()));
            else if (arg == "--no-event-log")
                state.log.enabled = false;
            else if (arg == "--tls-listen")
                tls_listen = value();
            else if (arg == "--tls-cert-out")
                tls_cert_out = value();
            else if (arg == "--tls-cert-names")
                tls_cert_names = value();
            else
                throw std::runtime_error("unknown option " + arg);
        }
        const auto where = config::parse_listen_address(state.opts.listen);
        net::io_context ioc(1);
        tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address(where.host), where.port));
        std::printf("emulator listening on http://%s:%u\n", where.host.c_str(),
                    static_cast<unsigned>(acceptor.local_endpoint().port()));
        std::fflush(stdout);
        std::optional<net::ssl::context> tls;
        std::optional<tcp::acceptor> tls_acceptor;
        if (!tls_listen.empty()) {
            if (tls_cert_out.empty()) throw std::runtime_error("--tls-listen needs --tls-cert-out");
            tls.emplace(make_self_signed_context(tls_cert_out, tls_cert_names));
            const auto tls_where = config::parse_listen_address(tls_listen);
            tls_acceptor.emplace(ioc, tcp::endpoint(net::ip::make_address(tls_where.host), tls_where.port));
            std::printf("emulator tls on https://%s:%u\n", tls_where.host.c_str(),
                        static_cast<unsigned>(tls_acceptor->local_endpoint().port()));
            std::fflush(stdout);
            net::co_spawn(ioc, terminate_tls(*tls_acceptor, *tls, acceptor.local_endpoint()), net::detached);
        }
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
