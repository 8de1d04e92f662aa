#include "switchyard/providers/aipkit/aipkit_provider.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "switchyard/providers/upstream_errors.hpp"
#include "switchyard/providers/upstream_json.hpp"
#include "switchyard/store/shared_state.hpp"
#include "switchyard/upstream/sse_reader.hpp"
#include "switchyard/util/ids.hpp"
#include "switchyard/util/mojibake.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::providers::aipkit {
namespace {

using nlohmann::json;
using upstream_json::is_true;
using upstream_json::object_field;
using upstream_json::shape;
using upstream_json::string_field;
using upstream_json::text_field;

constexpr std::size_t max_json_reply = 64 * 1024;
constexpr std::size_t max_images = 4;
// AIPKit replays at most a bot's `max_messages` (15 unless the site changed it) of a
// conversation's log to the model; a conversation that would outgrow it starts again with the
// whole history, so the model never silently loses the start of the chat.
constexpr std::int64_t upstream_memory_messages = 15;

provider_error error(failure_reason reason, std::string message, std::optional<std::string> param = std::nullopt) {
    return provider_error{reason, std::move(message), std::nullopt, std::move(param)};
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        if (!out.empty()) out.push_back('&');
        out += boost::urls::encode(k, boost::urls::unreserved_chars);
        out.push_back('=');
        out += boost::urls::encode(v, boost::urls::unreserved_chars);
    }
    return out;
}

std::string origin_of(const std::string& base) {
    auto u = boost::urls::parse_uri(base);
    if (!u) return {};
    return std::string(u->scheme()) + "://" + std::string(u->encoded_authority());
}

/// Upstream error texts (B.4) that mean "do it again with a fresh nonce or a fresh cache key".
enum class stream_failure { none, nonce, cache_key, quota, other };

stream_failure classify(std::string_view text) {
    if (text.starts_with("Security check failed")) return stream_failure::nonce;
    if (text == "Message not found in cache." || text == "Cached message has expired." || text == "Message cache key is missing.")
        return stream_failure::cache_key;
    if (text.find("quota") != std::string_view::npos) return stream_failure::quota;
    return stream_failure::other;
}

} // namespace

struct aipkit_provider::identity {
    std::string session_id;
    std::string conversation_uuid;
    std::string openai_response_id;
};

struct aipkit_provider::outcome {
    std::optional<provider_error> error;
    bool retry_with_new_nonce = false;
    bool retry_with_new_key = false;
};

std::string one_shot_message(const api::chat_request& req, const std::vector<api::chat_message>& history) {
    if (history.empty() && req.messages.size() == 1) return req.messages.front().text;
    std::string out;
    const auto add = [&out](const api::chat_message& m) {
        if (m.text.empty()) return;
        if (!out.empty()) out += "\n\n";
        switch (m.role) {
        case api::message_role::system: out += "System: "; break;
        case api::message_role::assistant: out += "Assistant: "; break;
        case api::message_role::tool: out += "Tool result: "; break;
        case api::message_role::user: out += "User: "; break;
        }
        out += m.text;
    };
    for (const auto& m : history)
        add(m);
    for (const auto& m : req.messages)
        add(m);
    return out;
}

std::variant<std::string, provider_error> image_inputs(const api::chat_request& req) {
    const api::chat_message* last_user = nullptr;
    for (const auto& m : req.messages)
        if (m.role == api::message_role::user) last_user = &m;
    if (!last_user || last_user->images.empty()) return std::string();
    if (last_user->images.size() > max_images)
        return error(failure_reason::request_rejected, "At most 4 images can be sent in one message.",
                     last_user->images[max_images].param);
    json out = json::array();
    for (const auto& img : last_user->images) {
        const std::string_view url = img.url;
        if (!url.starts_with("data:"))
            return error(failure_reason::request_unsupported,
                         "Only data: URLs are accepted for images; this gateway does not fetch remote images.",
                         img.param + ".image_url.url");
        const auto semi = url.find(";base64,");
        const std::string mime(url.substr(5, semi == std::string_view::npos ? 0 : semi - 5));
        if (semi == std::string_view::npos || (mime != "image/jpeg" && mime != "image/png" && mime != "image/webp"))
            return error(failure_reason::request_rejected,
                         "Images must be base64 data: URLs of type image/jpeg, image/png or image/webp.",
                         img.param + ".image_url.url");
        out.push_back({{"mime_type", mime}, {"base64_data", std::string(url.substr(semi + 8))}});
    }
    return out.dump();
}

