#include "switchyard/api/responses/responses_format.hpp"

#include <algorithm>

#include "switchyard/api/handlers.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::api::responses {
namespace {

using json = nlohmann::ordered_json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json message_item(const std::string& id, std::string_view status, const std::string& text) {
    json content = json::array();
    if (status == "completed") content.push_back({{"type", "output_text"}, {"text", text}, {"annotations", json::array()}});
    return {{"id", id}, {"type", "message"}, {"status", status}, {"role", "assistant"}, {"content", std::move(content)}};
}

json reasoning_item(const std::string& id, const std::string& text) {
    json summary = json::array();
    if (!text.empty()) summary.push_back({{"type", "summary_text"}, {"text", text}});
    return {{"id", id}, {"type", "reasoning"}, {"summary", std::move(summary)}};
}

json custom_call_item(const std::string& id, std::string_view status, const tool_call& call, std::string_view input) {
    return {{"id", id},           {"type", "custom_tool_call"}, {"status", status},
            {"call_id", call.id}, {"name", call.name},          {"input", input}};
}

/// A freeform tool's input: the `input` the emulated function was called with, else the raw text.
std::string freeform_input(const tool_call& call) {
    const auto args = json::parse(call.arguments, nullptr, false);
    if (args.is_object() && args.contains("input") && args["input"].is_string()) return args["input"].get<std::string>();
    return call.arguments;
}

json call_item(const std::string& id, std::string_view status, const tool_call& call, std::string_view arguments) {
    return {{"id", id},           {"type", "function_call"}, {"status", status}, {"arguments", arguments},
            {"call_id", call.id}, {"name", call.name}};
}

json usage_json(const usage_counts& u) {
    return {{"input_tokens", u.prompt_tokens},
            {"input_tokens_details", {{"cached_tokens", 0}}},
            {"output_tokens", u.completion_tokens},
            {"output_tokens_details", {{"reasoning_tokens", 0}}},
            {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

/// Arguments as a client can parse them: the model's JSON, or {} when it wrote none.
std::string arguments_of(const tool_call& call) { return call.arguments.empty() ? std::string("{}") : call.arguments; }

} // namespace

responses_encoder::responses_encoder(std::string model, json echo, std::vector<std::string> custom_tools)
    : id_("resp_" + ids::hex(48)), created_(std::time(nullptr)), model_(std::move(model)), echo_(std::move(echo)),
      custom_tools_(std::move(custom_tools)) {}

json responses_encoder::response(std::string_view status) const {
    json r = {{"id", id_},
              {"object", "response"},
              {"created_at", static_cast<long long>(created_)},
              {"status", status},
              {"background", false},
              {"error", nullptr},
              {"incomplete_details", nullptr},
              {"model", model_},
              {"output", output_},
              {"previous_response_id", nullptr},
              {"reasoning", {{"effort", nullptr}, {"summary", nullptr}}},
              {"text", {{"format", {{"type", "text"}}}}},
              {"truncation", "disabled"},
              {"usage", nullptr},
              {"user", nullptr}};
    for (const auto& [k, v] : echo_.items())
        r[k] = v;
    return r;
}

std::string responses_encoder::event(std::string_view type, json data, std::optional<long> sequence) {
    json e = {{"type", type}, {"sequence_number", sequence ? *sequence : sequence_++}};
    for (auto& [k, v] : data.items())
        e[k] = std::move(v);
    std::string out = "event: ";
    out += type;
    out += "\ndata: ";
    out += dump(e);
    out += "\n\n";
    return out;
}

// The opening is written first, at the commit point, but asked for only once the first event
// is encoded: its numbers are kept for it.
std::string responses_encoder::opening(long) {
    // Items finished before the commit still come after these, each with its own events.
    json start = response("in_progress");
    start["output"] = json::array();
    std::string out = event("response.created", {{"response", start}}, 0);
    out += event("response.in_progress", {{"response", std::move(start)}}, 1);
    return out;
}

std::string responses_encoder::open(item kind) {
    if (open_ == kind) return {};
    std::string out = close_item();
    open_ = kind;
    open_text_.clear();
    const auto index = output_.size();
    if (kind == item::message) {
        open_id_ = "msg_" + ids::hex(48);
        out +=
            event("response.output_item.added", {{"output_index", index}, {"item", message_item(open_id_, "in_progress", {})}});
        out += event("response.content_part.added",
                     {{"item_id", open_id_},
                      {"output_index", index},
                      {"content_index", 0},
                      {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}}});
    } else {
        open_id_ = "rs_" + ids::hex(48);
        out += event("response.output_item.added", {{"output_index", index}, {"item", reasoning_item(open_id_, {})}});
        out += event("response.reasoning_summary_part.added", {{"item_id", open_id_},
                                                               {"output_index", index},
                                                               {"summary_index", 0},
                                                               {"part", {{"type", "summary_text"}, {"text", ""}}}});
    }
    return out;
}

std::string responses_encoder::close_item() {
    if (open_ == item::none) return {};
    const auto index = output_.size();
    std::string out;
    json done;
    if (open_ == item::message) {
        const json part = {{"type", "output_text"}, {"text", open_text_}, {"annotations", json::array()}};
        out += event("response.output_text.done", {{"item_id", open_id_},
                                                   {"output_index", index},
                                                   {"content_index", 0},
                                                   {"text", open_text_},
                                                   {"logprobs", json::array()}});
        out += event("response.content_part.done",
                     {{"item_id", open_id_}, {"output_index", index}, {"content_index", 0}, {"part", part}});
        done = message_item(open_id_, "completed", open_text_);
    } else {
        const json part = {{"type", "summary_text"}, {"text", open_text_}};
        out += event("response.reasoning_summary_text.done",
                     {{"item_id", open_id_}, {"output_index", index}, {"summary_index", 0}, {"text", open_text_}});
        out += event("response.reasoning_summary_part.done",
                     {{"item_id", open_id_}, {"output_index", index}, {"summary_index", 0}, {"part", part}});
        done = reasoning_item(open_id_, open_text_);
    }
    out += event("response.output_item.done", {{"output_index", index}, {"item", done}});
    output_.push_back(std::move(done));
    open_ = item::none;
    return out;
}

std::string responses_encoder::text(std::string_view text) {
    std::string out = open(item::message);
    open_text_ += text;
    out += event("response.output_text.delta", {{"item_id", open_id_},
                                                {"output_index", output_.size()},
                                                {"content_index", 0},
                                                {"delta", text},
                                                {"logprobs", json::array()}});
    return out;
}

std::string responses_encoder::reasoning(std::string_view text) {
    std::string out = open(item::reasoning);
    open_text_ += text;
    out += event("response.reasoning_summary_text.delta",
                 {{"item_id", open_id_}, {"output_index", output_.size()}, {"summary_index", 0}, {"delta", text}});
    return out;
}

std::string responses_encoder::tool_call_begin(std::size_t index, std::string_view id, std::string_view name) {
    if (calls_.size() <= index) calls_.resize(index + 1);
    calls_[index].id = id;
    calls_[index].name = name;
    return close_item();
}

std::string responses_encoder::tool_call_arguments(std::size_t index, std::string_view fragment) {
    if (index < calls_.size()) calls_[index].arguments += fragment;
    return {};
}

std::string responses_encoder::add_calls(std::string_view status, bool stream) {
    std::string out;
    for (const auto& call : calls_) {
        if (call.name.empty()) continue;
        const bool custom = std::find(custom_tools_.begin(), custom_tools_.end(), call.name) != custom_tools_.end();
        const std::string item_id = (custom ? "ctc_" : "fc_") + ids::hex(48);
        const std::string payload = custom ? freeform_input(call) : arguments_of(call);
        const auto index = output_.size();
        json done = custom ? custom_call_item(item_id, status, call, payload) : call_item(item_id, status, call, payload);
        if (stream) {
            json added = done;
            added["status"] = "in_progress";
            added[custom ? "input" : "arguments"] = "";
            const std::string kind = custom ? "response.custom_tool_call_input" : "response.function_call_arguments";
            out += event("response.output_item.added", {{"output_index", index}, {"item", std::move(added)}});
            out += event(kind + ".delta", {{"item_id", item_id}, {"output_index", index}, {"delta", payload}});
            out +=
                event(kind + ".done", {{"item_id", item_id}, {"output_index", index}, {custom ? "input" : "arguments", payload}});
            out += event("response.output_item.done", {{"output_index", index}, {"item", done}});
        }
        output_.push_back(std::move(done));
    }
    return out;
}

namespace {

/// The response's final state: incomplete when a limit or a filter cut the answer.
json finished(json r, const answer_end& end) {
    if (end.finish == finish_kind::length || end.finish == finish_kind::content_filter) {
        r["status"] = "incomplete";
        r["incomplete_details"] = {{"reason", end.finish == finish_kind::length ? "max_output_tokens" : "content_filter"}};
    }
    r["usage"] = usage_json(end.usage);
    return r;
}

} // namespace

// Built on a copy: the answer is stored between closing() and writing it, and if that fails,
// failure() must follow the events the client has seen, not these.
std::string responses_encoder::closing(const answer_end& end) {
    responses_encoder closed(*this);
    std::string out = closed.close_item();
    out += closed.add_calls(end.finish == finish_kind::length ? "incomplete" : "completed", true);
    final_ = finished(closed.response("completed"), end);
    const std::string type = final_["status"] == "completed" ? "response.completed" : "response.incomplete";
    out += closed.event(type, {{"response", final_}});
    return out;
}

std::vector<nlohmann::json> responses_encoder::output_items() const {
    std::vector<nlohmann::json> out;
    if (const auto it = final_.find("output"); it != final_.end())
        for (const auto& item : *it)
            out.push_back(nlohmann::json::parse(item.dump()));
    return out;
}

std::string responses_encoder::failure(const api_error& e) {
    json r = response("failed");
    const auto traits = traits_of(e.kind);
    r["error"] = {{"code", traits.code ? traits.code : "server_error"}, {"message", e.message}};
    return event("response.failed", {{"response", std::move(r)}});
}

http::http_response responses_encoder::error_response(const api_error& e) const { return api::error_response(e); }

http::http_response responses_encoder::whole(const whole_answer& answer) {
    if (!answer.reasoning.empty()) output_.push_back(reasoning_item("rs_" + ids::hex(48), std::string(answer.reasoning)));
    if (!answer.content.empty()) output_.push_back(message_item("msg_" + ids::hex(48), "completed", std::string(answer.content)));
    calls_ = answer.tool_calls;
    add_calls(answer.end.finish == finish_kind::length ? "incomplete" : "completed", false);
    final_ = finished(response("completed"), answer.end);
    return json_response(dump(final_));
}

} // namespace switchyard::api::responses
