// api::responses::parse_responses_request on arbitrary bodies. Checks: it returns (never
// throws); an error is a 400 naming its `param` (except for unparseable JSON); an accepted
// request has a model and messages, one stored item with a type and an id for every input item,
// its input after the instructions, and never both a previous response and a conversation.
#include <nlohmann/json.hpp>

#include <string>

#include "fuzz_input.hpp"
#include "switchyard/api/responses/responses_request.hpp"

using namespace switchyard::api;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    const auto parsed = responses::parse_responses_request(body);
    if (const auto* e = std::get_if<api_error>(&parsed)) {
        FUZZ_CHECK(e->kind == error_kind::invalid_json || e->param.has_value());
        FUZZ_CHECK(traits_of(e->kind).status == 400);
        return 0;
    }
    const auto& r = std::get<responses::responses_request>(parsed);
    const json doc = json::parse(body);
    FUZZ_CHECK(r.turn.model == doc["model"]);
    FUZZ_CHECK(!r.input_items.empty());
    FUZZ_CHECK(r.input_items.size() == (doc["input"].is_string() ? 1 : doc["input"].size()));
    for (const auto& item : r.input_items)
        FUZZ_CHECK(item.is_object() && item["type"].is_string() && item["id"].is_string() && !item["id"].empty());
    FUZZ_CHECK(r.input_start <= 1 && r.input_start <= r.turn.messages.size());
    FUZZ_CHECK(r.turn.messages.size() > r.input_start || !r.previous_response_id.empty() || r.turn.conversation_id);
    FUZZ_CHECK(r.previous_response_id.empty() || !r.turn.conversation_id);
    FUZZ_CHECK(r.echo.is_object() && r.echo["store"] == r.store);
    if (r.turn.max_tokens) FUZZ_CHECK(*r.turn.max_tokens >= 1);
    return 0;
}
