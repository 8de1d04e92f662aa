#include <nlohmann/json.hpp>

#include <charconv>
#include <ctime>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/conversations.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::api {
namespace {

using nlohmann::json;

constexpr std::size_t max_metadata_keys = 16; // OpenAI's limit for metadata objects

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

/// Text of an item's content: a string or [{type: input_text|output_text|text, text}].
std::optional<std::string> item_text(const json& content) {
    if (content.is_string()) return content.get<std::string>();
    if (!content.is_array()) return std::nullopt;
    std::string out;
    for (const auto& part : content) {
        if (!part.is_object() || !part.contains("text") || !part["text"].is_string()) return std::nullopt;
        if (!out.empty()) out.push_back('\n');
        out += part["text"].get<std::string>();
    }
    return out;
}

json item_json(const store::item& it) {
    return {{"type", "message"},
            {"id", it.id},
            {"status", "completed"},
            {"role", it.role},
            {"content", json::array({{{"type", it.role == "assistant" ? "output_text" : "input_text"}, {"text", it.text}}})}};
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name)
            return std::string(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

http::http_response create(const http::http_request& req, const std::string& owner, store::conversation_store& store) {
    auto parsed = req.body.empty() ? std::variant<json, api_error>(json::object()) : parse_client_json(req.body);
    if (auto* err = std::get_if<api_error>(&parsed)) return error_response(*err);
    const json& body = std::get<json>(parsed);
    if (!body.is_object())
        return error_response({error_kind::invalid_json, "The request body must be a JSON object.", std::nullopt, std::nullopt});
    const auto metadata = metadata_of(body);
    if (!metadata) return bad_request("metadata must be an object of at most 16 string values.", "metadata");

    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    store::turn seed;
    if (auto items = body.find("items"); items != body.end() && !items->is_null()) {
        if (!items->is_array() || items->size() > 20)
            return bad_request("items must be an array of at most 20 messages.", "items");
        for (std::size_t i = 0; i < items->size(); ++i) {
            const json& it = (*items)[i];
            const std::string where = "items[" + std::to_string(i) + "]";
            const auto role_it = it.is_object() ? it.find("role") : it.end();
            const std::string role = role_it != it.end() && role_it->is_string() ? role_it->get<std::string>() : std::string();
            if (role != "user" && role != "assistant" && role != "system" && role != "developer")
                return bad_request("Each item needs a role of user, assistant, system or developer.", where + ".role");
            auto text = it.contains("content") ? item_text(it["content"]) : std::nullopt;
            if (!text) return bad_request("Each item needs text content.", where + ".content");
            seed.items.push_back({"msg_" + ids::hex(40), role == "developer" ? "system" : role, std::move(*text), now});
        }
    }
    store::conversation c{"conv_" + ids::hex(48), owner, now, now, *metadata, "", ""};
    store.create(c);
    if (!seed.items.empty()) store.append_turn(owner, c.id, seed);
    return json_response(conversation_json(c));
}

http::http_response list_items(const http::http_request& req, const std::string& id, const std::string& owner,
                               store::conversation_store& store) {
    std::size_t limit = 20;
    if (auto v = query_param(req.target, "limit")) {
        auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
        if (ec != std::errc{} || p != v->data() + v->size() || limit < 1 || limit > 100)
            return bad_request("limit must be an integer between 1 and 100.", "limit");
    }
    const auto order = query_param(req.target, "order").value_or("desc");
    if (order != "asc" && order != "desc") return bad_request("order must be 'asc' or 'desc'.", "order");
    if (!store.get(owner, id)) return not_found(id);
    const auto page = store.list_items(owner, id, limit, order == "asc", query_param(req.target, "after"));
    json data = json::array();
    for (const auto& it : page.items)
        data.push_back(item_json(it));
    json out = {{"object", "list"},
                {"data", data},
                {"first_id", page.items.empty() ? json(nullptr) : json(page.items.front().id)},
                {"last_id", page.items.empty() ? json(nullptr) : json(page.items.back().id)},
                {"has_more", page.has_more}};
    return json_response(dump(out));
}

http::http_response method_not_allowed(const http::http_request& req, const char* allow) {
    auto r = error_response(
        {error_kind::method_not_allowed, "Method " + req.method + " is not allowed here.", std::nullopt, std::nullopt});
    r.headers.emplace_back("allow", allow);
    return r;
}

} // namespace

std::optional<conversation_locks::guard> conversation_locks::try_lock(const std::string& id) {
    std::lock_guard lock(mutex_);
    if (!busy_.insert(id).second) return std::nullopt;
    return guard(*this, id);
}

void conversation_locks::release(const std::string& id) {
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
                                         store::conversation_store& store) {
    constexpr std::string_view root = "/conversations";
    std::string_view rest = path.substr(root.size()); // "", "/{id}" or "/{id}/items"
    if (rest.empty()) {
        if (req.method != "POST") return method_not_allowed(req, "POST");
        return create(req, owner, store);
    }
    rest.remove_prefix(1);
    const auto slash = rest.find('/');
    const std::string id(rest.substr(0, slash));
    const std::string_view sub = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);

    if (sub == "/items") {
        if (req.method != "GET") return method_not_allowed(req, "GET");
        return list_items(req, id, owner, store);
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
