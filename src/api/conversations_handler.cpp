#include <nlohmann/json.hpp>

#include <charconv>
#include <ctime>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/conversation_items.hpp"
#include "switchyard/api/conversations.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::api {
namespace {

using nlohmann::json;

constexpr std::size_t max_metadata_keys = 16;  // OpenAI's limit for metadata objects
constexpr std::size_t max_items_per_call = 20; // OpenAI's limit for items given at once

http::http_response bad_request(std::string message, std::string param) {
    return error_response({error_kind::invalid_value, std::move(message), std::move(param), std::nullopt});
}

http::http_response not_found(std::string_view id) {
    return error_response({error_kind::conversation_not_found, "Conversation with id '" + std::string(id) + "' not found.",
                           "conversation_id", std::nullopt});
}

/// Validates a metadata object (string values, at most 16 keys); nullopt when invalid.
std::optional<std::string> metadata_of(const json& body) {
    auto it = body.find("metadata");
    if (it == body.end() || it->is_null()) return "{}";
    if (!it->is_object() || it->size() > max_metadata_keys) return std::nullopt;
    for (const auto& [k, v] : it->items())
        if (!v.is_string() || k.size() > 64 || v.get_ref<const std::string&>().size() > 512) return std::nullopt;
    return it->dump();
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

http::http_response item_not_found(std::string_view id) {
    return error_response(
        {error_kind::item_not_found, "Item with id '" + std::string(id) + "' not found.", "item_id", std::nullopt});
}

/// The body of a request that must be a JSON object (an empty body reads as {}), or the error.
std::variant<json, http::http_response> object_body(const http::http_request& req) {
    auto parsed = req.body.empty() ? std::variant<json, api_error>(json::object()) : parse_client_json(req.body);
    if (auto* err = std::get_if<api_error>(&parsed)) return error_response(*err);
    if (!std::get<json>(parsed).is_object())
        return error_response({error_kind::invalid_json, "The request body must be a JSON object.", std::nullopt, std::nullopt});
    return std::move(std::get<json>(parsed));
}

/// The `items` a client wrote (at most 20, each one a valid item), as stored; or the error.
std::variant<std::vector<store::item>, http::http_response> items_of(const json& body, bool required) {
    std::vector<store::item> out;
    const json* items = member_of(body, "items");
    if (!items) {
        if (required)
            return error_response({error_kind::missing_parameter, "Missing required parameter: 'items'.", "items", std::nullopt});
        return out;
    }
    if (!items->is_array() || items->size() > max_items_per_call || (required && items->empty()))
        return bad_request("items must be an array of 1 to 20 items.", "items");
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    for (std::size_t i = 0; i < items->size(); ++i) {
        std::vector<chat_message> read;
        if (auto err = items::read_item((*items)[i], "items[" + std::to_string(i) + "]", read)) return error_response(*err);
        const json item = items::normalized((*items)[i]);
        out.push_back({item["id"].get<std::string>(), items::dump(item), now});
    }
    return out;
}

/// A stored item's JSON, or an empty object if it does not parse (it always does: the gateway wrote it).
json item_json(const store::item& it) {
    json parsed = json::parse(it.body, nullptr, false);
    return parsed.is_discarded() ? json::object() : parsed;
}

json list_of(const std::vector<store::item>& items, bool has_more) {
    json data = json::array();
    for (const auto& it : items)
        data.push_back(item_json(it));
    return {{"object", "list"},
            {"data", std::move(data)},
            {"first_id", items.empty() ? json(nullptr) : json(items.front().id)},
            {"last_id", items.empty() ? json(nullptr) : json(items.back().id)},
            {"has_more", has_more}};
}

http::http_response create(const http::http_request& req, const std::string& owner, store::conversation_store& store) {
    auto body = object_body(req);
    if (auto* r = std::get_if<http::http_response>(&body)) return std::move(*r);
    const json& doc = std::get<json>(body);
    const auto metadata = metadata_of(doc);
    if (!metadata) return bad_request("metadata must be an object of at most 16 string values.", "metadata");
    auto items = items_of(doc, false);
    if (auto* r = std::get_if<http::http_response>(&items)) return std::move(*r);
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    store::conversation c{"conv_" + ids::hex(48), owner, now, now, *metadata, "", ""};
    store.create(c);
    auto& seed = std::get<std::vector<store::item>>(items);
    if (!seed.empty()) store.append_items(owner, c.id, seed);
    return json_response(conversation_json(c));
}

http::http_response add_items(const http::http_request& req, const std::string& id, const std::string& owner,
                              store::conversation_store& store) {
    auto body = object_body(req);
    if (auto* r = std::get_if<http::http_response>(&body)) return std::move(*r);
    auto items = items_of(std::get<json>(body), true);
    if (auto* r = std::get_if<http::http_response>(&items)) return std::move(*r);
    const auto& added = std::get<std::vector<store::item>>(items);
    if (!store.append_items(owner, id, added)) return not_found(id);
    return json_response(dump(list_of(added, false)));
}

http::http_response list_items(const http::http_request& req, const std::string& id, const std::string& owner,
                               store::conversation_store& store) {
    auto asked = page_request_of(req);
    if (auto* r = std::get_if<http::http_response>(&asked)) return std::move(*r);
    const auto& paging = std::get<page_request>(asked);
    if (!store.get(owner, id)) return not_found(id);
    const auto page = store.list_items(owner, id, paging.limit, paging.ascending, paging.after);
    return json_response(dump(list_of(page.items, page.has_more)));
}

} // namespace

std::variant<page_request, http::http_response> page_request_of(const http::http_request& req) {
    page_request page;
    if (auto v = req.query_param("limit")) {
        auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), page.limit);
        if (ec != std::errc{} || p != v->data() + v->size() || page.limit < 1 || page.limit > 100)
            return bad_request("limit must be an integer between 1 and 100.", "limit");
    }
    const auto order = req.query_param("order").value_or("desc");
    if (order != "asc" && order != "desc") return bad_request("order must be 'asc' or 'desc'.", "order");
    page.ascending = order == "asc";
    page.after = req.query_param("after");
    return page;
}

