#include "switchyard/providers/openai/openai_provider.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "switchyard/api/chat_format.hpp"
#include "switchyard/providers/upstream_errors.hpp"
#include "switchyard/upstream/sse_reader.hpp"
#include "switchyard/util/ids.hpp"
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

/// Collects what the gateway reads from one chat.completion (`message`) or chat.completion.chunk
/// (`delta`) from Boost.JSON's push parser: no document is built. The paths read:
///   choices[0].{message|delta}.{content|reasoning_content|reasoning}
///   choices[0].{message|delta}.tool_calls[k].{index|id|function.{name|arguments}}
///   choices[0].finish_reason, usage.{prompt_tokens|completion_tokens}, error
class answer_handler {
public:
    static constexpr std::size_t max_array_size = -1;
    static constexpr std::size_t max_object_size = -1;
    static constexpr std::size_t max_string_size = -1;
    static constexpr std::size_t max_key_size = -1;

    explicit answer_handler(bool streaming) : message_key_(streaming ? name::delta : name::message) {}

    upstream_answer answer;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) {
        if (at_tool_call_element()) answer.tool_calls.push_back({});
        return open(false);
    }
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
        if (std::string* out = string_target()) out->append(s);
        return true;
    }
    bool on_string(std::string_view s, std::size_t, error_code&) {
        if (std::string* out = string_target()) out->append(s);
        if (string_is_finish_reason()) answer.finish = cause_of(finish_text_);
        finish_text_.clear();
        return value_done();
    }
    bool on_number_part(std::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t v, std::string_view, error_code&) { return count(v); }
    bool on_uint64(std::uint64_t v, std::string_view, error_code&) { return count(static_cast<std::int64_t>(v)); }
    bool on_double(double, std::string_view, error_code&) { return value_done(); }
    bool on_bool(bool, error_code&) { return value_done(); }
    bool on_null(error_code&) { return value_done(); }
    bool on_comment_part(std::string_view, error_code&) { return true; }
    bool on_comment(std::string_view, error_code&) { return true; }

private:
    enum class name : unsigned char {
        other,
        choices,
        message,
        delta,
        content,
        reasoning,
        usage,
        prompt_tokens,
        completion_tokens,
        error,
        finish_reason,
        tool_calls,
        index,
        id,
        function,
        function_name,
        arguments
    };
    struct frame {
        bool array = false;
        std::size_t index = 0;  // element being read, in arrays
        name key = name::other; // member being read, in objects
    };
    static constexpr std::size_t tracked = 7; // the paths read are at most this deep

    static name classify(std::string_view k) {
        static constexpr std::pair<std::string_view, name> known[] = {{"choices", name::choices},
                                                                      {"message", name::message},
                                                                      {"delta", name::delta},
                                                                      {"content", name::content},
                                                                      {"reasoning_content", name::reasoning},
                                                                      {"reasoning", name::reasoning},
                                                                      {"usage", name::usage},
                                                                      {"prompt_tokens", name::prompt_tokens},
                                                                      {"completion_tokens", name::completion_tokens},
                                                                      {"error", name::error},
                                                                      {"finish_reason", name::finish_reason},
                                                                      {"tool_calls", name::tool_calls},
                                                                      {"index", name::index},
                                                                      {"id", name::id},
                                                                      {"function", name::function},
                                                                      {"name", name::function_name},
                                                                      {"arguments", name::arguments}};
        for (const auto& [text, id] : known)
            if (k == text) return id;
        return name::other;
    }
    static finish_cause cause_of(std::string_view r) {
        if (r == "length") return finish_cause::length;
        if (r == "tool_calls" || r == "function_call") return finish_cause::tool_calls;
        if (r == "content_filter") return finish_cause::content_filter;
        return finish_cause::stop;
    }
    /// Inside choices[0], at depth `d` or more.
    bool in_first_choice(std::size_t d) const {
        return depth_ >= d && frames_[0].key == name::choices && frames_[1].array && frames_[1].index == 0;
    }
    /// choices[0].{message|delta}.tool_calls[k] is about to be an object.
    bool at_tool_call_element() const {
        return depth_ == 5 && in_first_choice(5) && frames_[2].key == message_key_ && frames_[3].key == name::tool_calls &&
               frames_[4].array;
    }
    bool in_tool_call() const {
        return depth_ >= 6 && in_first_choice(6) && frames_[2].key == message_key_ && frames_[3].key == name::tool_calls &&
               frames_[4].array && !answer.tool_calls.empty();
    }
    std::string* string_target() {
        if (depth_ == 4 && in_first_choice(4) && frames_[2].key == message_key_) {
            if (frames_[3].key == name::content) return &answer.text;
            if (frames_[3].key == name::reasoning) return &answer.reasoning;
            return nullptr;
        }
        if (string_is_finish_reason()) return &finish_text_;
        if (!in_tool_call()) return nullptr;
        auto& call = answer.tool_calls.back();
        if (depth_ == 6 && frames_[5].key == name::id) return &call.id;
        if (depth_ == 7 && frames_[5].key == name::function) {
            if (frames_[6].key == name::function_name) return &(call.name ? *call.name : call.name.emplace());
            if (frames_[6].key == name::arguments) return &call.arguments;
        }
        return nullptr;
    }
    bool string_is_finish_reason() const { return depth_ == 3 && in_first_choice(3) && frames_[2].key == name::finish_reason; }
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
    bool count(std::int64_t v) {
        if (depth_ == 2 && frames_[0].key == name::usage &&
            (frames_[1].key == name::prompt_tokens || frames_[1].key == name::completion_tokens)) {
            auto& u = answer.usage ? *answer.usage : answer.usage.emplace();
            (frames_[1].key == name::prompt_tokens ? u.prompt_tokens : u.completion_tokens) = static_cast<long>(v);
        }
        if (depth_ == 6 && in_tool_call() && frames_[5].key == name::index && v >= 0 && v < 1024)
            answer.tool_calls.back().index = static_cast<std::size_t>(v);
        return value_done();
    }

    name message_key_;
    std::array<frame, tracked> frames_{};
    std::size_t depth_ = 0;
    std::string key_;         // a key delivered in parts (escapes)
    std::string finish_text_; // the finish reason, delivered in parts
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

