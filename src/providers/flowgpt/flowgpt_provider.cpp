#include "switchyard/providers/flowgpt/flowgpt_provider.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "switchyard/providers/flowgpt/prefix_cleaner.hpp"
#include "switchyard/providers/flowgpt/signer.hpp"
#include "switchyard/providers/upstream_errors.hpp"
#include "switchyard/providers/upstream_json.hpp"
#include "switchyard/upstream/http_client.hpp"
#include "switchyard/upstream/ndjson_reader.hpp"
#include "switchyard/util/ids.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::providers::flowgpt {
namespace {

using nlohmann::json;

constexpr std::size_t max_error_body = 64 * 1024;

provider_error error(failure_reason reason, std::string message, std::optional<long> retry_after = std::nullopt) {
    return provider_error{reason, std::move(message), retry_after, std::nullopt};
}

/// What a non-2xx status means. 401/403 (including WAF pages) reject the credential.
enum class status_verdict { ok, credential_rejected, failed };

status_verdict classify(int status) {
    if (status >= 200 && status < 300) return status_verdict::ok;
    if (status == 401 || status == 403) return status_verdict::credential_rejected;
    return status_verdict::failed;
}

provider_error status_error(const upstream::response& r, std::string_view step) {
    const int status = r.status();
    if (status == 429)
        return error(failure_reason::rate_limited, "FlowGPT is rate limiting requests; try again later.",
                     retry_after_seconds(r.header("retry-after")));
    return error(failure_reason::upstream_failed,
                 "FlowGPT " + std::string(step) + " failed with HTTP " + std::to_string(status) + ".");
}

upstream::header_list headers_as(std::string authorization, const std::string& device_id) {
    return {
        {"Authorization", std::move(authorization)},
        {"Content-Type", "application/json"},
        {"Accept", "*/*"},
        {"x-flow-device-id", device_id},
        {"x-flow-language", "en"},
        {"Origin", "https://flowgpt.com"},
        {"Referer", "https://flowgpt.com/"},
    };
}

upstream::header_list common_headers(std::string_view token, const config::flowgpt_settings& s) {
    return headers_as("Bearer " + std::string(token), s.device_id);
}

/// A slug as it appears in a `flowgpt.com/chat/<slug>` URL: anything else is not looked up.
bool valid_slug(std::string_view slug) {
    if (slug.empty() || slug.size() > 200) return false;
    return std::all_of(slug.begin(), slug.end(),
                       [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                                  c == '_' || c == '.';
                       }) &&
           slug != "." && slug != "..";
}

constexpr std::size_t max_prompts_kept = 1024;
constexpr std::chrono::minutes unknown_prompt_ttl{5};
// Lookups of prompts not yet known reach FlowGPT from the gateway's address, whoever asks: at
// most this many per second, with this burst, so that no caller can make the gateway flood it.
constexpr double lookups_per_second = 5;
constexpr double lookup_burst = 20;

/// Whether a 404 or 405 from /conversation/create says the route itself is gone (the web
/// framework's own "Cannot POST …", or a page that is not FlowGPT's JSON), not that FlowGPT
/// refused what was asked of it (an unknown prompt).
bool route_gone(int status, std::string_view body) {
    if (status == 405) return true;
    if (status != 404) return false;
    const json doc = json::parse(body, nullptr, false);
    return !doc.is_object() || upstream_json::text_field(doc, "message").starts_with("Cannot POST");
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string base_url(const config::flowgpt_settings& s) {
    std::string b = s.base_url;
    while (!b.empty() && b.back() == '/')
        b.pop_back();
    return b;
}

/// The whole context: a stored conversation's earlier turns, then this request's messages.
json context_messages(const api::chat_request& req, const conversation_turn* conversation) {
    json out = json::array();
    auto add = [&](const api::chat_message& m) {
        // FlowGPT knows system, user and assistant; tool output is context the user supplied.
        const auto role = m.role == api::message_role::tool ? std::string_view("user") : api::role_name(m.role);
        out.push_back({{"role", role}, {"content", m.text}});
    };
    if (conversation)
        for (const auto& m : conversation->history)
            add(m);
    for (const auto& m : req.messages)
        add(m);
    return out;
}

/// The context sent inline (the history and anonymous forms): the system messages joined, the
/// other turns in order, and the question, which is the last user message and not in `history`.
struct inline_context {
    std::string system;
    json history = json::array();
};

inline_context inline_context_of(const api::chat_request& req, const conversation_turn* conversation) {
    inline_context out;
    json turns = json::array();
    for (auto& m : context_messages(req, conversation)) {
        if (m["role"] == "system") {
            if (!out.system.empty()) out.system += "\n";
            out.system += m["content"].get<std::string>();
        } else {
            turns.push_back(std::move(m));
        }
    }
    std::size_t question = turns.size();
    for (std::size_t i = turns.size(); i-- > 0;)
        if (turns[i]["role"] == "user") {
            question = i;
            break;
        }
    for (std::size_t i = 0; i < turns.size(); ++i)
        if (i != question) out.history.push_back(std::move(turns[i]));
    return out;
}

/// Which token a conversation was created with, without keeping the token: FlowGPT
/// conversations belong to an account, and another token may be refused for it.
std::string token_tag(std::string_view token) { return secrets::sha256_hex(token).substr(0, 16); }

/// The upstream conversation a stored conversation continues, if any: only with the token that
/// created it (rotation may have moved on; the conversation is then created again).
std::string saved_conversation_id(const conversation_turn* conversation, std::string_view token) {
    if (!conversation || conversation->upstream_state.empty()) return {};
    const json state = json::parse(conversation->upstream_state, nullptr, false);
    const std::string tag = upstream_json::text_field(state, "token");
    if (!tag.empty() && tag != token_tag(token)) return {};
    return upstream_json::text_field(state, "conversationId");
}

} // namespace

std::optional<std::string> thinking_of(std::string preamble) {
    // "**Assistant Response:**" leaves "**Assistant": a label, not thought. A preamble of more
    // than three words ("Thinking: the user wants…") is the model reasoning before it answers.
    const auto not_markup = [](char c) { return c != '*' && c != '#' && c != ' ' && c != '\n' && c != '\t' && c != '\r'; };
    const auto first = std::find_if(preamble.begin(), preamble.end(), not_markup);
    const auto last = std::find_if(preamble.rbegin(), preamble.rend(), not_markup).base();
    if (first >= last) return std::nullopt;
    std::string thought(first, last);
    std::size_t words = 1;
    for (std::size_t i = 1; i < thought.size(); ++i)
        words += thought[i] == ' ' && thought[i - 1] != ' ';
    if (words <= 3) return std::nullopt;
    return thought;
}

std::optional<std::string> text_of_line(std::string_view line, bool& malformed) {
    malformed = false;
    json obj = json::parse(line, nullptr, false);
    if (obj.is_discarded() || !obj.is_object()) {
        malformed = true;
        return std::nullopt;
    }
    const std::string* data = upstream_json::string_field(obj, "data");
    if (!data) return std::nullopt;
    if (obj.contains("event") && upstream_json::text_field(obj, "event") != "text") return std::nullopt;
    return *data;
}

bool flowgpt_provider::continues_with(const conversation_turn& conversation, std::string_view credential) const {
    return !saved_conversation_id(&conversation, credential).empty();
}

flowgpt_provider::flowgpt_provider(config::flowgpt_settings settings, config::credential_settings credentials)
    : settings_(std::move(settings)),
      tokens_(std::make_unique<credential_pool>(
          settings_.tokens, credential_policy{settings_.token_cooldown, credentials.max_concurrent, credentials.dead_after})),
      anonymous_device_("f-" + ids::alphanumeric(19)), history_mode_(settings_.mode == "history") {
    for (auto& c : anonymous_device_)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string flowgpt_provider::health_note() const {
    if (!history_mode_ && lost_create_.load(std::memory_order_relaxed))
        return "FlowGPT dropped /conversation/create; the context goes inline with every question (history form)";
    return {};
}

net::awaitable<std::variant<found_model, provider_error>> flowgpt_provider::find_model(std::string_view model_id,
                                                                                       call_context ctx) {
    const std::string slug(model_id.substr(prompt_prefix.size()));
    const auto unknown = [&] {
        return provider_error{failure_reason::model_unknown,
                              "The model `" + std::string(model_id) + "` does not exist: FlowGPT has no prompt `" + slug + "`.",
                              std::nullopt, std::string("model")};
    };
    if (!valid_slug(slug)) co_return unknown();
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(prompts_mutex_);
        if (auto it = prompts_.find(slug); it != prompts_.end() && it->second.expires > now) {
            if (!it->second.found) co_return unknown();
            found_model kept = *it->second.found;
            kept.route.model_id = std::string(model_id);
            co_return kept;
        }
    }
    {
        std::lock_guard lock(prompts_mutex_);
        const double elapsed = std::chrono::duration<double>(now - budget_filled_).count();
        lookup_budget_ = std::min(lookup_burst, lookup_budget_ + elapsed * lookups_per_second);
        budget_filled_ = now;
        if (lookup_budget_ < 1)
            co_return provider_error{failure_reason::rate_limited,
                                     "Too many FlowGPT prompts are being looked up at once; try again in a second.", 1L,
                                     std::nullopt};
        lookup_budget_ -= 1;
    }
    std::optional<found_model> found;
    try {
        upstream::request lookup{
            "GET",
            base_url(settings_) + "/prompt/" + slug + "/",
            {{"Accept", "application/json"}, {"Origin", "https://flowgpt.com"}, {"Referer", "https://flowgpt.com/"}},
            ""};
        auto reply = co_await ctx.http.send(std::move(lookup));
        const std::string body = co_await reply.read_all(max_error_body);
        const json doc = json::parse(body, nullptr, false);
        const json* prompt = upstream_json::object_field(doc, "prompt");
        if (reply.status() == 200 && prompt) {
            // A.5 does not say the reply names the promptId /v3/chat wants; where it does not, the
            // slug is the id (S7 looks prompts up by id at the same path).
            std::string id = upstream_json::text_field(*prompt, "id");
            found = found_model{{std::string(model_id), id.empty() ? slug : std::move(id)},
                                upstream_json::text_field(*prompt, "title"),
                                upstream_json::text_field(*prompt, "description")};
        } else if (reply.status() == 429) {
            co_return provider_error{failure_reason::rate_limited, "FlowGPT is rate limiting prompt lookups; try again later.",
                                     retry_after_seconds(reply.header("retry-after")), std::nullopt};
        } else if (reply.status() != 404 && !(reply.status() == 200 && doc.is_object())) {
            spdlog::warn("[{}] flowgpt prompt lookup of {} failed: HTTP {} ({})", ctx.request_id, slug, reply.status(),
                         upstream_json::shape(doc, {"prompt"}));
            co_return provider_error{failure_reason::upstream_failed,
                                     "FlowGPT's prompt lookup for `" + slug + "` failed (HTTP " + std::to_string(reply.status()) +
                                         ").",
                                     std::nullopt, std::nullopt};
        }
    } catch (const upstream::failure& f) {
        auto failed = transport_error(f, "FlowGPT");
        failed.message = "FlowGPT's prompt lookup for `" + slug + "` failed: " + failed.message;
        co_return failed;
    }
    {
        std::lock_guard lock(prompts_mutex_);
        std::erase_if(prompts_, [&](const auto& kv) { return kv.second.expires <= now; });
        if (prompts_.size() >= max_prompts_kept) prompts_.erase(prompts_.begin());
        const auto ttl =
            found ? settings_.prompt_ttl : std::min<std::chrono::milliseconds>(settings_.prompt_ttl, unknown_prompt_ttl);
        prompts_.insert_or_assign(slug, prompt_entry{found, now + ttl});
    }
    if (!found) co_return unknown();
    co_return *found;
}

net::awaitable<std::optional<provider_error>> flowgpt_provider::probe(const model_route& route, call_context ctx) {
    try {
        const json body = {{"promptId", route.upstream_id}, {"location", "CHAT_PAGE"}, {"messages", json::array()}};
        upstream::request create{"POST", base_url(settings_) + "/conversation/create", common_headers(ctx.credential, settings_),
                                 dump(body)};
        auto created = co_await ctx.http.send(std::move(create));
        (void)co_await created.read_all(max_error_body);
        const auto verdict = classify(created.status());
        if (verdict == status_verdict::ok) co_return std::nullopt;
        if (verdict == status_verdict::credential_rejected) co_return rejected("probe", created.status(), ctx).error;
        co_return status_error(created, "probe");
    } catch (const upstream::failure& f) {
        co_return transport_error(f, "FlowGPT");
    }
}

std::optional<provider_error> flowgpt_provider::check_ready() const {
    if (tokens_->size() == 0 && !settings_.anonymous)
        return error(failure_reason::not_configured,
                     "The FlowGPT provider is not configured: set FLOWGPT_BEARER_TOKEN (or FLOWGPT_ANONYMOUS=1).");
    return std::nullopt;
}

upstream::header_list flowgpt_provider::signed_headers(std::string_view authorization, const std::string& device_id) const {
    auto headers = headers_as(std::string(authorization), device_id);
    if (settings_.signature == config::signature_scheme::none) return headers;
    const std::string timestamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    const std::string nonce = ids::hex(32);
    // The anonymous web client signs with V1 over its `Bearer null` (A.4); the logged-in one as configured.
    const auto scheme = authorization == "Bearer null" ? config::signature_scheme::v1 : settings_.signature;
    headers.emplace_back("x-nonce", nonce);
    headers.emplace_back("x-timestamp", timestamp);
    headers.emplace_back("x-signature", signature(scheme, timestamp, nonce, device_id, authorization));
    return headers;
}

net::awaitable<flowgpt_provider::opened> flowgpt_provider::open_anonymous(const api::chat_request& req, const model_route& route,
                                                                          call_context ctx) {
    // An anonymous model's route names the upstream's model ("model-<name>"); a prompt's route
    // runs on the first anonymous model.
    const bool model_route = route.upstream_id.starts_with(anonymous_prompt);
    const std::string model = model_route                          ? route.upstream_id.substr(anonymous_prompt.size())
                              : settings_.anonymous_models.empty() ? std::string("gpt-3.5-turbo")
                                                                   : settings_.anonymous_models.front();
    auto context = inline_context_of(req, ctx.conversation);
    json history = json::array({{{"role", "assistant"}, {"content", "Hello! How can I help you today?"}}});
    for (auto& m : context.history)
        history.push_back(std::move(m));
    const json body = {{"model", model},
                       {"nsfw", false},
                       {"question", req.last_user_text()},
                       {"history", std::move(history)},
                       {"system", context.system.empty() ? std::string("You are a helpful assistant.") : context.system},
                       {"temperature", req.temperature.value_or(0.7)},
                       {"promptId", route.upstream_id},
                       {"documentIds", json::array()},
                       {"chatFileDocumentIds", json::array()},
                       {"generateImage", false},
                       {"generateAudio", false}};
    upstream::request chat{"POST", base_url(settings_) + "/v3/chat-anonymous", signed_headers("Bearer null", anonymous_device_),
                           dump(body)};
    auto answer = co_await ctx.http.send(std::move(chat));
    if (answer.status() >= 200 && answer.status() < 300) co_return opened{std::move(answer), std::nullopt};
    (void)co_await answer.read_all(max_error_body);
    if (answer.status() == 429) co_return opened{std::nullopt, status_error(answer, "chat-anonymous")};
    // No credential of ours was refused: the anonymous endpoint itself is closed (A.4: its
    // availability is unknown).
    spdlog::warn("[{}] flowgpt anonymous chat refused (HTTP {})", ctx.request_id, answer.status());
    co_return opened{std::nullopt, error(failure_reason::upstream_failed,
                                         "FlowGPT's anonymous chat failed with HTTP " + std::to_string(answer.status()) +
                                             "; it may no longer be offered (set FLOWGPT_BEARER_TOKEN).")};
}

net::awaitable<flowgpt_provider::opened> flowgpt_provider::open_with_history(const api::chat_request& req,
                                                                             const model_route& route, call_context ctx) {
    auto context = inline_context_of(req, ctx.conversation);
    const json chat_body = {{"model", settings_.upstream_model},
                            {"nsfw", false},
                            {"question", req.last_user_text()},
                            {"history", std::move(context.history)},
                            {"system", context.system},
                            {"temperature", req.temperature.value_or(0.7)},
                            {"userId", ""},
                            {"promptId", route.upstream_id},
                            {"documentIds", json::array()},
                            {"generateImage", false},
                            {"generateAudio", false}};
    upstream::request chat{"POST", base_url(settings_) + "/v3/chat",
                           signed_headers("Bearer " + std::string(ctx.credential), settings_.device_id), dump(chat_body)};
    auto answer = co_await ctx.http.send(std::move(chat));
    if (auto verdict = classify(answer.status()); verdict != status_verdict::ok) {
        (void)co_await answer.read_all(max_error_body);
        if (verdict == status_verdict::credential_rejected) co_return rejected("v3/chat", answer.status(), ctx);
        co_return opened{std::nullopt, status_error(answer, "chat")};
    }
    co_return opened{std::move(answer), std::nullopt};
}

net::awaitable<flowgpt_provider::opened> flowgpt_provider::open_answer(const api::chat_request& req, const model_route& route,
                                                                       call_context ctx) {
    if (ctx.credential.empty() || route.upstream_id.starts_with(anonymous_prompt))
        co_return co_await open_anonymous(req, route, ctx);
    if (history_form()) co_return co_await open_with_history(req, route, ctx);
    const std::string_view token = ctx.credential;
    const std::string base = base_url(settings_);
    // A stored conversation continues its upstream conversation with only the new turn. If the
    // upstream has forgotten it (404), it is created again from the full stored context.
    std::string conversation_id = saved_conversation_id(ctx.conversation, token);
    for (int round = 0; round < 2; ++round) {
        const bool continuing = !conversation_id.empty();
        if (!continuing) {
            const json create_body = {{"promptId", route.upstream_id},
                                      {"location", "CHAT_PAGE"},
                                      {"messages", context_messages(req, ctx.conversation)}};
            upstream::request create{"POST", base + "/conversation/create", common_headers(token, settings_), dump(create_body)};
            auto created = co_await ctx.http.send(std::move(create));
            const std::string created_body = co_await created.read_all(max_error_body);
            if (route_gone(created.status(), created_body)) {
                // The form flowgpt-2api used is gone; the inline form needs no conversation (A.3).
                if (!lost_create_.exchange(true))
                    spdlog::warn("flowgpt /conversation/create answered HTTP {}: sending the context inline (the history "
                                 "form) from now on; set FLOWGPT_MODE=history to start that way",
                                 created.status());
                co_return co_await open_with_history(req, route, ctx);
            }
            if (auto verdict = classify(created.status()); verdict != status_verdict::ok) {
                if (verdict == status_verdict::credential_rejected)
                    co_return rejected("conversation/create", created.status(), ctx);
                if (created.status() == 404)
                    co_return opened{std::nullopt, error(failure_reason::model_unknown,
                                                         "FlowGPT does not know the prompt `" + route.upstream_id + "`.")};
                co_return opened{std::nullopt, status_error(created, "conversation/create")};
            }
            const json created_doc = json::parse(created_body, nullptr, false);
            conversation_id = upstream_json::text_field(created_doc, "id");
            if (conversation_id.empty()) {
                spdlog::warn("[{}] flowgpt conversation/create reply unreadable ({})", ctx.request_id,
                             upstream_json::shape(created_doc, {"id"}));
                co_return opened{std::nullopt, error(failure_reason::protocol, "FlowGPT returned an unreadable conversation.")};
            }
            if (ctx.conversation)
                ctx.conversation->upstream_state = dump(json{{"conversationId", conversation_id}, {"token", token_tag(token)}});
        }

        auto headers = signed_headers("Bearer " + std::string(token), settings_.device_id);
        const json chat_body = {{"model", settings_.upstream_model},
                                {"nsfw", false},
                                {"question", req.last_user_text()},
                                {"temperature", req.temperature.value_or(0.7)},
                                {"userId", ""},
                                {"promptId", route.upstream_id},
                                {"conversationId", conversation_id},
                                {"documentIds", json::array()},
                                {"generateImage", false},
                                {"generateAudio", false}};
        upstream::request chat{"POST", base + "/v3/chat", std::move(headers), dump(chat_body)};
        auto answer = co_await ctx.http.send(std::move(chat));
        if (auto verdict = classify(answer.status()); verdict != status_verdict::ok) {
            (void)co_await answer.read_all(max_error_body); // drained so the connection can be reused
            if (verdict == status_verdict::credential_rejected) co_return rejected("v3/chat", answer.status(), ctx);
            if (answer.status() == 404 && continuing) {
                spdlog::info("[{}] flowgpt forgot conversation {}; recreating it with the stored context", ctx.request_id,
                             conversation_id);
                conversation_id.clear();
                continue;
            }
            co_return opened{std::nullopt, status_error(answer, "chat")};
        }
        co_return opened{std::move(answer), std::nullopt};
    }
    co_return opened{std::nullopt, error(failure_reason::upstream_failed, "FlowGPT lost the conversation twice.")};
}

// The message is what the client reads once run_attempts has tried every token.
flowgpt_provider::opened flowgpt_provider::rejected(std::string_view step, int status, call_context ctx) {
    spdlog::info("[{}] flowgpt {} refused the token (HTTP {})", ctx.request_id, step, status);
    return opened{std::nullopt, error(failure_reason::credential_rejected,
                                      "FlowGPT refused the token (HTTP " + std::to_string(status) + ", FLOWGPT_BEARER_TOKEN).")};
}

net::awaitable<std::optional<provider_error>> flowgpt_provider::relay_answer(upstream::response& answer, event_sink& sink,
                                                                             call_context ctx) const {
    upstream::ndjson_reader reader;
    prefix_cleaner cleaner(settings_.prefix_lookahead);
    std::vector<provider_event> ready; // events decoded from the latest read, relayed in order
    std::size_t lines = 0, malformed_lines = 0;
    auto decode = [&](std::string_view line) {
        ++lines;
        bool malformed = false;
        if (auto text = text_of_line(line, malformed)) {
            auto out = cleaner.push(*text);
            if (auto thought = thinking_of(cleaner.take_preamble())) ready.emplace_back(reasoning_delta{std::move(*thought)});
            if (!out.empty()) ready.emplace_back(text_delta{std::move(out)});
        }
        malformed_lines += malformed;
    };
    // Returns false once the consumer wants nothing more.
    auto relay = [&]() -> net::awaitable<bool> {
        for (auto& ev : ready)
            if (!co_await sink.emit(std::move(ev))) co_return false;
        ready.clear();
        co_return true;
    };

    while (auto bytes = co_await answer.read_some()) {
        if (!reader.feed(*bytes, decode)) co_return error(failure_reason::protocol, "FlowGPT sent an oversized stream line.");
        if (!co_await relay()) co_return std::nullopt;
    }
    reader.finish(decode);
    if (auto rest = cleaner.flush(); !rest.empty()) ready.emplace_back(text_delta{std::move(rest)});
    if (!co_await relay()) co_return std::nullopt;
    if (malformed_lines > 0)
        spdlog::warn("[{}] flowgpt stream had {} malformed line(s) of {}", ctx.request_id, malformed_lines, lines);
    if (lines > 0 && malformed_lines == lines) co_return error(failure_reason::protocol, "FlowGPT sent an unreadable answer.");
    co_return std::nullopt;
}

net::awaitable<std::optional<provider_error>> flowgpt_provider::complete(const api::chat_request& req, const model_route& route,
                                                                         event_sink& sink, call_context ctx) {
    try {
        auto step = co_await open_answer(req, route, ctx);
        if (!step.answer) co_return step.error;
        co_return co_await relay_answer(*step.answer, sink, ctx);
    } catch (const upstream::failure& f) {
        spdlog::warn("[{}] flowgpt exchange failed: {}", ctx.request_id, f.what());
        co_return transport_error(f, "FlowGPT");
    } catch (const json::exception& e) {
        // Every upstream read above is type-safe; this only keeps a missed one from ending the session.
        spdlog::warn("[{}] flowgpt reply unreadable: {}", ctx.request_id, e.what());
        co_return error(failure_reason::protocol, "FlowGPT sent a reply the gateway could not read.");
    }
}

} // namespace switchyard::providers::flowgpt