http::http_response method_not_allowed(const http::http_request& req, const char* allow) {
    auto r = error_response(
        {error_kind::method_not_allowed, "Method " + req.method + " is not allowed here.", std::nullopt, std::nullopt});
    r.headers.emplace_back("allow", allow);
    return r;
}

namespace {
/// The conversation's lock among every instance's.
std::string shared_name(const std::string& id) { return "conversation:" + id; }
} // namespace

bool conversation_locks::take_local(const std::string& id) {
    std::lock_guard lock(mutex_);
    return busy_.insert(id).second;
}

net::awaitable<std::optional<conversation_locks::guard>> conversation_locks::lock(const std::string& id) {
    if (!take_local(id)) co_return std::nullopt;
    guard held(*this, id); // gives the local lock back however this ends
    if (shared_) {
        const std::string name = shared_name(id);
        held.token_ = co_await shared_->lock(name);
        if (held.token_.empty()) co_return std::nullopt; // another instance's turn
    }
    co_return std::optional<guard>(std::move(held));
}

std::optional<conversation_locks::guard> conversation_locks::try_lock(const std::string& id) {
    if (!take_local(id)) return std::nullopt;
    guard held(*this, id);
    held.may_block_ = true;
    if (shared_) {
        held.token_ = shared_->lock_blocking(shared_name(id));
        if (held.token_.empty()) return std::nullopt;
    }
    return std::optional<guard>(std::move(held));
}

net::awaitable<void> conversation_locks::release_now(guard& held) {
    if (!held.owner_) co_return;
    if (!held.token_.empty()) {
        const std::string name = shared_name(held.id_);
        co_await shared_->unlock_now(name, held.token_);
        held.token_.clear();
    }
    release(held.id_, held.token_, false);
    held.owner_ = nullptr;
}