aipkit_provider::aipkit_provider(config::aipkit_site site, const config::upstream_settings& upstream,
                                 std::chrono::milliseconds discovery_ttl, config::credential_settings credentials)
    : settings_(std::move(site)), label_(settings_.name == "chatgptfree" ? std::string("chatgptfree.ai") : settings_.name),
      base_(settings_.base_url), nonce_wait_(upstream.request_timeout), nonce_(settings_.ajax_nonce),
      guests_({settings_.session_id.empty() ? ids::uuid_v4() : settings_.session_id},
              credential_policy{settings_.quota_cooldown, credentials.max_concurrent, credentials.dead_after}) {
    while (!base_.empty() && base_.back() == '/')
        base_.pop_back();
    origin_ = origin_of(base_);
    if (discovery_ttl.count() > 0 && !settings_.pages.empty())
        discovery_ = std::make_unique<bot_discovery>(settings_, upstream, discovery_ttl,
                                                     [this](const std::string& nonce) { nonce_.offer(nonce); });
}

namespace {

/// A model id's part from a page: what the site calls the model, in characters an id can carry.
std::string id_part(std::string_view model, const std::string& bot_id) {
    std::string out;
    for (char c : model.substr(0, 64)) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                           c == '_' || c == ':';
        out.push_back(plain ? c : '-');
    }
    return out.find_first_not_of('-') == std::string::npos ? "bot-" + bot_id : out;
}

std::string shown(std::string_view text) { return std::string(text.substr(0, 200)); }

} // namespace

std::vector<found_model> aipkit_provider::found_models() const {
    std::vector<found_model> out;
    if (!discovery_) return out;
    const auto read = discovery_->current();
    for (const auto& bot : read->bots) {
        std::string id = settings_.name + "/" + id_part(bot.model, bot.bot_id);
        // Two bots on one model: the second is told apart by its bot id.
        if (std::any_of(out.begin(), out.end(), [&](const found_model& m) { return m.route.model_id == id; }))
            id += "-" + bot.bot_id;
        std::string about =
            (bot.provider.empty() ? std::string("A") : shown(bot.provider)) + " bot (" + bot.bot_id + ") on " + label_;
        if (bot.web_search) about += ", with web search";
        out.push_back({{std::move(id), bot.bot_id}, shown(bot.model), std::move(about), bot.web_search});
    }
    return out;
}

bool aipkit_provider::finds(std::string_view model_id) const noexcept {
    return discovery_ && model_id.size() > settings_.name.size() && model_id.starts_with(settings_.name) &&
           model_id[settings_.name.size()] == '/';
}

net::awaitable<std::variant<found_model, provider_error>> aipkit_provider::find_model(std::string_view model_id,
                                                                                      call_context ctx) {
    (void)ctx; // the pages are read on discovery's own schedule, never for a request
    for (auto& m : found_models())
        if (m.route.model_id == model_id) co_return std::move(m);
    co_return provider_error{failure_reason::model_unknown,
                             "The model `" + std::string(model_id) + "` does not exist: no bot of that model was found on " +
                                 label_ + "'s chat pages.",
                             std::nullopt, std::string("model")};
}

std::string aipkit_provider::health_note() const {
    if (!discovery_) return {};
    const auto read = discovery_->current();
    if (read->failure.empty()) return {};
    return "reading " + label_ + "'s chat pages failed (" + read->failure + "); " + std::to_string(read->bots.size()) +
           " bot(s) from an earlier read and the configured models stay in use";
}

net::awaitable<std::optional<provider_error>> aipkit_provider::probe(const model_route& route, call_context ctx) {
    try {
        const std::string fresh = co_await fetch_nonce(route, ctx);
        if (fresh.empty()) co_return error(failure_reason::upstream_failed, label_ + " did not hand out a session nonce.");
        co_return std::nullopt;
    } catch (const upstream::failure& f) {
        co_return transport_error(f, label_);
    }
}

