#pragma once
// The Responses API on the shared answer path: a `response` object, or its stream of typed
// events (response.created … response.completed), each with a sequence_number.
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "switchyard/api/answer_encoder.hpp"

namespace switchyard::api::responses {

class responses_encoder final : public answer_encoder {
public:
    /// `echo`: the request's fields that the response shows (instructions, tools, …);
    /// `custom_tools`: the freeform tools, whose calls are custom_tool_call items.
    responses_encoder(std::string model, nlohmann::ordered_json echo, std::vector<std::string> custom_tools);

    std::string opening(long prompt_tokens) override;
    std::string text(std::string_view text) override;
    std::string reasoning(std::string_view text) override;
    std::string tool_call_begin(std::size_t index, std::string_view id, std::string_view name) override;
    std::string tool_call_arguments(std::size_t index, std::string_view fragment) override;
    std::string_view keepalive() const override { return ": keep-alive\n"; }
    std::string closing(const answer_end& end) override;
    std::string failure(const api_error& e) override;
    http::http_response error_response(const api_error& e) const override;
    http::http_response whole(const whole_answer& answer) override;

    const std::string& id() const { return id_; }
    /// The response as the client last received it whole (after closing() or whole()), for storing.
    const nlohmann::ordered_json& final_response() const { return final_; }
    /// Its output items, as a conversation keeps them.
    std::vector<nlohmann::json> output_items() const;

private:
    using json = nlohmann::ordered_json;
    enum class item { none, message, reasoning };

    /// The response object in `status`, with the items finished so far.
    json response(std::string_view status) const;
    /// One event, numbered next unless `sequence` is given.
    std::string event(std::string_view type, json data, std::optional<long> sequence = std::nullopt);
    std::string open(item kind);
    std::string close_item();
    /// The finished calls as output items, with their events when `stream`.
    std::string add_calls(std::string_view status, bool stream);

    std::string id_;
    std::time_t created_;
    std::string model_;
    json echo_;
    std::vector<std::string> custom_tools_;
    long sequence_ = 2;           // 0 and 1 are the opening's
    json output_ = json::array(); // finished items
    item open_ = item::none;
    std::string open_id_;
    std::string open_text_;
    // Calls are written whole at the end: an upstream may interleave their argument fragments.
    std::vector<tool_call> calls_;
    json final_;
};

} // namespace switchyard::api::responses
