// FlowGPT, after upstreams.md part A: /conversation/create stores the injected context,
// /v3/chat checks token and signature and streams NDJSON {"event":"text","data":…} lines,
// chunked, then closes the connection.
#include "emulator.hpp"
#include "tool_answers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>

#include "switchyard/util/ids.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::emulator {
namespace {

using nlohmann::json;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

net::awaitable<void> pause(std::chrono::milliseconds d) {
    if (d.count() <= 0) co_return;
    net::steady_timer t(co_await net::this_coro::executor, d);
    co_await t.async_wait(use_tuple);
}

std::string bearer(const request& req) {
    std::string v(req[bhttp::field::authorization]);
    return v.rfind("Bearer ", 0) == 0 ? v.substr(7) : std::string();
}

bool all_hex(std::string_view s) { return s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

std::string nanoid21() {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    std::string id = ids::alphanumeric(21);
    id[3] = alphabet[62 + (id[0] & 1)]; // always include a `_` or `-`, as real ids often do
    return id;
}

/// The deterministic answer: it restates what the emulator received, so tests can check the
/// context injection (message count and roles) and the question.
std::string answer_for(const json& conversation, const std::string& question, double temperature) {
    std::string roles;
    std::string system;
    for (const auto& m : conversation["messages"]) {
        if (!roles.empty()) roles += ",";
        const auto role = m.value("role", std::string("?"));
        roles += role;
        if (role == "system" && system.empty()) system = m.value("content", std::string());
    }
    char temp[32];
    std::snprintf(temp, sizeof temp, "%.2f", temperature);
    std::string out =
        "echo: " + question + " | context: " + std::to_string(conversation["messages"].size()) + " messages [" + roles + "]";
    if (!system.empty()) out += " | system: " + system;
    out += " | temperature: " + std::string(temp);
    return out;
}

/// Prompts the marketplace knows by slug (A.5): the promptId /v3/chat takes, title, description.
struct catalog_prompt {
    std::string_view slug, id, title, description;
};
constexpr catalog_prompt prompt_catalog[] = {
    {"helpful-assistant", "hElPfUlAsSiStAnT0001x", "Helpful Assistant", "Answers questions plainly."},
    {"pirate-captain", "pIrAtEcApTaIn-0000002", "Pirate Captain", "Talks like a pirate, arr."},
};

/// The anonymous endpoint's models (A.4).
constexpr std::string_view anonymous_models[] = {
    "gpt-3.5-turbo", "gpt-3.5-long",  "gpt-4-turbo",   "google-gemini",      "claude-instant", "claude-v1",       "claude-v2",
    "llama2-13b",    "mythalion-13b", "pygmalion-13b", "chronos-hermes-13b", "Mixtral-8x7B",   "Dolphin-2.6-8x7B"};

bool nanoid_like(std::string_view s) {
    return s.size() == 21 &&
           s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == std::string_view::npos;
}

/// A history-form body's context as /conversation/create would have stored it: the system
/// text, the history turns and the question.
std::optional<json> inline_conversation(const json& body, const std::string& question) {
    const auto history = body.find("history");
    if (history == body.end() || !history->is_array()) return std::nullopt;
    json messages = json::array();
    if (const auto system = body.find("system"); system != body.end()) {
        if (!system->is_string()) return std::nullopt;
        if (!system->get<std::string>().empty()) messages.push_back({{"role", "system"}, {"content", *system}});
    }
    for (const auto& m : *history) {
        if (!m.is_object() || !m.contains("content") || !m["content"].is_string()) return std::nullopt;
        const auto role = m.value("role", std::string());
        if (role != "user" && role != "assistant") return std::nullopt;
        messages.push_back(m);
    }
    messages.push_back({{"role", "user"}, {"content", question}});
    return json{{"promptId", body.value("promptId", json())}, {"messages", std::move(messages)}};
}

std::string text_line(std::string_view text) { return json{{"event", "text"}, {"data", text}}.dump() + "\n"; }

} // namespace

std::string scenario_of(const std::string& text, const std::string& fallback) {
    const auto at = text.find("[scenario:");
    if (at == std::string::npos) return fallback;
    const auto end = text.find(']', at);
    return end == std::string::npos ? fallback : text.substr(at + 10, end - at - 10);
}

void event_log::add(std::string type, json detail) {
    if (!enabled) return;
    detail["type"] = std::move(type);
    detail["at_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    events.push_back(std::move(detail));
    if (events.size() > 10000) events.pop_front();
}

std::string event_log::dump() const {
    json all = json::array();
    for (const auto& e : events)
        all.push_back(e);
    return all.dump();
}

net::awaitable<void> flowgpt_emulator::send_json(beast::tcp_stream& stream, int status, const json& body) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json; charset=utf-8");
    res.body() = body.dump();
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, use_tuple);
}