upstream::header_list aipkit_provider::headers() const {
    // The site's own Origin (never the client's): AIPKit rejects foreign ones (B.1).
    upstream::header_list h{
        {"Origin", origin_},
        {"Referer", base_ + "/"},
        {"Accept", "*/*"},
        {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"}};
    if (!settings_.cookie.empty()) h.emplace_back("Cookie", settings_.cookie);
    return h;
}

net::awaitable<std::string> aipkit_provider::nonce(const model_route& route, call_context ctx) {
    const shared_nonce::fetcher fetch = [this, &route, ctx] { return fetch_shared_nonce(route, ctx); };
    const auto got = co_await nonce_.get(fetch, nonce_wait_);
    if (got.outcome == shared_nonce::status::timed_out)
        spdlog::warn("[{}] {} nonce refresh by another request took over {} ms", ctx.request_id, settings_.name,
                     nonce_wait_.count());
    else if (got.outcome == shared_nonce::status::failed && !got.led)
        spdlog::warn("[{}] {} nonce refresh by another request failed", ctx.request_id, settings_.name);
    co_return got.nonce;
}

void aipkit_provider::share_through(store::shared_state& shared) {
    provider::share_through(shared);
    shared_ = &shared;
    // A nonce belongs to the visitor the site saw: instances with another cookie keep their own.
    shared_nonce_name_ = "aipkit-nonce:" + settings_.name + ":" + secrets::sha256_hex(settings_.cookie).substr(0, 16);
}

namespace {
// A WordPress nonce lives 12 to 24 hours; an hour keeps a shared one well inside that.
constexpr std::chrono::hours shared_nonce_life{1};
} // namespace

net::awaitable<std::string> aipkit_provider::fetch_shared_nonce(const model_route& route, call_context ctx) {
    const std::string& name = shared_nonce_name_;
    if (shared_) {
        std::string held;
        try {
            held = co_await shared_->value(name);
        } catch (const store::store_unavailable&) {
            // Fetched here alone until Redis answers again.
        }
        std::string rejected;
        {
            std::lock_guard lock(rejected_mutex_);
            rejected = rejected_nonce_;
        }
        if (!held.empty() && held != rejected) co_return held;
    }
    std::string fresh = co_await fetch_nonce(route, ctx);
    if (shared_ && !fresh.empty()) shared_->put_value(name, fresh, shared_nonce_life);
    co_return fresh;
}

void aipkit_provider::forget_nonce(const std::string& rejected) {
    nonce_.forget(rejected);
    {
        std::lock_guard lock(rejected_mutex_);
        rejected_nonce_ = rejected;
    }
    if (shared_) shared_->drop_value(shared_nonce_name_, rejected);
}

net::awaitable<std::string> aipkit_provider::fetch_nonce(const model_route& route, call_context ctx) {
    auto h = headers();
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    upstream::request r{"POST", base_ + "/wp-admin/admin-ajax.php", std::move(h),
                        form_encode({{"action", "aipkit_get_frontend_chat_nonce"}, {"bot_id", route.upstream_id}})};
    auto res = co_await ctx.http.send(std::move(r));
    const std::string body = co_await res.read_all(max_json_reply);
    if (res.status() != 200) {
        spdlog::warn("[{}] {} nonce fetch failed (HTTP {})", ctx.request_id, settings_.name, res.status());
        co_return std::string();
    }
    const json doc = json::parse(body, nullptr, false);
    const json* data = object_field(doc, "data");
    const std::string fresh = data ? text_field(*data, "nonce") : std::string();
    if (!is_true(doc, "success") || fresh.empty()) {
        spdlog::warn("[{}] {} nonce reply unreadable ({}; data: {})", ctx.request_id, settings_.name,
                     shape(doc, {"success", "data"}), data ? shape(*data, {"nonce"}) : "none");
        co_return std::string();
    }
    co_return fresh;
}

net::awaitable<aipkit_provider::outcome> aipkit_provider::attempt(const std::string& message, const std::string& images,
                                                                  const api::chat_request& req, const model_route& route,
                                                                  identity& who, event_sink& sink, call_context ctx) {
    const std::string nonce_value = co_await nonce(route, ctx);
    if (nonce_value.empty())
        co_return outcome{error(failure_reason::upstream_failed, label_ + " did not hand out a session nonce.")};

    // Step 1: cache the message, get a single-use key.
    std::vector<std::pair<std::string, std::string>> fields{
        {"action", "aipkit_cache_sse_message"},
        {"_ajax_nonce", nonce_value},
        {"bot_id", route.upstream_id},
        {"message", message},
        {"user_client_message_id", "aipkit-client-msg-" + route.upstream_id + "-" +
                                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                          std::chrono::system_clock::now().time_since_epoch())
                                                          .count()) +
                                       "-" + ids::hex(5)}};
    if (!images.empty()) fields.emplace_back("image_inputs", images);
    auto h = headers();
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    upstream::request cache_request{"POST", base_ + "/wp-admin/admin-ajax.php", std::move(h), form_encode(fields)};
    auto cached = co_await ctx.http.send(std::move(cache_request));
    const std::string cache_body = co_await cached.read_all(max_json_reply);
    const json cache_doc = json::parse(cache_body, nullptr, false);
    const json* data = object_field(cache_doc, "data");
    const std::string code = data ? text_field(*data, "code") : std::string();
    if (cached.status() != 200 || !is_true(cache_doc, "success")) {
        if (code == "nonce_failure_cache_sse" || (cached.status() == 403 && code.empty())) {
            forget_nonce(nonce_value);
            co_return outcome{error(failure_reason::upstream_failed, label_ + " rejected the session nonce twice."), true};
        }
        if (code == "too_many_images" || code == "invalid_image_type" || code == "invalid_image_payload" ||
            code == "image_too_large")
            co_return outcome{
                error(failure_reason::request_rejected, label_ + " refused the images (" + code + ").", std::string("messages"))};
        if (code == "empty_data_to_cache")
            co_return outcome{error(failure_reason::request_rejected, "The message is empty.", std::string("messages"))};
        if (cached.status() == 200 && !upstream_json::bool_field(cache_doc, "success")) {
            spdlog::warn("[{}] {} cache reply unreadable ({})", ctx.request_id, settings_.name,
                         shape(cache_doc, {"success", "data"}));
            co_return outcome{error(failure_reason::protocol, label_ + " sent an unreadable reply to the message.")};
        }
        spdlog::warn("[{}] {} cache step failed: HTTP {} {}", ctx.request_id, settings_.name, cached.status(), code);
        co_return outcome{error(failure_reason::upstream_failed,
                                label_ + " refused the message (HTTP " + std::to_string(cached.status()) + ").")};
    }
    const std::string cache_key = data ? text_field(*data, "cache_key") : std::string();
    if (cache_key.empty()) {
        spdlog::warn("[{}] {} cache reply has no cache key (data: {})", ctx.request_id, settings_.name,
                     data ? shape(*data, {"cache_key"}) : shape(cache_doc, {"data"}));
        co_return outcome{error(failure_reason::protocol, label_ + " returned no cache key.")};
    }

    // Step 2: stream the answer.
    std::vector<std::pair<std::string, std::string>> query{{"action", "aipkit_frontend_chat_stream"},
                                                           {"cache_key", cache_key},
                                                           {"bot_id", route.upstream_id},
                                                           {"session_id", who.session_id},
                                                           {"conversation_uuid", who.conversation_uuid}};
    if (!settings_.post_id.empty()) query.emplace_back("post_id", settings_.post_id);
    query.emplace_back(
        "_ts",
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()));
    query.emplace_back("frontend_web_search_active", req.web_search ? "true" : "false");
    if (!who.openai_response_id.empty()) query.emplace_back("previous_openai_response_id", who.openai_response_id);
    query.emplace_back("_ajax_nonce", nonce_value); // the official client appends it last
    auto sh = headers();
    sh.emplace_back("Accept", "text/event-stream");
    upstream::request stream_request{"GET", base_ + "/wp-admin/admin-ajax.php?" + form_encode(query), std::move(sh), ""};
    auto answer = co_await ctx.http.send(std::move(stream_request));
    if (answer.status() != 200) {
        (void)co_await answer.read_all(max_json_reply);
        co_return outcome{error(failure_reason::upstream_failed,
                                label_ + " answered the stream with HTTP " + std::to_string(answer.status()) + ".")};
    }

    upstream::sse_reader reader;
    std::vector<std::string> texts;
    bool sent_text = false, done = false, consumer_gone = false;
    std::optional<std::string> upstream_error;
    auto on_event = [&](const upstream::sse_event& ev) {
        if (done || upstream_error) return;
        if (ev.name == "message") {
            const json d = json::parse(ev.data, nullptr, false);
            const std::string* delta = string_field(d, "delta");
            if (!delta || delta->empty()) return; // empty or odd payloads are skipped
            std::string text = *delta;
            if (auto repaired = mojibake::repair(text)) text = std::move(*repaired);
            texts.push_back(std::move(text));
        } else if (ev.name == "openai_response_id") {
            const json d = json::parse(ev.data, nullptr, false);
            if (const auto* id = string_field(d, "id")) who.openai_response_id = *id;
        } else if (ev.name == "error") {
            const json d = json::parse(ev.data, nullptr, false);
            const std::string* text = string_field(d, "error");
            upstream_error = text ? *text : std::string("unknown");
        } else if (ev.name == "done") {
            done = true;
        } // message_start, status, warning, citations and the rest carry no answer text
    };
    while (auto bytes = co_await answer.read_some()) {
        if (!reader.feed(*bytes, on_event))
            co_return outcome{error(failure_reason::protocol, label_ + " sent an oversized event.")};
        for (auto& t : texts) {
            if (consumer_gone) break;
            provider_event ev{text_delta{std::move(t)}};
            consumer_gone = !co_await sink.emit(std::move(ev));
            sent_text = true;
        }
        texts.clear();
        if (consumer_gone || done || upstream_error) break;
    }
    if (consumer_gone) co_return outcome{};
    if (upstream_error) {
        spdlog::warn("[{}] {} stream error: {}", ctx.request_id, settings_.name, upstream_error->substr(0, 200));
        if (sent_text) co_return outcome{error(failure_reason::upstream_failed, label_ + " failed in the middle of the answer.")};
        switch (classify(*upstream_error)) {
        case stream_failure::nonce:
            forget_nonce(nonce_value);
            co_return outcome{error(failure_reason::upstream_failed, label_ + " failed its security check twice."), true};
        case stream_failure::cache_key:
            co_return outcome{error(failure_reason::upstream_failed, label_ + " lost the cached message twice."), false, true};
        case stream_failure::quota:
            co_return outcome{error(failure_reason::quota_exhausted, label_ + "'s quota for this guest is used up for now.")};
        default: co_return outcome{error(failure_reason::upstream_failed, label_ + " could not answer.")};
        }
    }
    if (!done) co_return outcome{error(failure_reason::transport, label_ + " ended the stream early.")};
    co_return outcome{};
}

