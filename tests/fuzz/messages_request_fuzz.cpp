// api::anthropic::parse_messages_request on arbitrary bodies, for a message and for
// count_tokens. Checks: it returns (never throws); an error is a 400 naming its `param` (except
// for unparseable JSON); an accepted message request has a model, messages and a positive
// max_tokens, and its tool choice names one of its tools.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "fuzz_input.hpp"
#include "switchyard/api/anthropic/messages_request.hpp"

using namespace switchyard::api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    for (const bool counting : {false, true}) {
        const auto parsed = anthropic::parse_messages_request(body, counting);
        if (const auto* e = std::get_if<api_error>(&parsed)) {
            FUZZ_CHECK(e->kind == error_kind::invalid_json || e->param.has_value());
            FUZZ_CHECK(traits_of(e->kind).status == 400);
            continue;
        }
        const auto& r = std::get<chat_request>(parsed);
        FUZZ_CHECK(r.model == nlohmann::json::parse(body)["model"]);
        FUZZ_CHECK(std::any_of(r.messages.begin(), r.messages.end(),
                               [](const chat_message& m) { return m.role != message_role::system; }));
        if (!counting) FUZZ_CHECK(r.max_tokens && *r.max_tokens >= 1);
        if (r.tool_choice.mode == tool_choice_mode::named) FUZZ_CHECK(r.find_tool(r.tool_choice.name) != nullptr);
        for (const auto& s : r.stop)
            FUZZ_CHECK(!s.empty());
    }
    return 0;
}