void conversation_locks::release(const std::string& id, const std::string& token, bool may_block) {
    if (!token.empty()) {
        if (may_block)
            shared_->unlock_blocking(shared_name(id), token);
        else
            shared_->unlock(shared_name(id), token);
    }
    std::lock_guard lock(mutex_);
    busy_.erase(id);
}

std::string conversation_json(const store::conversation& c) {
    json metadata = json::parse(c.metadata, nullptr, false);
    if (metadata.is_discarded()) metadata = json::object();
    // `conversation_id` repeats `id` for scripts written against the seed project.
    return dump({{"id", c.id},
                 {"object", "conversation"},
                 {"created_at", c.created_at},
                 {"metadata", metadata},
                 {"conversation_id", c.id}});
}

http::http_response handle_conversations(const http::http_request& req, std::string_view path, const std::string& owner,
                                         store::conversation_store& store, conversation_locks& locks) {
    const auto busy = [](std::string_view) {
        return error_response({error_kind::conversation_busy,
                               "A turn of this conversation is in progress; change its items when it has ended.",
                               "conversation_id", std::nullopt});
    };
    constexpr std::string_view root = "/conversations";
    std::string_view rest = path.substr(root.size()); // "", "/{id}", "/{id}/items" or "/{id}/items/{item_id}"
    if (rest.empty()) {
        if (req.method != "POST") return method_not_allowed(req, "POST");
        return create(req, owner, store);
    }
    rest.remove_prefix(1);
    const auto slash = rest.find('/');
    const std::string id(rest.substr(0, slash));
    const std::string_view sub = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);

    if (sub == "/items") {
        if (req.method == "GET") return list_items(req, id, owner, store);
        if (req.method == "POST") {
            const auto held = locks.try_lock(id);
            return held ? add_items(req, id, owner, store) : busy(id);
        }
        return method_not_allowed(req, "GET, POST");
    }
    if (sub.starts_with("/items/") && sub.find('/', 7) == std::string_view::npos) {
        const std::string item_id(sub.substr(7));
        if (req.method == "GET") {
            if (!store.get(owner, id)) return not_found(id);
            const auto found = store.get_item(owner, id, item_id);
            return found ? json_response(dump(item_json(*found))) : item_not_found(item_id);
        }
        if (req.method == "DELETE") {
            if (!store.get(owner, id)) return not_found(id);
            const auto held = locks.try_lock(id);
            if (!held) return busy(id);
            if (!store.remove_item(owner, id, item_id)) return item_not_found(item_id);
            const auto c = store.get(owner, id);
            return c ? json_response(conversation_json(*c)) : not_found(id);
        }
        return method_not_allowed(req, "GET, DELETE");
    }
    if (!sub.empty())
        return error_response({error_kind::route_not_found, "Invalid URL (" + req.method + " " + std::string(req.path()) + ")",
                               std::nullopt, std::nullopt});
    if (req.method == "GET") {
        const auto c = store.get(owner, id);
        return c ? json_response(conversation_json(*c)) : not_found(id);
    }
    if (req.method == "DELETE") {
        if (!store.remove(owner, id)) return not_found(id);
        return json_response(dump({{"id", id}, {"object", "conversation.deleted"}, {"deleted", true}}));
    }
    if (req.method == "POST") {
        auto parsed = parse_client_json(req.body);
        if (auto* err = std::get_if<api_error>(&parsed)) return error_response(*err);
        const json& body = std::get<json>(parsed);
        if (!body.is_object() || !body.contains("metadata")) return bad_request("Send {\"metadata\": {...}}.", "metadata");
        const auto metadata = metadata_of(body);
        if (!metadata) return bad_request("metadata must be an object of at most 16 string values.", "metadata");
        if (!store.update_metadata(owner, id, *metadata)) return not_found(id);
        const auto updated = store.get(owner, id); // absent if deleted in between
        return updated ? json_response(conversation_json(*updated)) : not_found(id);
    }
    return method_not_allowed(req, "GET, POST, DELETE");
}

} // namespace switchyard::api
