// api::parse_chat_request on arbitrary bodies. Checks: it returns (never throws); an accepted
// request satisfies every rule the parser promises; an error renders as the one JSON envelope
// and names its `param` (except for unparseable JSON); and parsing the accepted request's own
// JSON again gives the same request.
#include <nlohmann/json.hpp>

#include <string>

#include "fuzz_input.hpp"
#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"

using namespace switchyard::api;
using nlohmann::json;

namespace {

void check_error(const api_error& e) {
    FUZZ_CHECK(e.kind == error_kind::invalid_json || e.param.has_value());
    FUZZ_CHECK(traits_of(e.kind).status == 400);
    const json body = json::parse(error_body(e), nullptr, false);
    FUZZ_CHECK(body.is_object() && body.size() == 1 && body.contains("error"));
    const json& err = body["error"];
    FUZZ_CHECK(err.is_object() && err.size() == 4 && err["message"].is_string() && err["type"].is_string());
}

void check_request(const chat_request& r) {
    FUZZ_CHECK(!r.model.empty());
    FUZZ_CHECK(!r.messages.empty());
    FUZZ_CHECK(r.stop.size() <= 4);
    for (const auto& s : r.stop)
        FUZZ_CHECK(!s.empty());
    if (r.max_tokens) FUZZ_CHECK(*r.max_tokens >= 1);
    if (r.temperature) FUZZ_CHECK(*r.temperature >= 0 && *r.temperature <= 2);
    FUZZ_CHECK(r.stream || !r.include_usage);
    FUZZ_CHECK(r.passthrough.is_object());
    for (const char* ours : {"model", "messages", "tools", "tool_choice", "conversation_id"})
        FUZZ_CHECK(!r.passthrough.contains(ours));
    for (const auto& t : r.tools)
        FUZZ_CHECK(!t.name.empty() && t.name.size() <= 64);
    if (r.tool_choice.mode == tool_choice_mode::named) FUZZ_CHECK(r.find_tool(r.tool_choice.name) != nullptr);
    if (r.tool_choice.mode == tool_choice_mode::required) FUZZ_CHECK(!r.tools.empty());
    for (const auto& m : r.messages)
        for (const auto& img : m.images)
            FUZZ_CHECK(img.param.starts_with("messages["));
}

bool same(const chat_request& a, const chat_request& b) {
    if (a.messages.size() != b.messages.size()) return false;
    for (std::size_t i = 0; i < a.messages.size(); ++i) {
        const auto &x = a.messages[i], &y = b.messages[i];
        if (x.role != y.role || x.text != y.text || x.images.size() != y.images.size() ||
            x.tool_calls.size() != y.tool_calls.size() || x.tool_call_id != y.tool_call_id)
            return false;
    }
    return a.model == b.model && a.stream == b.stream && a.include_usage == b.include_usage && a.temperature == b.temperature &&
           a.max_tokens == b.max_tokens && a.stop == b.stop && a.web_search == b.web_search &&
           a.conversation_id == b.conversation_id && a.passthrough == b.passthrough && a.tools.size() == b.tools.size() &&
           a.tool_choice.mode == b.tool_choice.mode && a.tool_choice.name == b.tool_choice.name;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto result = parse_chat_request(body);
    if (const auto* e = std::get_if<api_error>(&result)) {
        check_error(*e);
        return 0;
    }
    const auto& req = std::get<chat_request>(result);
    check_request(req);
    const auto again = parse_chat_request(body); // parsing is a pure function of the body
    FUZZ_CHECK(std::holds_alternative<chat_request>(again));
    FUZZ_CHECK(same(req, std::get<chat_request>(again)));
    return 0;
}
