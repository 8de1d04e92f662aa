#pragma once
// switchyard-emulator: upstream protocols spoken faithfully (see ../../../shared/upstreams.md),
// including their failure modes, so every test runs without the internet.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "switchyard/config/settings.hpp"

namespace switchyard::emulator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

using request = bhttp::request<bhttp::string_body>;

struct options {
    std::string listen = "127.0.0.1:0";
    config::signature_scheme signature = config::signature_scheme::v2;
    std::set<std::string> tokens; // accepted bearer tokens; empty: any
    std::string device_id;        // expected x-flow-device-id; empty: any
    std::string scenario;         // applied to every request unless the question names one
    std::chrono::milliseconds token_delay{0};
    long max_clock_skew_s = 300;
};

/// What the emulator saw, for tests to assert on (GET /_emulator/events).
struct event_log {
    nlohmann::json events = nlohmann::json::array();
    void add(std::string type, nlohmann::json detail = nlohmann::json::object());
};

class flowgpt_emulator {
public:
    flowgpt_emulator(const options& opts, event_log& log) : opts_(opts), log_(log) {}

    /// Handles a FlowGPT route; returns false when the path is not one of FlowGPT's.
    net::awaitable<bool> handle(request& req, beast::tcp_stream& stream);

private:
    net::awaitable<void> send_json(beast::tcp_stream& stream, int status, const nlohmann::json& body);
    net::awaitable<void> stream_answer(beast::tcp_stream& stream, const std::string& scenario, const std::string& answer);
    std::optional<nlohmann::json> auth_error(const request& req) const;
    std::optional<nlohmann::json> signature_error(const request& req) const;

    const options& opts_;
    event_log& log_;
    std::map<std::string, nlohmann::json> conversations_; // id -> {promptId, messages}
    std::mt19937 rng_{12345};
};

std::string scenario_of(const std::string& text, const std::string& fallback);

} // namespace switchyard::emulator
