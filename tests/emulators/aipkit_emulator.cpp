// chatgptfree.ai after upstreams.md part B: WordPress admin-ajax.php with AIPKit's three actions
// (nonce, cache, SSE stream), its Origin rule, single-use 60 s cache keys, a shared rotating
// nonce, and server-side memory keyed by (bot_id, conversation_uuid, session_id).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "emulator.hpp"
#include "tool_answers.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::emulator {
namespace {

using nlohmann::json;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr auto cache_ttl = std::chrono::seconds(60);
constexpr std::size_t memory_cap = 15;

/// Bots whose provider is OpenAI Responses: they emit `status` and `openai_response_id`.
bool openai_bot(const std::string& bot) { return bot == "25865" || bot == "25871"; }

/// PHP's json_encode with JSON_UNESCAPED_UNICODE: raw UTF-8, but `/` escaped as `\/`.
std::string php_json(const json& j) {
    std::string out;
    for (char c : j.dump()) {
        if (c == '/')
            out += "\\/";
        else
            out.push_back(c);
    }
    return out;
}

std::string lower_key(std::string_view s) {
    std::string out;
    for (char c : s) {
        const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (std::isalnum(static_cast<unsigned char>(l)) || l == '_' || l == '-') out.push_back(l); // sanitize_key
    }
    return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    const std::string url = "http://x/?" + std::string(query);
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return out;
    for (auto p : parsed->params())
        out[std::string(p.key)] = std::string(p.value);
    return out;
}

std::map<std::string, std::string> parse_multipart(std::string_view body, std::string_view content_type) {
    std::map<std::string, std::string> out;
    const auto b = content_type.find("boundary=");
    if (b == std::string_view::npos) return out;
    std::string boundary = "--" + std::string(content_type.substr(b + 9));
    if (boundary.size() > 2 && boundary[2] == '"') boundary = "--" + boundary.substr(3, boundary.size() - 4);
    std::size_t pos = body.find(boundary);
    while (pos != std::string_view::npos) {
        pos += boundary.size();
        if (body.substr(pos, 2) == "--") break;
        const auto head_end = body.find("\r\n\r\n", pos);
        const auto next = body.find(boundary, pos);
        if (head_end == std::string_view::npos || next == std::string_view::npos) break;
        const std::string_view head = body.substr(pos, head_end - pos);
        const auto n = head.find("name=\"");
        if (n != std::string_view::npos) {
            const auto close = head.find('"', n + 6);
            std::string_view value = body.substr(head_end + 4, next - head_end - 4);
            if (value.ends_with("\r\n")) value.remove_suffix(2);
            out[std::string(head.substr(n + 6, close - n - 6))] = std::string(value);
        }
        pos = next;
    }
    return out;
}

/// What the browser's JS would see with Latin-1: every byte becomes one character, re-encoded as UTF-8.
std::string double_encode(std::string_view utf8) {
    std::string out;
    for (unsigned char c : utf8) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

std::string sse_event(std::string_view name, const json& data, bool with_id = false) {
    std::string out;
    if (!name.empty()) out += "event: " + std::string(name) + "\n";
    if (with_id)
        out +=
            "id: err-" +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()) +
            "\n";
    return out + "data: " + php_json(data) + "\n\n";
}

std::string error_and_done(std::string_view message, const json& extra = json::object()) {
    json e = extra;
    e["error"] = message;
    return sse_event("error", e, true) + sse_event("done", json{{"finished", true}});
}

} // namespace

net::awaitable<void> send_text(beast::tcp_stream& stream, bhttp::status status, std::string_view content_type,
                               std::string_view body) {
    bhttp::response<bhttp::string_body> res{status, 11};
    res.set(bhttp::field::content_type, content_type);
    res.body() = body;
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, use_tuple);
}

std::vector<std::size_t> tiny_cuts(std::size_t size, std::mt19937& rng) {
    std::uniform_int_distribution<std::size_t> len(1, 7);
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0; at < size;)
        cuts.push_back(at = std::min(size, at + len(rng)));
    return cuts;
}