namespace {

void append_message(std::string& out, const api::chat_message& m) {
    out += "{\"role\":";
    api::append_json_string(out, api::role_name(m.role));
    out += ",\"content\":";
    if (!m.images.empty()) {
        out += '[';
        if (!m.text.empty()) {
            out += "{\"type\":\"text\",\"text\":";
            api::append_json_string(out, m.text);
            out += "},";
        }
        for (std::size_t i = 0; i < m.images.size(); ++i) {
            if (i) out += ',';
            out += "{\"type\":\"image_url\",\"image_url\":{\"url\":";
            api::append_json_string(out, m.images[i].url);
            if (!m.images[i].detail.empty()) {
                out += ",\"detail\":";
                api::append_json_string(out, m.images[i].detail);
            }
            out += "}}";
        }
        out += ']';
    } else if (m.text.empty() && !m.tool_calls.empty()) {
        out += "null";
    } else {
        api::append_json_string(out, m.text);
    }
    if (!m.name.empty()) {
        out += ",\"name\":";
        api::append_json_string(out, m.name);
    }
    if (!m.tool_calls.empty()) {
        out += ",\"tool_calls\":";
        api::append_tool_calls(out, m.tool_calls);
    }
    if (m.role == api::message_role::tool && !m.tool_call_id.empty()) {
        out += ",\"tool_call_id\":";
        api::append_json_string(out, m.tool_call_id);
    }
    out += '}';
}

void append_tools(std::string& out, const std::vector<api::tool_definition>& tools) {
    out += '[';
    for (std::size_t i = 0; i < tools.size(); ++i) {
        const auto& t = tools[i];
        if (i) out += ',';
        out += "{\"type\":\"function\",\"function\":{\"name\":";
        api::append_json_string(out, t.name);
        if (!t.description.empty()) {
            out += ",\"description\":";
            api::append_json_string(out, t.description);
        }
        if (!t.parameters.is_null()) {
            out += ",\"parameters\":";
            out += t.parameters.dump(-1, ' ', false, json::error_handler_t::replace);
        }
        if (t.strict) out += ",\"strict\":true";
        out += "}}";
    }
    out += ']';
}

void append_tool_choice(std::string& out, const api::tool_choice& choice) {
    switch (choice.mode) {
    case api::tool_choice_mode::automatic: out += "\"auto\""; return;
    case api::tool_choice_mode::none: out += "\"none\""; return;
    case api::tool_choice_mode::required: out += "\"required\""; return;
    case api::tool_choice_mode::named:
        out += "{\"type\":\"function\",\"function\":{\"name\":";
        api::append_json_string(out, choice.name);
        out += "}}";
        return;
    }
}

} // namespace

