#include "switchyard/providers/openai/openai_provider.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "switchyard/api/chat_format.hpp"
#include "switchyard/providers/upstream_errors.hpp"
#include "switchyard/upstream/sse_reader.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::providers::openai {
namespace {

using boost::system::error_code;
using nlohmann::json;

constexpr std::size_t max_body = 16 * 1024 * 1024;
constexpr std::size_t max_error_message = 500;

provider_error error(failure_reason reason, std::string message, std::optional<long> retry_after = std::nullopt) {
    return provider_error{reason, std::move(message), retry_after, std::nullopt};
}

/// The message of an OpenAI error envelope, shortened; the body itself is never forwarded.
std::string upstream_message(const std::string& body) {
    const json doc = json::parse(body, nullptr, false);
    std::string m;
    if (doc.is_object() && doc.contains("error")) {
        const json& e = doc["error"];
        if (e.is_object() && e.contains("message") && e["message"].is_string())
            m = e["message"].get<std::string>();
        else if (e.is_string())
            m = e.get<std::string>();
    }
    if (m.size() > max_error_message) m.resize(max_error_message);
    return m;
}

provider_error status_error(int status, const std::string& body, const upstream::response& r, const std::string& name) {
    const std::string detail = upstream_message(body);
    const std::string suffix = detail.empty() ? std::string() : ": " + detail;
    // A rate-limit text is the upstream's business (it may name accounts or keys); a rejection
    // of the request itself (400, 404, 422) is what the caller needs to fix it, so it is kept.
    if (status == 429)
        return error(failure_reason::rate_limited, "The upstream " + name + " is rate limiting requests; retry later.",
                     retry_after_seconds(r.header("retry-after")));
    if (status == 404) return error(failure_reason::model_unknown, "The upstream " + name + " does not know this model" + suffix);
    if (status == 400 || status == 422)
        return error(failure_reason::request_rejected, "The upstream " + name + " rejected the request" + suffix);
    return error(failure_reason::upstream_failed, "The upstream " + name + " failed with HTTP " + std::to_string(status) + ".");
}

/// Collects the answer text and usage of one chat.completion (`message`) or
/// chat.completion.chunk (`delta`) from Boost.JSON's push parser: no document is built.
class answer_handler {
public:
    static constexpr std::size_t max_array_size = -1;
    static constexpr std::size_t max_object_size = -1;
    static constexpr std::size_t max_string_size = -1;
    static constexpr std::size_t max_key_size = -1;

    explicit answer_handler(bool streaming) : text_key_(streaming ? name::delta : name::message) {}

    upstream_answer answer;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) { return open(false); }
    bool on_object_end(std::size_t, error_code&) { return close(); }
    bool on_array_begin(error_code&) { return open(true); }
    bool on_array_end(std::size_t, error_code&) { return close(); }
    bool on_key_part(std::string_view s, std::size_t, error_code&) {
        key_.append(s);
        return true;
    }
    bool on_key(std::string_view s, std::size_t, error_code&) {
        key_.append(s);
        if (depth_ > 0 && depth_ <= tracked) {
            frame& f = frames_[depth_ - 1];
            f.key = classify(key_);
            if (depth_ == 1) {
                answer.has_choices |= f.key == name::choices;
                answer.has_error |= f.key == name::error;
            }
        }
        key_.clear();
        return true;
    }
    bool on_string_part(std::string_view s, std::size_t, error_code&) {
        if (at_text()) answer.text.append(s);
        return true;
    }
    bool on_string(std::string_view s, std::size_t, error_code&) {
        if (at_text()) answer.text.append(s);
        return value_done();
    }
    bool on_number_part(std::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t v, std::string_view, error_code&) { return count(static_cast<long>(v)); }
    bool on_uint64(std::uint64_t v, std::string_view, error_code&) { return count(static_cast<long>(v)); }
    bool on_double(double, std::string_view, error_code&) { return value_done(); }
    bool on_bool(bool, error_code&) { return value_done(); }
    bool on_null(error_code&) { return value_done(); }
    bool on_comment_part(std::string_view, error_code&) { return true; }
    bool on_comment(std::string_view, error_code&) { return true; }

private:
    enum class name : unsigned char { other, choices, message, delta, content, usage, prompt_tokens, completion_tokens, error };
    struct frame {
        bool array = false;
        std::size_t index = 0;  // element being read, in arrays
        name key = name::other; // member being read, in objects
    };
    static constexpr std::size_t tracked = 4; // the paths read are at most this deep