net::awaitable<std::optional<provider_error>> aipkit_provider::complete(const api::chat_request& req, const model_route& route,
                                                                        event_sink& sink, call_context ctx) {
    const auto images = image_inputs(req);
    if (const auto* bad = std::get_if<provider_error>(&images)) co_return *bad;

    // A conversation continues one (conversation_uuid, session_id) upstream and sends only its
    // newest message while AIPKit still remembers all of it; otherwise, and for a one-shot
    // request, a fresh conversation_uuid gets everything the model has to know.
    identity who{std::string(ctx.credential), ids::uuid_v4(), ""};
    std::int64_t remembered = 0; // messages in the upstream's log of this conversation
    if (ctx.conversation && !ctx.conversation->upstream_state.empty()) {
        const json state = json::parse(ctx.conversation->upstream_state, nullptr, false);
        if (const auto it = state.find("remembered"); state.is_object() && it != state.end() && it->is_number_integer())
            remembered = it->get<std::int64_t>();
        // A state from before the count was kept (0) cannot tell how much the upstream holds.
        if (remembered > 0 && remembered + 2 <= upstream_memory_messages) {
            if (const auto* s = string_field(state, "session_id")) who.session_id = *s;
            if (const auto* c = string_field(state, "conversation_uuid")) who.conversation_uuid = *c;
            who.openai_response_id = text_field(state, "openai_response_id");
        } else {
            remembered = 0;
        }
    }
    static const std::vector<api::chat_message> no_history;
    const bool continuing = remembered > 0;
    const std::string message =
        continuing ? req.last_user_text() : one_shot_message(req, ctx.conversation ? ctx.conversation->history : no_history);

    try {
        outcome result;
        for (int tries = 0; tries < 2; ++tries) {
            result = co_await attempt(message, std::get<std::string>(images), req, route, who, sink, ctx);
            if (!result.retry_with_new_nonce && !result.retry_with_new_key) break;
        }
        if (ctx.conversation) {
            const json state = {{"session_id", who.session_id},
                                {"conversation_uuid", who.conversation_uuid},
                                {"openai_response_id", who.openai_response_id},
                                {"remembered", remembered + 2}};
            ctx.conversation->upstream_state =
                state.dump(-1, ' ', false, json::error_handler_t::replace); // the id is upstream text
        }
        co_return result.error;
    } catch (const upstream::failure& f) {
        spdlog::warn("[{}] {} exchange failed: {}", ctx.request_id, settings_.name, f.what());
        co_return transport_error(f, label_);
    } catch (const json::exception& e) {
        // Every upstream read above is type-safe; this only keeps a missed one from ending the session.
        spdlog::warn("[{}] {} reply unreadable: {}", ctx.request_id, settings_.name, e.what());
        co_return error(failure_reason::protocol, label_ + " sent a reply the gateway could not read.");
    }
}

} // namespace switchyard::providers::aipkit