std::optional<json> flowgpt_emulator::auth_error(const request& req) const {
    const auto token = bearer(req);
    if (token.empty() || (!opts_.tokens.empty() && !opts_.tokens.contains(token)))
        return json{{"statusCode", 401}, {"message", "Unauthorized"}};
    if (!opts_.device_id.empty() && req["x-flow-device-id"] != opts_.device_id)
        return json{{"statusCode", 401}, {"message", "Unknown device"}};
    return std::nullopt;
}

std::optional<json> flowgpt_emulator::signature_error(const request& req, config::signature_scheme scheme) const {
    if (scheme == config::signature_scheme::none) return std::nullopt;
    const std::string nonce(req["x-nonce"]);
    const std::string ts(req["x-timestamp"]);
    const std::string sig(req["x-signature"]);
    if (nonce.size() != 32 || !all_hex(nonce) || ts.size() != 10 || sig.size() != 32)
        return json{{"statusCode", 403}, {"message", "Missing or malformed signature headers"}};
    const long now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (std::labs(std::stol(ts) - now) > opts_.max_clock_skew_s) return json{{"statusCode", 403}, {"message", "Stale timestamp"}};
    const std::string device(req["x-flow-device-id"]);
    const std::string authorization(req[bhttp::field::authorization]);
    std::string input;
    switch (scheme) {
    case config::signature_scheme::v1: input = ts + "-" + nonce + "-" + authorization; break;
    case config::signature_scheme::v2: input = ts + nonce + device; break;
    case config::signature_scheme::v3: input = ts + ":" + nonce + ":" + device; break;
    case config::signature_scheme::none: break;
    }
    if (secrets::md5_hex(input) != sig) return json{{"statusCode", 403}, {"message", "Invalid signature"}};
    return std::nullopt;
}

net::awaitable<void> flowgpt_emulator::prompt(const std::string& target, beast::tcp_stream& stream) {
    // GET /prompt/<slug>/ needs no auth (A.5); a slug or a promptId names the prompt.
    const std::string slug = target.substr(8, target.size() - 9);
    log_.add("prompt_lookup", {{"slug", slug}});
    if (slug == "broken-lookup") {
        const json reply = {{"statusCode", 500}, {"message", "Internal server error"}};
        co_return co_await send_json(stream, 500, reply);
    }
    for (const auto& p : prompt_catalog)
        if (slug == p.slug || slug == p.id) {
            const json reply = {{"prompt",
                                 {{"id", p.id},
                                  {"title", p.title},
                                  {"description", p.description},
                                  {"language", "en"},
                                  {"coverURL", ""},
                                  {"thumbnailURL", ""},
                                  {"type", "CHARACTER"},
                                  {"nsfw", false},
                                  {"exampleConversation", json::array()},
                                  {"promptTags", json::array()}}}};
            co_await send_json(stream, 200, reply);
            co_return;
        }
    if (nanoid_like(slug)) {
        const json reply = {{"prompt",
                             {{"id", slug},
                              {"title", "Emulated prompt"},
                              {"description", ""},
                              {"language", "en"},
                              {"nsfw", false},
                              {"exampleConversation", json::array()},
                              {"promptTags", json::array()}}}};
        co_await send_json(stream, 200, reply);
        co_return;
    }
    {
        const json reply = {{"statusCode", 404}, {"message", "Prompt not found"}};
        co_await send_json(stream, 404, reply);
    }
}