    static name classify(std::string_view k) {
        static constexpr std::pair<std::string_view, name> known[] = {{"choices", name::choices},
                                                                      {"message", name::message},
                                                                      {"delta", name::delta},
                                                                      {"content", name::content},
                                                                      {"usage", name::usage},
                                                                      {"prompt_tokens", name::prompt_tokens},
                                                                      {"completion_tokens", name::completion_tokens},
                                                                      {"error", name::error}};
        for (const auto& [text, id] : known)
            if (k == text) return id;
        return name::other;
    }
    bool at_text() const {
        return depth_ == 4 && frames_[0].key == name::choices && frames_[1].array && frames_[1].index == 0 &&
               frames_[2].key == text_key_ && frames_[3].key == name::content;
    }
    bool open(bool array) {
        if (depth_ < tracked) frames_[depth_] = {array, 0, name::other};
        ++depth_;
        return true;
    }
    bool close() {
        --depth_;
        return value_done();
    }
    bool value_done() {
        if (depth_ > 0 && depth_ <= tracked && frames_[depth_ - 1].array) ++frames_[depth_ - 1].index;
        return true;
    }
    bool count(long v) {
        if (depth_ == 2 && frames_[0].key == name::usage &&
            (frames_[1].key == name::prompt_tokens || frames_[1].key == name::completion_tokens)) {
            auto& u = answer.usage ? *answer.usage : answer.usage.emplace();
            (frames_[1].key == name::prompt_tokens ? u.prompt_tokens : u.completion_tokens) = v;
        }
        return value_done();
    }

    name text_key_;
    std::array<frame, tracked> frames_{};
    std::size_t depth_ = 0;
    std::string key_; // a key delivered in parts (escapes)
};

} // namespace

std::optional<upstream_answer> scan_answer(std::string_view body, bool streaming) {
    // Boost.JSON's push parser rather than nlohmann's: this runs for every relayed chunk, and
    // nlohmann's lexer costs about 80 instructions per byte here (bench/README.md).
    // Invalid UTF-8 inside a string is let through here and replaced by U+FFFD when the text
    // is shaped, so one bad byte never costs the text around it.
    boost::json::parse_options options;
    options.allow_invalid_utf8 = true;
    boost::json::basic_parser<answer_handler> parser(options, streaming);
    error_code ec;
    const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
    if (ec || body.find_first_not_of(" \t\r\n", used) != std::string_view::npos) return std::nullopt; // one value only
    return std::move(parser.handler().answer);
}

std::string upstream_body(const api::chat_request& req, const model_route& route, const conversation_turn* conversation) {
    // Written field by field from the client's document: cheaper than editing a deep copy.
    std::string out;
    out.reserve(req.original.contains("messages") ? 256 : 64);
    out += '{';
    const auto field = [&out](std::string_view name) {
        if (out.size() > 1) out += ',';
        api::append_json_string(out, name);
        out += ':';
    };
    const auto value = [&out](const json& v) { out += v.dump(-1, ' ', false, json::error_handler_t::replace); };
    field("model");
    api::append_json_string(out, route.upstream_id);
    bool has_stream_options = false;
    for (const auto& [name, v] : req.original.items()) {
        if (name == "model" || name == "conversation_id") continue; // conversation_id is ours, not the upstream's
        field(name);
        if (name == "stream_options" && req.stream) { // we re-frame the stream and keep its usage
            has_stream_options = true;
            json options = v.is_object() ? v : json::object();
            options["include_usage"] = true;
            value(options);
        } else if (name == "messages" && conversation && !conversation->history.empty()) {
            json messages = json::array();
            for (const auto& m : conversation->history)
                messages.push_back({{"role", api::role_name(m.role)}, {"content", m.text}});
            for (const auto& m : v)
                messages.push_back(m);
            value(messages);
        } else {
            value(v);
        }
    }
    if (req.stream && !has_stream_options) {
        field("stream_options");
        out += R"({"include_usage":true})";
    }
    out += '}';
    return out;
}

openai_provider::openai_provider(config::openai_upstream upstream)
    : upstream_(std::move(upstream)), keys_(std::make_unique<credential_pool>(upstream_.api_keys, upstream_.key_cooldown)) {}

// `complete` stays small because a stream holds its frame for its whole life; each phase (the
// refusal, a whole answer, a stream) keeps its locals in a coroutine of its own.
net::awaitable<std::optional<provider_error>> openai_provider::complete(const api::chat_request& req, const model_route& route,
                                                                        event_sink& sink, call_context ctx) {
    try {
        auto res = co_await ctx.http.send(upstream_request(req, route, ctx));
        if (res.status() / 100 != 2) co_return co_await refusal(res);
        if (!req.stream) co_return co_await relay_answer(res, sink);
        co_return co_await relay_stream(res, sink);
    } catch (const upstream::failure& f) {
        spdlog::warn("[{}] {} exchange failed: {}", ctx.request_id, upstream_.name, f.what());
        co_return transport_error(f, "the upstream " + upstream_.name);
    }
}

upstream::request openai_provider::upstream_request(const api::chat_request& req, const model_route& route,
                                                    const call_context& ctx) const {
    upstream::header_list headers{{"Content-Type", "application/json"},
                                  {"Accept", req.stream ? "text/event-stream" : "application/json"}};
    if (!ctx.credential.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(ctx.credential));
    return {"POST", upstream_.base_url + "/chat/completions", std::move(headers), upstream_body(req, route, ctx.conversation)};
}