net::awaitable<bool> write_chunks(beast::tcp_stream& stream, const std::string& body, const std::vector<std::size_t>& cuts,
                                  std::chrono::milliseconds delay) {
    std::size_t from = 0;
    for (const std::size_t to : cuts) {
        if (to <= from) continue;
        auto chunk = bhttp::make_chunk(net::buffer(body.data() + from, to - from));
        auto [ec, n] = co_await net::async_write(stream, chunk, use_tuple);
        if (ec) co_return false;
        from = to;
        if (delay.count() > 0) {
            net::steady_timer t(co_await net::this_coro::executor, delay);
            co_await t.async_wait(use_tuple);
        }
    }
    co_return true;
}

bool aipkit_emulator::origin_allowed(const request& req) const {
    // The site's own origin is where it is served from (or the configured public URL).
    const auto origin = req[bhttp::field::origin];
    return origin.empty() || origin == opts_.site_origin || origin == "http://" + std::string(req[bhttp::field::host]);
}

bool aipkit_emulator::nonce_valid(const std::string& nonce) {
    const auto now = std::chrono::steady_clock::now();
    if (nonce_.empty() || now - nonce_minted_ >= 2 * opts_.nonce_ttl)
        previous_nonce_.clear();
    else if (now - nonce_minted_ >= opts_.nonce_ttl)
        previous_nonce_ = nonce_; // still valid for one more tick
    if (nonce_.empty() || now - nonce_minted_ >= opts_.nonce_ttl) {
        nonce_ = ids::hex(10);
        nonce_minted_ = now;
    }
    return !nonce.empty() && (nonce == nonce_ || nonce == previous_nonce_);
}

net::awaitable<bool> aipkit_emulator::handle(request& req, beast::tcp_stream& stream) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    if ((path == "/" || path == "/chat/") && req.method() == bhttp::verb::get) {
        co_await chat_page(path, stream);
        co_return true;
    }
    if (target.rfind("/wp-admin/admin-ajax.php", 0) != 0) co_return false;
    const auto q = target.find('?');
    form f = parse_query(q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1));
    if (req.method() == bhttp::verb::post) {
        const std::string content_type(req[bhttp::field::content_type]);
        const form body = content_type.rfind("multipart/form-data", 0) == 0 ? parse_multipart(req.body(), content_type)
                                                                            : parse_query(req.body());
        for (const auto& [k, v] : body)
            f[k] = v; // $_REQUEST: body wins
    }
    const std::string action = f.count("action") ? f["action"] : "";
    if (action == "aipkit_get_frontend_chat_nonce" && req.method() == bhttp::verb::post)
        co_await nonce(f, req, stream);
    else if (action == "aipkit_cache_sse_message" && req.method() == bhttp::verb::post)
        co_await cache(f, req, stream);
    else if (action == "aipkit_frontend_chat_stream" && req.method() == bhttp::verb::get)
        co_await chat_stream(f, req, stream);
    else {
        // WordPress answers an unknown action with a plain 0 and HTTP 400.
        co_await send_text(stream, bhttp::status::bad_request, "text/html; charset=UTF-8", "0");
    }
    co_return true;
}

namespace {

net::awaitable<void> wp_json(beast::tcp_stream& stream, int status, const json& body) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json; charset=UTF-8");
    res.set("x-robots-tag", "noindex");
    res.body() = php_json(body);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, use_tuple);
}

json wp_error(std::string_view message, std::string_view code) {
    return {{"success", false}, {"data", {{"message", message}, {"code", code}}}};
}

} // namespace

