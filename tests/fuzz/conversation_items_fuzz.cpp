// POST /v1/conversations with arbitrary bodies, through api::handle_conversations and the
// in-memory store. Checks: the handler answers (never throws) with 200 or a 400 error envelope;
// a created conversation can be read back, and holds exactly the items the body listed, in
// order, each with a type and an id, messages with their role and their text; each item can be
// read alone, and added again with POST /items.
#include <nlohmann/json.hpp>

#include <string>

#include "fuzz_input.hpp"
#include "switchyard/api/conversations.hpp"
#include "switchyard/providers/registry.hpp"
#include "switchyard/store/conversation_store.hpp"

using nlohmann::json;
namespace api = switchyard::api;
namespace store = switchyard::store;
namespace http = switchyard::http;

namespace {

const std::string owner = "fuzz-owner";

http::http_response call(std::string method, std::string target, std::string body, store::conversation_store& s) {
    http::http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    static api::conversation_locks locks;
    return api::handle_conversations(req, req.path().substr(3), owner, s, locks); // path less "/v1"
}

void check_error(const http::http_response& r) {
    FUZZ_CHECK(r.status == 400);
    const json body = json::parse(r.body, nullptr, false);
    FUZZ_CHECK(body.is_object() && body.contains("error") && body["error"].is_object());
    FUZZ_CHECK(body["error"]["message"].is_string());
}

} // namespace

// models_handler.cpp, home of error_response, also answers /v1/models from the registry, which
// would link every provider. No conversation route asks the registry anything.
const switchyard::providers::model_binding* switchyard::providers::registry::find(std::string_view) const {
    switchyard::fuzz::violated("the registry is not part of this target", __FILE__, __LINE__);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    auto s = store::make_memory_store();
    const auto created = call("POST", "/v1/conversations", body, *s);
    if (created.status != 200) {
        check_error(created);
        return 0;
    }
    const json conv = json::parse(created.body, nullptr, false);
    FUZZ_CHECK(conv.is_object() && conv["id"].is_string() && conv["object"] == "conversation");
    const std::string id = conv["id"];
    FUZZ_CHECK(id.starts_with("conv_"));
    FUZZ_CHECK(s->get(owner, id).has_value());

    // The request was accepted, so it is a JSON object (or empty) whose items, if any, are valid.
    const json req = body.empty() ? json::object() : json::parse(body);
    const json items = req.contains("items") && !req["items"].is_null() ? req["items"] : json::array();
    FUZZ_CHECK(items.is_array() && items.size() <= 20);

    const auto listed = call("GET", "/v1/conversations/" + id + "/items?limit=100&order=asc", "", *s);
    FUZZ_CHECK(listed.status == 200);
    const json page = json::parse(listed.body, nullptr, false);
    FUZZ_CHECK(page.is_object() && page["data"].is_array() && page["has_more"] == false);
    FUZZ_CHECK(page["data"].size() == items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const json& sent = items[i];
        const json& got = page["data"][i];
        FUZZ_CHECK(got.is_object() && got["type"].is_string() && got["id"].is_string());
        const std::string* type = switchyard::api::string_member_of(sent, "type");
        FUZZ_CHECK(got["type"] == (type ? *type : std::string("message")));
        if (got["type"] == "message") {
            FUZZ_CHECK(got["role"] == sent["role"]);
            FUZZ_CHECK(got["content"].is_array());
            if (sent["content"].is_string()) FUZZ_CHECK(got["content"][0]["text"] == sent["content"]);
        }
        const auto one = call("GET", "/v1/conversations/" + id + "/items/" + got["id"].get<std::string>(), "", *s);
        FUZZ_CHECK(one.status == 200);
    }
    if (!items.empty()) {
        const auto again = call("POST", "/v1/conversations/" + id + "/items", json{{"items", items}}.dump(), *s);
        FUZZ_CHECK(again.status == 200);
        const json added = json::parse(again.body, nullptr, false);
        FUZZ_CHECK(added.is_object() && added["data"].size() == items.size());
    }
    return 0;
}