std::optional<json> flowgpt_emulator::anonymous_error(const request& req, const json& body) const {
    if (req[bhttp::field::authorization] != "Bearer null") return json{{"statusCode", 401}, {"message", "Unauthorized"}};
    const std::string device(req["x-flow-device-id"]);
    if (device.size() != 21 || !device.starts_with("f-") ||
        device.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789", 2) != std::string::npos)
        return json{{"statusCode", 403}, {"message", "Unknown device"}};
    const std::string model = body.value("model", std::string());
    if (std::find(std::begin(anonymous_models), std::end(anonymous_models), model) == std::end(anonymous_models))
        return json{{"statusCode", 400}, {"message", "Invalid model"}};
    return std::nullopt;
}

net::awaitable<bool> flowgpt_emulator::scenario_failure(beast::tcp_stream& stream, const std::string& scenario,
                                                        const std::string& tag) {
    if (scenario == "401") {
        {
            const json reply = {{"statusCode", 401}, {"message", "Unauthorized"}};
            co_await send_json(stream, 401, reply);
        }
        co_return true;
    }
    if (scenario == "403") {
        {
            const json reply = {{"statusCode", 403}, {"message", "Forbidden"}};
            co_await send_json(stream, 403, reply);
        }
        co_return true;
    }
    if (scenario == "429") {
        bhttp::response<bhttp::string_body> res{bhttp::status::too_many_requests, 11};
        res.set(bhttp::field::content_type, "application/json");
        res.set(bhttp::field::retry_after, "7");
        res.body() = R"({"statusCode":429,"message":"too many requests from your ip"})";
        res.prepare_payload();
        co_await bhttp::async_write(stream, res, use_tuple);
        co_return true;
    }
    if (scenario == "403-html") {
        co_await send_text(
            stream, bhttp::status::forbidden, "text/html",
            "<html><head><title>403 Forbidden</title></head><body><h1>Request blocked by AWS WAF</h1></body></html>");
        co_return true;
    }
    if (scenario == "500") {
        {
            const json reply = {{"statusCode", 503}, {"message", "Service Unavailable"}};
            co_await send_json(stream, 503, reply);
        }
        co_return true;
    }
    if (scenario == "stall") {
        // Never answer; report when the caller gives up and closes the connection.
        co_await stream.socket().async_wait(net::ip::tcp::socket::wait_read, use_tuple);
        log_.add("client_closed", json{{"conversation", tag}});
        co_return true;
    }
    co_return false;
}

net::awaitable<bool> flowgpt_emulator::handle(request& req, beast::tcp_stream& stream) {
    const std::string target(req.target());
    if (target.rfind("/prompt/", 0) == 0 && target.size() > 9 && target.back() == '/' && req.method() == bhttp::verb::get) {
        co_await prompt(target, stream);
        co_return true;
    }
    if (target != "/conversation/create" && target != "/v3/chat" && target != "/v3/chat-anonymous") co_return false;
    const auto offered = [&](const char* form) { return opts_.flowgpt_forms.contains(form); };
    if ((target == "/conversation/create" && !offered("conversation")) ||
        (target == "/v3/chat-anonymous" && !offered("anonymous"))) {
        log_.add("flowgpt_route_gone", {{"path", target}});
        {
            const json reply = {{"statusCode", 404}, {"message", "Cannot POST " + target}, {"error", "Not Found"}};
            co_await send_json(stream, 404, reply);
        }
        co_return true;
    }

    const json body = json::parse(req.body(), nullptr, false);
    if (!body.is_object()) {
        {
            const json reply = {{"statusCode", 400}, {"message", "Bad Request"}};
            co_await send_json(stream, 400, reply);
        }
        co_return true;
    }
    const bool anonymous = target == "/v3/chat-anonymous";
    if (auto err = anonymous ? anonymous_error(req, body) : auth_error(req)) {
        log_.add("auth_rejected", {{"path", target}});
        co_await send_json(stream, (*err)["statusCode"].get<int>(), *err);
        co_return true;
    }

    if (target == "/conversation/create") {
        if (!body.contains("promptId") || !body.contains("messages") || !body["messages"].is_array() ||
            body.value("location", "") != "CHAT_PAGE") {
            {
                const json reply = {{"statusCode", 400}, {"message", "Invalid conversation"}};
                co_await send_json(stream, 400, reply);
            }
            co_return true;
        }
        if (body["promptId"] == "missing-prompt") { // a prompt FlowGPT does not have (synthetic, as A.7 advises)
            const json reply = {{"statusCode", 404}, {"message", "Prompt not found"}};
            co_await send_json(stream, 404, reply);
            co_return true;
        }
        const std::string id = nanoid21();
        conversations_[id] = {{"promptId", body["promptId"]}, {"messages", body["messages"]}};
        log_.add("conversation_created", {{"id", id}, {"messages", body["messages"].size()}});
        {
            const json reply = {{"id", id}, {"promptId", body["promptId"]}};
            co_await send_json(stream, 200, reply);
        }
        co_return true;
    }

    // /v3/chat and /v3/chat-anonymous
    const std::string question = body.value("question", std::string());
    const std::string scenario = scenario_of(question, opts_.scenario);
    const bool signed_v1 = anonymous && opts_.signature != config::signature_scheme::none;
    if (auto err = signed_v1 ? signature_error(req, config::signature_scheme::v1) : signature_error(req, opts_.signature)) {
        log_.add("signature_rejected");
        co_await send_json(stream, 403, *err);
        co_return true;
    }
    const std::string conversation_id = body.value("conversationId", std::string());
    json inline_context;
    auto conv = conversations_.end();
    if (!anonymous && !conversation_id.empty()) {
        conv = conversations_.find(conversation_id);
        if (conv == conversations_.end() || conv->second["promptId"] != body.value("promptId", json())) {
            {
                const json reply = {{"statusCode", 404}, {"message", "Conversation not found"}};
                co_await send_json(stream, 404, reply);
            }
            co_return true;
        }
    } else {
        auto context = anonymous || offered("history") ? inline_conversation(body, question) : std::nullopt;
        if (!context) {
            {
                const json reply = {{"statusCode", 400}, {"message", "conversationId must be a string"}};
                co_await send_json(stream, 400, reply);
            }
            co_return true;
        }
        inline_context = std::move(*context);
    }
    const std::string form = anonymous ? "anonymous" : conv != conversations_.end() ? "conversation" : "history";
    log_.add(anonymous ? "chat_anonymous" : "chat", {{"conversation", conversation_id},
                                                     {"form", form},
                                                     {"promptId", body.value("promptId", json())},
                                                     {"model", body.value("model", json())},
                                                     {"question", question},
                                                     {"scenario", scenario}});
    if (co_await scenario_failure(stream, scenario, conversation_id)) co_return true;

    // Server-side memory (the conversation form): the question joins the conversation (unless
    // the create call already seeded it as the last message, as one-shot clients do), and so
    // does the answer.
    json& context = conv != conversations_.end() ? conv->second : inline_context;
    json& messages = context["messages"];
    const bool seeded =
        !messages.empty() && messages.back().value("role", "") == "user" && messages.back().value("content", "") == question;
    if (!seeded) messages.push_back({{"role", "user"}, {"content", question}});
    std::string transcript;
    for (const auto& m : messages)
        transcript += m.value("content", std::string()) + "\n";
    const auto with_tools = tool_answer(question, transcript);
    std::string answer = opts_.answer_chunks ? filler_words(opts_.answer_chunks)
                         : with_tools        ? *with_tools
                                             : answer_for(context, question, body.value("temperature", 0.7));
    if (!opts_.answer_chunks && !with_tools && form != "conversation") answer += " | form: " + form;
    if (!opts_.answer_chunks && !with_tools && anonymous) answer += " | model: " + body.value("model", std::string());
    co_await stream_answer(stream, scenario, answer);
    if (auto again = conversations_.find(conversation_id); again != conversations_.end())
        again->second["messages"].push_back({{"role", "assistant"}, {"content", answer}});
    co_return true;
}

net::awaitable<void> flowgpt_emulator::stream_answer(beast::tcp_stream& stream, const std::string& scenario,
                                                     const std::string& answer) {
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "application/json"); // no charset, as observed (A.3)
    res.chunked(true);
    res.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    if (auto [ec, n] = co_await bhttp::async_write_header(stream, sr, use_tuple); ec) co_return;

    // The body as NDJSON, then cut into writes as the scenario asks.
    std::string body;
    std::vector<std::size_t> cuts; // byte offsets where a write ends
    auto split_words = [&](const std::string& text) {
        std::size_t start = 0;
        while (start < text.size()) {
            auto sp = text.find(' ', start + 1);
            if (sp == std::string::npos) sp = text.size();
            body += text_line(text.substr(start, sp - start));
            cuts.push_back(body.size());
            start = sp;
        }
    };
    if (scenario == "prefix") {
        body += text_line("**Assistant Resp");
        cuts.push_back(body.size());
        body += text_line("onse:**  ");
        cuts.push_back(body.size());
        split_words(answer);
    } else if (scenario == "thinking-preamble") { // a prompt that thinks aloud before its header
        split_words("Thinking: the user wants an echo, so I echo. **Response:** ");
        split_words(answer);
    } else if (scenario == "think") { // a reasoning model's <think> block, cut mid-tag
        split_words("<think>I should echo the");
        body += text_line(" question.</thi");
        cuts.push_back(body.size());
        body += text_line("nk>\n\n");
        cuts.push_back(body.size());
        split_words(answer);
    } else if (scenario == "utf8-split") {
        const std::string text = "héllo wörld 世界 🎉 " + answer;
        const std::string line = text_line(text);
        body = line;
        cuts.push_back(line.find("世") + 1); // inside the 3-byte sequence
        cuts.push_back(line.find("🎉") + 2);  // inside the 4-byte sequence
        cuts.push_back(body.size());
    } else if (scenario == "mixed") {
        body += "\n";
        body += R"({"event":"meta","data":{"model":"FlowGPT-Ares"}})"
                "\n";
        body += text_line("first");
        body += "\r\n";
        body += "this is not json\n";
        body += R"({"data":" second"})"
                "\n";                                  // the older shape without `event`
        body += R"({"event":"text","data":" third"})"; // no trailing newline at end of body
        cuts.push_back(body.size());
    } else if (scenario == "garbage") {
        body = "<html>oops</html>\nnot json either\n";
        cuts.push_back(body.size());
    } else if (scenario == "long") {
        for (int i = 0; i < 200; ++i) {
            body += text_line("tok" + std::to_string(i) + " ");
            cuts.push_back(body.size());
        }
    } else {
        split_words(answer);
    }

    std::chrono::milliseconds delay = opts_.token_delay;
    if (scenario == "slow") delay = std::chrono::milliseconds(200);
    if (scenario == "tiny-writes") {
        cuts = tiny_cuts(body.size(), rng_);
        if (delay.count() == 0) delay = std::chrono::milliseconds(1);
    }
    if (scenario == "utf8-split" && delay.count() == 0) delay = std::chrono::milliseconds(20);

    if (scenario == "late") co_await pause(std::chrono::milliseconds(800)); // accepted, but thinking

    std::size_t from = 0;
    for (std::size_t i = 0; i < cuts.size(); ++i) {
        const std::size_t to = cuts[i];
        if (scenario == "disconnect" && i == cuts.size() / 2) {
            log_.add("disconnected_mid_stream");
            stream.socket().close(); // no last chunk: a truncated body
            co_return;
        }
        auto chunk = bhttp::make_chunk(net::buffer(body.data() + from, to - from));
        auto [ec, n] = co_await net::async_write(stream, chunk, use_tuple);
        if (ec) {
            log_.add("client_closed");
            co_return;
        }
        from = to;
        co_await pause(delay);
    }
    auto last = bhttp::make_chunk_last();
    co_await net::async_write(stream, last, use_tuple);
}

} // namespace switchyard::emulator
