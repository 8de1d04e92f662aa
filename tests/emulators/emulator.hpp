#pragma once
// switchyard-emulator: upstream protocols spoken faithfully (see ../../../shared/upstreams.md),
// including their failure modes, so every test runs without the internet.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <deque>
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
    std::size_t answer_chunks = 0; // benchmarks: FlowGPT answers in this many lines, AIPKit in as many deltas
    long max_clock_skew_s = 300;
    /// The /v3/chat forms FlowGPT accepts (upstreams.md A.3, A.4): "conversation" (with
    /// /conversation/create), "history", "anonymous" (/v3/chat-anonymous). A test drops one to
    /// see the gateway cope (--flowgpt-forms, or POST /_emulator/settings at run time).
    std::set<std::string> flowgpt_forms{"conversation", "history", "anonymous"};
    // AIPKit
    std::chrono::milliseconds nonce_ttl{12 * 3600 * 1000}; // one WordPress nonce tick
    std::chrono::milliseconds nonce_delay{0};              // before each nonce reply, so callers overlap
    std::string site_origin = "https://chatgptfree.ai";
    /// What the chat pages ("/chat/", "/") show (upstreams.md B.0): "default" (chatgptfree.ai's
    /// bots), "changed" (a bot added and one gone), "site-b" (another site's bots), "cloudflare"
    /// (a 403 challenge) or "no-bots" (the markup changed). --aipkit-page, or POST
    /// /_emulator/settings {"aipkit_page": …} while it runs.
    std::string aipkit_page = "default";
    // OpenAI mode
    std::set<std::string> openai_keys; // accepted API keys; empty: any
    std::size_t openai_tokens = 20;    // answer length in tokens
    std::chrono::milliseconds openai_token_delay{0};
};

/// A benchmark answer of `words` words ("w0 w1 …"), whatever was asked.
inline std::string filler_words(std::size_t words) {
    std::string out;
    for (std::size_t i = 0; i < words; ++i)
        out += (i ? " w" : "w") + std::to_string(i);
    return out;
}

/// What the emulator saw, for tests to assert on (GET /_emulator/events): the latest 10,000
/// events. Benchmarks switch it off (--no-event-log) so that it costs nothing per request.
struct event_log {
    std::deque<nlohmann::json> events;
    bool enabled = true;
    void add(std::string type, nlohmann::json detail = nlohmann::json::object());
    std::string dump() const;
};

class flowgpt_emulator {
public:
    flowgpt_emulator(const options& opts, event_log& log) : opts_(opts), log_(log) {}

    /// Handles a FlowGPT route; returns false when the path is not one of FlowGPT's.
    net::awaitable<bool> handle(request& req, beast::tcp_stream& stream);

private:
    net::awaitable<void> send_json(beast::tcp_stream& stream, int status, const nlohmann::json& body);
    net::awaitable<void> prompt(const std::string& target, beast::tcp_stream& stream);
    /// Answers a scenario that fails the chat; false when the scenario lets it answer.
    net::awaitable<bool> scenario_failure(beast::tcp_stream& stream, const std::string& scenario, const std::string& tag);
    std::optional<nlohmann::json> anonymous_error(const request& req, const nlohmann::json& body) const;
    net::awaitable<void> stream_answer(beast::tcp_stream& stream, const std::string& scenario, const std::string& answer);
    std::optional<nlohmann::json> auth_error(const request& req) const;
    std::optional<nlohmann::json> signature_error(const request& req, config::signature_scheme scheme) const;

    const options& opts_;
    event_log& log_;
    std::map<std::string, nlohmann::json> conversations_; // id -> {promptId, messages}
    std::mt19937 rng_{12345};
};

/// The chatgptfree.ai site: WordPress admin-ajax.php with the AIPKit plugin (upstreams.md part B).
class aipkit_emulator {
public:
    aipkit_emulator(const options& opts, event_log& log) : opts_(opts), log_(log) {}

    /// Handles /wp-admin/admin-ajax.php; returns false for any other path.
    net::awaitable<bool> handle(request& req, beast::tcp_stream& stream);

private:
    using form = std::map<std::string, std::string>;
    struct cached_message {
        std::string message;
        std::size_t images = 0;
        std::chrono::steady_clock::time_point expires;
    };
    struct memory {
        std::vector<std::pair<std::string, std::string>> messages; // role, text; at most 15
        std::string last_response_id;
    };

    net::awaitable<void> chat_page(const std::string& path, beast::tcp_stream& stream);
    net::awaitable<void> nonce(const form& f, const request& req, beast::tcp_stream& stream);
    net::awaitable<void> cache(const form& f, const request& req, beast::tcp_stream& stream);
    net::awaitable<void> chat_stream(const form& q, const request& req, beast::tcp_stream& stream);
    bool nonce_valid(const std::string& nonce);
    bool origin_allowed(const request& req) const;

    const options& opts_;
    event_log& log_;
    std::string nonce_, previous_nonce_;
    std::chrono::steady_clock::time_point nonce_minted_{};
    std::map<std::string, cached_message> cache_;
    std::map<std::string, memory> memories_; // key: bot|conversation_uuid|session_id
    std::map<std::string, int> first_tries_; // scenario bookkeeping, by message text
    std::mt19937 rng_{777};
};

/// An OpenAI-compatible server (/v1/chat/completions, /v1/models): the benchmark upstream, so it
/// builds its answers with plain string appends and keeps connections alive.
class openai_emulator {
public:
    openai_emulator(const options& opts, event_log& log) : opts_(opts), log_(log) {}
    /// Handles /v1/...; returns false for any other path.
    net::awaitable<bool> handle(request& req, beast::tcp_stream& stream);

private:
    net::awaitable<bool> native_tools(const nlohmann::json& body, const std::string& question, bool streaming,
                                      beast::tcp_stream& stream, bool keep_alive);

    const options& opts_;
    event_log& log_;
};

std::string scenario_of(const std::string& text, const std::string& fallback);

/// A complete response with a fixed body.
net::awaitable<void> send_text(beast::tcp_stream& stream, bhttp::status status, std::string_view content_type,
                               std::string_view body);

/// Write boundaries of 1–7 bytes over a body of `size` bytes: the "tiny-writes" scenario.
std::vector<std::size_t> tiny_cuts(std::size_t size, std::mt19937& rng);

/// Writes `body` as chunks, cut where `cuts` says, pausing `delay` between writes. False when the client went away.
net::awaitable<bool> write_chunks(beast::tcp_stream& stream, const std::string& body, const std::vector<std::size_t>& cuts,
                                  std::chrono::milliseconds delay);

} // namespace switchyard::emulator
