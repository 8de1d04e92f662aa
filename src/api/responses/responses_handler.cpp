#include "switchyard/api/responses/responses_handler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

#include "switchyard/api/conversation_items.hpp"
#include "switchyard/api/conversations.hpp"
#include "switchyard/api/responses/responses_format.hpp"
#include "switchyard/api/responses/responses_request.hpp"
#include "switchyard/store/store_worker.hpp"

namespace switchyard::api::responses {
namespace {

using nlohmann::json;

/// How many responses, and how many stored bytes, a `previous_response_id` chain may hold; a
/// longer chat belongs in a conversation.
constexpr std::size_t max_chain = 1'000;
constexpr std::size_t max_chain_bytes = 64 << 20;

/// What the responses before this one said, and where their upstream conversation was left.
struct earlier_turns {
    std::vector<chat_message> messages;
    std::string continuation_key;
    json instructions; // what its upstream conversation was instructed with, null for nothing
    std::string model;
};

api_error previous_not_found(const std::string& id, const std::string& missing) {
    std::string message = "Previous response with id '" + id + "' not found.";
    if (missing != id) message += " An earlier response in its chain ('" + missing + "') was deleted or has expired.";
    return {error_kind::previous_response_not_found, std::move(message), "previous_response_id", std::nullopt};
}

api_error chain_too_long() {
    return {error_kind::invalid_value,
            "This chain of responses is longer than this gateway follows; continue it in a conversation instead.",
            "previous_response_id", std::nullopt};
}

/// Reads a stored response's input and its output (`body`, the response object parsed) back into messages.
void read_back(const store::stored_response& r, const json& body, std::vector<chat_message>& into) {
    const json input = json::parse(r.input_items, nullptr, false);
    for (const json* list : {&input, body.is_object() && body.contains("output") ? &body["output"] : nullptr}) {
        if (!list || !list->is_array()) continue;
        for (const auto& item : *list)
            if (items::read_item(item, r.id, into)) spdlog::warn("skipped an unreadable item of stored response {}", r.id);
    }
}

/// Walks the chain back from `id` on the store thread: the whole conversation, oldest first.
std::variant<earlier_turns, api_error> load_chain(store::conversation_store& s, const std::string& owner, const std::string& id) {
    std::vector<store::stored_response> chain;
    std::size_t bytes = 0;
    for (std::string next = id; !next.empty();) {
        if (chain.size() == max_chain) return chain_too_long();
        auto r = s.get_response(owner, next);
        if (!r) return previous_not_found(id, next); // deleted or expired, here or further back
        bytes += r->body.size() + r->input_items.size();
        if (bytes > max_chain_bytes) return chain_too_long();
        next = r->previous_response_id;
        chain.push_back(std::move(*r));
    }
    std::vector<json> bodies; // each response object parsed once, newest first
    for (const auto& r : chain) {
        bodies.push_back(json::parse(r.body, nullptr, false));
        if (!bodies.back().is_object()) bodies.back() = json::object();
    }
    earlier_turns out;
    out.continuation_key = chain.front().continuation_key;
    out.model = bodies.front().value("model", std::string());
    // The instructions its upstream conversation holds: the newest given, since a response with
    // other instructions starts a new upstream conversation and one without keeps the old.
    for (const auto& body : bodies) {
        const json given = body.value("instructions", json());
        if (given.is_string() && !given.get_ref<const std::string&>().empty()) {
            out.instructions = given;
            break;
        }
    }
    for (std::size_t i = chain.size(); i-- > 0;)
        read_back(chain[i], bodies[i], out.messages);
    return out;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

/// Puts the chain before the new input. Its upstream conversation is continued only when it can
/// take what this request sends: the same model, and no instructions or the same ones (the
/// upstream keeps the ones it was given first and cannot be given others); otherwise the whole
/// chain is sent again.
net::awaitable<std::optional<api_error>> prepend_previous(responses_request& request, turn_keeping& keep,
                                                          const handler_context& ctx) {
    const std::string owner = ctx.owner();
    std::variant<earlier_turns, api_error> loaded = api_error{error_kind::internal_error, "", std::nullopt, std::nullopt};
    try {
        loaded = co_await ctx.conversations.run(
            [&](store::conversation_store& s) { return load_chain(s, owner, request.previous_response_id); });
    } catch (const std::exception& e) {
        spdlog::error("reading the chain of {} failed: {}", request.previous_response_id, e.what());
        co_return api_error{error_kind::internal_error, "The previous response could not be read.", std::nullopt, std::nullopt};
    }
    if (auto* err = std::get_if<api_error>(&loaded)) co_return std::move(*err);
    auto& earlier = std::get<earlier_turns>(loaded);
    const json instructions(request.echo["instructions"]);
    const bool same_setting = earlier.model == request.turn.model &&
                              (instructions.is_null() || instructions == "" || instructions == earlier.instructions);
    auto& messages = request.turn.messages;
    keep.new_input_at = request.input_start + earlier.messages.size();
    messages.insert(messages.begin() + static_cast<std::ptrdiff_t>(request.input_start),
                    std::make_move_iterator(earlier.messages.begin()), std::make_move_iterator(earlier.messages.end()));
    keep.continue_from = same_setting ? std::move(earlier.continuation_key) : std::string();
    co_return std::nullopt;
}

http::http_response not_found(const std::string& id) {
    return error_response(
        {error_kind::response_not_found, "Response with id '" + id + "' not found.", std::nullopt, std::nullopt});
}

/// GET /v1/responses/{id}/input_items: `after`, `limit` (1-100, 20) and `order` (desc), as
/// conversation items are listed.
http::http_response list_input_items(const http::http_request& req, const store::stored_response& r) {
    auto asked = page_request_of(req);
    if (auto* bad = std::get_if<http::http_response>(&asked)) return std::move(*bad);
    const auto& paging = std::get<page_request>(asked);
    json all = json::parse(r.input_items, nullptr, false);
    if (!all.is_array()) all = json::array();
    if (!paging.ascending) std::reverse(all.begin(), all.end());
    auto from = all.begin();
    if (paging.after) {
        from = std::find_if(all.begin(), all.end(), [&](const json& item) { return item.value("id", "") == *paging.after; });
        if (from != all.end()) ++from;
    }
    json data = json::array();
    for (auto it = from; it != all.end() && data.size() < paging.limit; ++it)
        data.push_back(*it);
    const bool has_more = static_cast<std::size_t>(all.end() - from) > data.size();
    json page = {{"object", "list"},
                 {"data", data},
                 {"first_id", data.empty() ? json(nullptr) : data.front()["id"]},
                 {"last_id", data.empty() ? json(nullptr) : data.back()["id"]},
                 {"has_more", has_more}};
    return json_response(dump(page));
}

} // namespace

net::awaitable<void> handle_responses(const http::http_request& http_req, http::response_stream& out, handler_context ctx) {
    auto parsed = parse_responses_request(http_req.body);
    if (const auto* err = std::get_if<api_error>(&parsed)) co_return co_await send_error(out, *err);
    auto& request = std::get<responses_request>(parsed);
    const auto routed = co_await route_to_model(request.turn, ctx, http_req.request_id);
    if (const auto* err = std::get_if<api_error>(&routed)) co_return co_await send_error(out, *err);
    turn_keeping keep;
    keep.conversation_param = "conversation";
    if (!request.previous_response_id.empty()) {
        const auto err = co_await prepend_previous(request, keep, ctx);
        if (err) co_return co_await send_error(out, *err);
    }
    responses_encoder encoder(request.turn.model, std::move(request.echo), std::move(request.custom_tools));
    keep.input_items = request.input_items;
    keep.output_items = [&](const finished_answer&) { return encoder.output_items(); };
    const std::string owner = request.store ? ctx.owner() : std::string();
    if (request.store)
        keep.record = [&](store::conversation_store& s, const std::string& continuation_key) {
            json input = json::array();
            for (const auto& item : request.input_items)
                input.push_back(item);
            const auto& r = encoder.final_response();
            s.put_response({encoder.id(), owner, r.value("created_at", std::int64_t{0}), request.previous_response_id,
                            continuation_key, r.dump(-1, ' ', false, json::error_handler_t::replace), dump(input)});
        };
    co_await answer_request(request.turn, *std::get<model_handle>(routed), encoder, out, ctx, http_req.request_id, keep);
}

http::http_response handle_stored_response(const http::http_request& req, std::string_view path, const std::string& owner,
                                           store::conversation_store& store) {
    std::string_view rest = path.substr(std::string_view("/responses/").size()); // "{id}" or "{id}/input_items"
    const auto slash = rest.find('/');
    const std::string id(rest.substr(0, slash));
    const std::string_view sub = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (sub == "/input_items") {
        if (req.method != "GET") return method_not_allowed(req, "GET");
        const auto r = store.get_response(owner, id);
        return r ? list_input_items(req, *r) : not_found(id);
    }
    if (!sub.empty() || id.empty())
        return error_response({error_kind::route_not_found, "Invalid URL (" + req.method + " " + std::string(req.path()) + ")",
                               std::nullopt, std::nullopt});
    if (req.method == "GET") {
        const auto r = store.get_response(owner, id);
        if (!r) return not_found(id);
        return json_response(r->body);
    }
    if (req.method == "DELETE") {
        if (!store.remove_response(owner, id)) return not_found(id);
        return json_response(dump({{"id", id}, {"object", "response"}, {"deleted", true}}));
    }
    return method_not_allowed(req, "GET, DELETE");
}

} // namespace switchyard::api::responses