std::string upstream_body(const api::chat_request& req, const model_route& route, const conversation_turn* conversation) {
    std::string out;
    out.reserve(256);
    out += "{\"model\":";
    api::append_json_string(out, route.upstream_id);
    out += ",\"messages\":[";
    bool first = true;
    const auto message = [&](const api::chat_message& m) {
        if (!first) out += ',';
        first = false;
        append_message(out, m);
    };
    if (conversation)
        for (const auto& m : conversation->history)
            message(m);
    for (const auto& m : req.messages)
        message(m);
    out += ']';
    const auto field = [&out](std::string_view name) {
        out += ',';
        api::append_json_string(out, name);
        out += ':';
    };
    const auto number = [&out](double v) { out += json(v).dump(); };
    if (req.stream) {
        field("stream");
        out += "true";
    }
    if (req.temperature) {
        field("temperature");
        number(*req.temperature);
    }
    if (req.top_p) {
        field("top_p");
        number(*req.top_p);
    }
    if (req.max_tokens) {
        field(req.max_tokens_named_completion ? "max_completion_tokens" : "max_tokens");
        out += std::to_string(*req.max_tokens);
    }
    if (!req.stop.empty()) {
        field("stop");
        out += '[';
        for (std::size_t i = 0; i < req.stop.size(); ++i) {
            if (i) out += ',';
            api::append_json_string(out, req.stop[i]);
        }
        out += ']';
    }
    if (!req.tools.empty()) {
        field("tools");
        append_tools(out, req.tools);
        field("tool_choice");
        append_tool_choice(out, req.tool_choice);
    }
    if (req.parallel_tool_calls) {
        field("parallel_tool_calls");
        out += *req.parallel_tool_calls ? "true" : "false";
    }
    bool has_stream_options = false;
    for (const auto& [name, v] : req.passthrough.items()) {
        if (name == "stream_options" && !req.stream) continue; // only allowed with a stream
        field(name);
        if (name == "stream_options" && req.stream) { // we re-frame the stream and keep its usage
            has_stream_options = true;
            json options = v.is_object() ? v : json::object();
            options["include_usage"] = true;
            out += options.dump(-1, ' ', false, json::error_handler_t::replace);
        } else {
            out += v.dump(-1, ' ', false, json::error_handler_t::replace);
        }
    }
    if (req.stream && !has_stream_options) {
        field("stream_options");
        out += R"({"include_usage":true})";
    }
    out += '}';
    return out;
}

openai_provider::openai_provider(config::openai_upstream upstream, config::credential_settings credentials)
    : upstream_(std::move(upstream)),
      keys_(std::make_unique<credential_pool>(
          upstream_.api_keys, credential_policy{upstream_.key_cooldown, credentials.max_concurrent, credentials.dead_after})) {}

net::awaitable<std::optional<provider_error>> openai_provider::probe(const model_route& route, call_context ctx) {
    (void)route;
    try {
        upstream::header_list headers{{"Accept", "application/json"}};
        if (!ctx.credential.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(ctx.credential));
        upstream::request list{"GET", upstream_.base_url + "/models", std::move(headers), ""};
        auto res = co_await ctx.http.send(std::move(list));
        if (res.status() / 100 != 2) co_return co_await refusal(res);
        (void)co_await res.read_all(max_body);
        co_return std::nullopt;
    } catch (const upstream::failure& f) {
        co_return transport_error(f, "the upstream " + upstream_.name);
    }
}

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
                        "The upstream " + upstream_.name + " refused the API key (HTTP " + std::to_string(res.status()) + ").");
    }
    const std::string error_body = co_await res.read_all(max_body);
    co_return status_error(res.status(), error_body, res, upstream_.name);
}