net::awaitable<std::optional<provider_error>> openai_provider::refusal(upstream::response& res) const {
    if (res.status() == 401 || res.status() == 403) {
        (void)co_await res.read_all(max_body);
        // The message is what the client reads once run_attempts has tried every key.
        co_return error(failure_reason::credential_rejected,
                        "The upstream " + upstream_.name + " rejected every configured API key.");
    }
    const std::string error_body = co_await res.read_all(max_body);
    co_return status_error(res.status(), error_body, res, upstream_.name);
}

net::awaitable<std::optional<provider_error>> openai_provider::relay_answer(upstream::response& res, event_sink& sink) const {
    const std::string answer = co_await res.read_all(max_body);
    auto scanned = scan_answer(answer, false);
    if (!scanned || !scanned->has_choices)
        co_return error(failure_reason::protocol, "The upstream " + upstream_.name + " sent an unreadable answer.");
    if (!scanned->text.empty()) {
        provider_event ev{text_delta{std::move(scanned->text)}};
        if (!co_await sink.emit(std::move(ev))) co_return std::nullopt;
    }
    if (scanned->usage) {
        provider_event ev{*scanned->usage};
        co_await sink.emit(std::move(ev));
    }
    co_return std::nullopt;
}

net::awaitable<std::optional<provider_error>> openai_provider::relay_stream(upstream::response& res, event_sink& sink) const {
    upstream::sse_reader reader;
    std::vector<std::string> texts;
    std::optional<usage_report> usage;
    bool finished = false;
    std::optional<std::string> in_band;
    auto on_event = [&](const upstream::sse_event& ev) {
        if (finished || in_band) return;
        if (ev.data == "[DONE]") {
            finished = true;
            return;
        }
        auto scanned = scan_answer(ev.data, true);
        if (!scanned) return;
        auto& chunk = *scanned;
        if (chunk.has_error) {
            in_band = upstream_message(ev.data);
            return;
        }
        if (chunk.usage) usage = chunk.usage;
        if (!chunk.text.empty()) texts.push_back(std::move(chunk.text));
    };
    bool consumer_gone = false;
    while (auto bytes = co_await res.read_some()) {
        if (!reader.feed(*bytes, on_event))
            co_return error(failure_reason::protocol, "The upstream " + upstream_.name + " sent an oversized event.");
        for (auto& t : texts) {
            provider_event ev{text_delta{std::move(t)}};
            if (!co_await sink.emit(std::move(ev))) consumer_gone = true;
            if (consumer_gone) break;
        }
        texts.clear();
        if (consumer_gone || finished || in_band) break;
    }
    if (consumer_gone) co_return std::nullopt;
    if (in_band)
        co_return error(failure_reason::upstream_failed, "The upstream " + upstream_.name + " reported an error" +
                                                             (in_band->empty() ? std::string(".") : ": " + *in_band));
    if (!finished) co_return error(failure_reason::transport, "The upstream " + upstream_.name + " ended the stream early.");
    // Read the body's end after [DONE], so the connection goes back to the pool.
    while (co_await res.read_some()) {
    }
    if (usage) {
        provider_event ev{*usage};
        co_await sink.emit(std::move(ev));
    }
    co_return std::nullopt;
}

std::vector<std::string> discover_models(const config::openai_upstream& upstream, const config::upstream_settings& settings) {
    net::io_context ioc(1);
    upstream::http_client http(ioc.get_executor(), settings);
    // Any key the upstream accepts will do; keyless upstreams are asked once without one.
    auto fetch = [&]() -> net::awaitable<std::vector<std::string>> {
        std::vector<std::string> keys = upstream.api_keys;
        if (keys.empty()) keys.emplace_back();
        for (const auto& key : keys) {
            upstream::header_list headers{{"Accept", "application/json"}};
            if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
            upstream::request r{"GET", upstream.base_url + "/models", std::move(headers), ""};
            auto res = co_await http.send(std::move(r));
            const std::string body = co_await res.read_all(max_body);
            const json doc = json::parse(body, nullptr, false);
            if (res.status() != 200 || !doc.is_object() || !doc.contains("data") || !doc["data"].is_array()) continue;
            std::vector<std::string> ids;
            for (const auto& m : doc["data"])
                if (m.is_object() && m.contains("id") && m["id"].is_string()) ids.push_back(m["id"].get<std::string>());
            co_return ids;
        }
        co_return std::vector<std::string>{};
    };
    auto result = net::co_spawn(ioc, fetch(), net::use_future);
    ioc.run();
    try {
        return result.get();
    } catch (const std::exception& e) {
        spdlog::error("listing models of {} at {} failed: {}", upstream.name, upstream.base_url, e.what());
        return {};
    }
}

} // namespace switchyard::providers::openai