namespace {

struct page_bot {
    std::string_view id, provider, model;
    bool web_search;
};

/// The bots on a page of each variant, by page.
std::vector<page_bot> bots_on(const std::string& variant, const std::string& path) {
    const bool chat = path == "/chat/";
    if (variant == "changed") // 25874 is gone, 30001 is new
        return chat ? std::vector<page_bot>{{"25865", "OpenAI", "gpt-4o-mini", true},
                                            {"25871", "OpenAI", "gpt-5-nano", false},
                                            {"30001", "DeepSeek", "deepseek-chat", false}}
                    : std::vector<page_bot>{{"25871", "OpenAI", "gpt-5-nano", false}};
    if (variant == "site-b")
        return chat ? std::vector<page_bot>{{"501", "OpenAI", "gpt-4o-mini", false}, {"502", "Claude", "claude-3-haiku", false}}
                    : std::vector<page_bot>{{"502", "Claude", "claude-3-haiku", false}};
    return chat ? std::vector<page_bot>{{"25865", "OpenAI", "gpt-4o-mini", true}, {"25871", "OpenAI", "gpt-5-nano", false}}
                : std::vector<page_bot>{{"25871", "OpenAI", "gpt-5-nano", false}, {"25874", "Google", "gemini-2.5-flash", false}};
}

/// WordPress's esc_attr(): what a data-config attribute looks like in the page's HTML.
std::string esc_attr(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '"': out += "&quot;"; break;
        case '\'': out += "&#039;"; break;
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

} // namespace

net::awaitable<void> aipkit_emulator::chat_page(const std::string& path, beast::tcp_stream& stream) {
    const std::string variant = opts_.aipkit_page;
    log_.add("aipkit_page", json{{"path", path}, {"variant", variant}});
    if (variant == "cloudflare") {
        bhttp::response<bhttp::string_body> res{bhttp::status::forbidden, 11};
        res.set(bhttp::field::content_type, "text/html; charset=UTF-8");
        res.set("cf-mitigated", "challenge");
        res.set(bhttp::field::server, "cloudflare");
        res.body() = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>";
        res.prepare_payload();
        co_await bhttp::async_write(stream, res, use_tuple);
        co_return;
    }
    nonce_valid(""); // rotates the nonce if its tick has passed
    std::string html = "<!DOCTYPE html>\n<html lang=\"en-US\"><head><meta charset=\"UTF-8\"><title>Chat &#8211; Free AI "
                       "Chat</title></head>\n<body class=\"page\"><main>\n";
    if (variant != "no-bots") {
        for (const auto& bot : bots_on(variant, path)) {
            const json config = {{"nonce", nonce_},
                                 {"botId", std::string(bot.id)},
                                 {"postId", path == "/chat/" ? 261 : 6},
                                 {"ajaxUrl", "https://chatgptfree.ai/wp-admin/admin-ajax.php"},
                                 {"provider", bot.provider},
                                 {"model", bot.model},
                                 {"greeting", "Hi! Ask me \"anything\" & I'll <try>."},
                                 {"enableOpenAIConversationState", bot.provider == "OpenAI" ? "1" : "0"},
                                 {"allowWebSearchTool", bot.web_search ? "1" : "0"},
                                 {"enableGoogleConversationState", "0"},
                                 {"allowGoogleSearchGrounding", "0"}};
            html += "<div class=\"aipkit_chat_container aipkit-theme-light\" id=\"aipkit_chat_container_" + std::string(bot.id) +
                    "\" data-config=\"" + esc_attr(php_json(config)) + "\">\n  <div class=\"aipkit_chat_header\">" +
                    std::string(bot.model) + "</div>\n</div>\n";
        }
    } else {
        html += "<div id=\"chat-app\" data-bots=\"[]\"></div>\n"; // a redesign: no AIPKit containers any more
    }
    html += "</main></body></html>\n";
    co_await send_text(stream, bhttp::status::ok, "text/html; charset=UTF-8", html);
}

net::awaitable<void> aipkit_emulator::nonce(const form& f, const request& req, beast::tcp_stream& stream) {
    const bool check_origin = f.count("bot_id") && f.at("bot_id") != "0";
    if (check_origin && !origin_allowed(req)) {
        log_.add("aipkit_origin_rejected", json{{"origin", std::string(req[bhttp::field::origin])}});
        const json reply = wp_error("This domain is not permitted to access the chatbot.", "cors_denied");
        co_return co_await wp_json(stream, 403, reply);
    }
    nonce_valid(""); // rotates the nonce if its tick has passed
    log_.add("aipkit_nonce_issued");
    const std::string issued = nonce_; // it may rotate while we pause
    if (opts_.nonce_delay.count() > 0) {
        net::steady_timer t(co_await net::this_coro::executor, opts_.nonce_delay);
        co_await t.async_wait(use_tuple);
    }
    // Odd replies a broken or changed site might send (only through --scenario: no text here).
    json reply = {{"success", true}, {"data", {{"nonce", issued}}}};
    if (opts_.scenario == "nonce-success-number") reply["success"] = 1;
    if (opts_.scenario == "nonce-no-data") reply.erase("data");
    if (opts_.scenario == "nonce-data-string") reply["data"] = issued;
    if (opts_.scenario == "nonce-number") reply["data"]["nonce"] = 12345;
    co_await wp_json(stream, 200, reply);
}

net::awaitable<void> aipkit_emulator::cache(const form& f, const request& req, beast::tcp_stream& stream) {
    auto field = [&](const char* k) { return f.count(k) ? f.at(k) : std::string(); };
    if (field("bot_id") != "" && field("bot_id") != "0" && !origin_allowed(req)) {
        log_.add("aipkit_origin_rejected", json{{"origin", std::string(req[bhttp::field::origin])}});
        const json reply = wp_error("This domain is not permitted to access the chatbot.", "cors_denied");
        co_return co_await wp_json(stream, 403, reply);
    }
    if (!nonce_valid(lower_key(field("_ajax_nonce")))) {
        log_.add("aipkit_nonce_rejected", json{{"step", "cache"}});
        const json reply = wp_error("Your session has expired or the request is invalid. Please refresh the page and try again.",
                                    "nonce_failure_cache_sse");
        co_return co_await wp_json(stream, 403, reply);
    }
    std::size_t images = 0;
    if (const auto raw = field("image_inputs"); !raw.empty()) {
        const json parsed = json::parse(raw, nullptr, false);
        if (!parsed.is_array() || parsed.empty()) {
            const json reply = wp_error("Invalid image upload payload.", "invalid_image_payload");
            co_return co_await wp_json(stream, 400, reply);
        }
        if (parsed.size() > 4) {
            const json reply = wp_error("Too many images uploaded. Max images: 4.", "too_many_images");
            co_return co_await wp_json(stream, 400, reply);
        }
        for (const auto& img : parsed) {
            const std::string mime = img.is_object() ? img.value("mime_type", "") : "";
            if (mime != "image/jpeg" && mime != "image/png" && mime != "image/webp") {
                const json reply = wp_error("Invalid image type. Allowed: JPG, PNG, WEBP.", "invalid_image_type");
                co_return co_await wp_json(stream, 400, reply);
            }
            if (!img.contains("base64_data") || !img["base64_data"].is_string() ||
                img["base64_data"].get_ref<const std::string&>().empty()) {
                const json reply = wp_error("Invalid image data provided.", "invalid_image_payload");
                co_return co_await wp_json(stream, 400, reply);
            }
        }
        images = parsed.size();
    }
    const std::string message = field("message");
    if (message.empty() && images == 0) {
        const json reply = wp_error("Data to cache (message or image) cannot be empty.", "empty_data_to_cache");
        co_return co_await wp_json(stream, 400, reply);
    }
    const std::string key = "aipkit_sse_" + ids::alphanumeric(32);
    cache_[lower_key(key)] = {message, images, std::chrono::steady_clock::now() + cache_ttl};
    log_.add("aipkit_cached", json{{"images", images}});
    json reply = {{"success", true}, {"data", {{"cache_key", key}}}};
    // Odd replies a broken or changed site might send.
    const std::string scenario = scenario_of(message, opts_.scenario);
    int status = 200;
    if (scenario == "cache-success-number") reply["success"] = 1;
    if (scenario == "cache-key-number") reply["data"]["cache_key"] = 7;
    if (scenario == "cache-data-array") reply["data"] = json::array({key});
    if (scenario == "cache-code-number") {
        status = 400;
        reply = {{"success", false}, {"data", {{"message", "Refused."}, {"code", 400}}}};
    }
    co_await wp_json(stream, status, reply);
}

net::awaitable<void> aipkit_emulator::chat_stream(const form& q, const request& req, beast::tcp_stream& stream) {
    auto param = [&](const char* k) { return q.count(k) ? q.at(k) : std::string(); };
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
    res.set(bhttp::field::cache_control, "no-cache, no-store, must-revalidate, max-age=0, no-transform");
    res.set("x-accel-buffering", "no");
    res.chunked(true);
    res.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    if (auto [ec, n] = co_await bhttp::async_write_header(stream, sr, use_tuple); ec) co_return;

    // From here on every failure is HTTP 200 + an `error` event + `done` (B.4 processing order).
    std::string body = ":" + std::string(4096, ' ') + "\n\n";
    std::vector<std::size_t> cuts{body.size()};
    // Arguments are trivial on purpose: GCC 12 mishandles temporaries inside a co_await.
    auto fail = [&](std::string_view message, const json* extra = nullptr) -> net::awaitable<void> {
        body += error_and_done(message, extra ? *extra : json::object());
        cuts.push_back(body.size());
        co_await write_chunks(stream, body, cuts, std::chrono::milliseconds(0));
        auto last = bhttp::make_chunk_last();
        co_await net::async_write(stream, last, use_tuple);
    };
    const std::string bot = param("bot_id");
    if (bot != "" && bot != "0" && !origin_allowed(req)) {
        log_.add("aipkit_origin_rejected", json{{"origin", std::string(req[bhttp::field::origin])}, {"step", "stream"}});
        co_return co_await fail("This domain is not permitted to access the chatbot.");
    }
    if (!nonce_valid(lower_key(param("_ajax_nonce")))) {
        log_.add("aipkit_nonce_rejected", json{{"step", "stream"}});
        co_return co_await fail("Security check failed. Please refresh the page and try again.");
    }
    const std::string key = lower_key(param("cache_key"));
    if (key.empty()) co_return co_await fail("Message cache key is missing.");
    const auto cached = cache_.find(key);
    if (cached == cache_.end()) co_return co_await fail("Message not found in cache.");
    const cached_message msg = cached->second;
    cache_.erase(cached); // single use, even if what follows fails
    if (std::chrono::steady_clock::now() > msg.expires) co_return co_await fail("Cached message has expired.");
    const std::string conversation = lower_key(param("conversation_uuid"));
    const std::string session = param("session_id");
    if (conversation.empty()) co_return co_await fail("Conversation ID is missing.");
    if (session.empty()) co_return co_await fail("Session ID is missing for guest.");

    const std::string scenario = scenario_of(msg.message, opts_.scenario);
    log_.add("aipkit_stream", json{{"bot", bot},
                                   {"conversation_uuid", conversation},
                                   {"session_id", session},
                                   {"message", msg.message},
                                   {"web", param("frontend_web_search_active")},
                                   {"previous_openai_response_id", param("previous_openai_response_id")},
                                   {"scenario", scenario}});
    if (scenario == "quota") {
        const json notice = {{"quota_notice",
                              {{"type", "quota_notice"},
                               {"message", "You have reached your quota for this period."},
                               {"actions", json::array()}}}};
        co_return co_await fail("You have reached your quota for this period.", &notice);
    }
    if (scenario == "stream-nonce") co_return co_await fail("Security check failed. Please refresh the page and try again.");
    if (scenario == "lost-key" && first_tries_[msg.message]++ == 0) co_return co_await fail("Message not found in cache.");
    if (scenario == "api-error") co_return co_await fail("API Error: The model is overloaded.");

    memory& mem = memories_[bot + "|" + conversation + "|" + session];
    mem.messages.emplace_back("user", msg.message);
    std::size_t turn = 0;
    for (const auto& [role, text] : mem.messages)
        turn += role == "user";
    std::string previous = "none";
    for (auto it = mem.messages.rbegin(); it != mem.messages.rend(); ++it)
        if (it->first == "assistant") {
            previous = it->second.substr(0, 12);
            break;
        }
    const std::string web = param("frontend_web_search_active") == "true" ? "on" : "off";
    const std::string prev_resp = param("previous_openai_response_id").empty() ? "none" : param("previous_openai_response_id");
    std::string context;
    for (const auto& [role, text] : mem.messages)
        context += text + "\n";
    const auto with_tools = tool_answer(msg.message, context);
    const std::string thinking = scenario == "think" ? "<think>I should echo the question.</think>\n" : "";
    const std::string answer = opts_.answer_chunks ? filler_words(3 * opts_.answer_chunks)
                               : with_tools        ? thinking + *with_tools
                               : !thinking.empty() ? thinking + "you said: " + msg.message
                                                   : "turn " + std::to_string(turn) + " | bot " + bot + " | web " + web +
                                                         " | images " + std::to_string(msg.images) + " | previous: " + previous +
                                                         " | prev_resp: " + prev_resp + " | you said: " + msg.message;

    body += sse_event("message_start",
                      json{{"message_id", "aipkit-msg-" + ids::hex(14) + "." + std::to_string(10000000 + rng_() % 89999999)}});
    const std::string response_id = "resp_" + ids::hex(24);
    if (openai_bot(bot))
        body += sse_event("status", json{{"type", "response.created"}, {"status", "in_progress"}, {"response_id", response_id}});
    body += sse_event("", json{{"delta", ""}});
    cuts.push_back(body.size());
    // Coalesced deltas of three words; the id event comes before the last one (B.7.13).
    std::vector<std::string> deltas;
    {
        std::size_t start = 0, words = 0;
        for (std::size_t i = 0; i <= answer.size(); ++i) {
            if (i == answer.size() || (answer[i] == ' ' && ++words % 3 == 0)) {
                deltas.push_back(answer.substr(start, i - start));
                start = i;
            }
        }
    }
    for (std::size_t i = 0; i < deltas.size(); ++i) {
        if (scenario == "disconnect" && i == deltas.size() / 2) {
            co_await write_chunks(stream, body, cuts, std::chrono::milliseconds(0));
            log_.add("disconnected_mid_stream");
            stream.socket().close();
            co_return;
        }
        if (openai_bot(bot) && i + 1 == deltas.size()) body += sse_event("openai_response_id", json{{"id", response_id}});
        const std::string text = scenario == "double-encode" ? double_encode(deltas[i]) : deltas[i];
        body += sse_event("", json{{"delta", text}});
        cuts.push_back(body.size());
    }
    body += sse_event("", json{{"delta", ""}}) + sse_event("done", json{{"finished", true}});
    cuts.push_back(body.size());

    auto delay = opts_.token_delay;
    if (scenario == "slow") delay = std::chrono::milliseconds(200);
    if (scenario == "tiny-writes") {
        cuts = tiny_cuts(body.size(), rng_);
        if (delay.count() == 0) delay = std::chrono::milliseconds(1);
    }
    if (!co_await write_chunks(stream, body, cuts, delay)) {
        log_.add("client_closed");
        co_return; // like the plugin: an aborted reply is not remembered
    }
    auto last = bhttp::make_chunk_last();
    co_await net::async_write(stream, last, use_tuple);
    memories_[bot + "|" + conversation + "|" + session].messages.emplace_back("assistant", answer);
    auto& stored = memories_[bot + "|" + conversation + "|" + session];
    while (stored.messages.size() > memory_cap)
        stored.messages.erase(stored.messages.begin());
    if (openai_bot(bot)) stored.last_response_id = response_id;
}

} // namespace switchyard::emulator