namespace {

/// Turns the upstream's tool-call fragments into neutral events. A streamed call is keyed by its
/// `index`; it opens once its name is known (arguments that came before wait), and every open
/// call ends when the answer does.
class tool_call_events {
public:
    void add(std::vector<upstream_tool_call>& calls, std::vector<provider_event>& out) {
        for (std::size_t position = 0; position < calls.size(); ++position) {
            auto& c = calls[position];
            const std::size_t key = c.index.value_or(position);
            auto it = std::find_if(open_.begin(), open_.end(), [&](const call& o) { return o.key == key; });
            if (it == open_.end()) {
                if (open_.size() >= max_calls) continue; // a bound on what one answer may open
                open_.push_back({key, open_.size(), false, {}, {}});
                it = std::prev(open_.end());
            }
            if (!c.id.empty() && it->id.empty()) it->id = std::move(c.id);
            if (!it->begun && c.name && !c.name->empty()) {
                it->begun = true;
                if (it->id.empty()) it->id = "call_" + ids::alphanumeric(24);
                out.emplace_back(tool_call_begin{it->ours, it->id, std::move(*c.name)});
                if (!it->waiting.empty()) out.emplace_back(tool_call_arguments{it->ours, std::move(it->waiting)});
                it->waiting.clear();
            }
            if (c.arguments.empty()) continue;
            if (it->begun)
                out.emplace_back(tool_call_arguments{it->ours, std::move(c.arguments)});
            else if (it->waiting.size() + c.arguments.size() <= max_waiting)
                it->waiting += c.arguments;
        }
    }
    void end_all(std::vector<provider_event>& out) {
        for (auto& c : open_)
            if (c.begun) out.emplace_back(tool_call_end{c.ours});
        open_.clear();
    }

private:
    static constexpr std::size_t max_calls = 128;
    static constexpr std::size_t max_waiting = 64 * 1024;
    struct call {
        std::size_t key;  // the upstream's index
        std::size_t ours; // the index the client sees
        bool begun;
        std::string id;
        std::string waiting; // arguments that came before the name
    };
    std::vector<call> open_;
};

/// The events of one scanned message or delta, in the order a client reads them.
void events_of(upstream_answer& a, tool_call_events& calls, std::vector<provider_event>& out) {
    if (!a.reasoning.empty()) out.emplace_back(reasoning_delta{std::move(a.reasoning)});
    if (!a.text.empty()) out.emplace_back(text_delta{std::move(a.text)});
    calls.add(a.tool_calls, out);
}

} // namespace

net::awaitable<std::optional<provider_error>> openai_provider::relay_answer(upstream::response& res, event_sink& sink) const {
    const std::string answer = co_await res.read_all(max_body);
    auto scanned = scan_answer(answer, false);
    if (!scanned || !scanned->has_choices)
        co_return error(failure_reason::protocol, "The upstream " + upstream_.name + " sent an unreadable answer.");
    std::vector<provider_event> events;
    tool_call_events calls;
    events_of(*scanned, calls, events);
    calls.end_all(events);
    if (scanned->usage) events.emplace_back(*scanned->usage);
    if (scanned->finish) events.emplace_back(finish_report{*scanned->finish});
    for (auto& ev : events)
        if (!co_await sink.emit(std::move(ev))) co_return std::nullopt;
    co_return std::nullopt;
}

net::awaitable<std::optional<provider_error>> openai_provider::relay_stream(upstream::response& res, event_sink& sink) const {
    upstream::sse_reader reader;
    std::vector<provider_event> events;
    tool_call_events calls;
    std::optional<usage_report> usage;
    std::optional<finish_cause> finish;
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
        if (chunk.finish) finish = chunk.finish;
        events_of(chunk, calls, events);
    };
    bool consumer_gone = false;
    while (auto bytes = co_await res.read_some()) {
        if (!reader.feed(*bytes, on_event))
            co_return error(failure_reason::protocol, "The upstream " + upstream_.name + " sent an oversized event.");
        for (auto& ev : events) {
            if (!co_await sink.emit(std::move(ev))) consumer_gone = true;
            if (consumer_gone) break;
        }
        events.clear();
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
    calls.end_all(events);
    if (usage) events.emplace_back(*usage);
    if (finish) events.emplace_back(finish_report{*finish});
    for (auto& ev : events)
        if (!co_await sink.emit(std::move(ev))) break;
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
