#pragma once
// Type-safe reads of upstream JSON. An upstream may send any shape (`"success":1`, `data` as a
// string, a number where a string belongs); nlohmann's `value()` and `operator[]` throw or
// assert on those. Every field a provider reads from an upstream goes through these, which
// never throw: a field of the wrong type reads as absent.
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::providers::upstream_json {

/// The member `key` of `doc` when `doc` is an object and the member is a string; else nullptr.
inline const std::string* string_field(const nlohmann::json& doc, std::string_view key) {
    if (!doc.is_object()) return nullptr;
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

/// The string member `key`, or "" when it is absent or not a string.
inline std::string text_field(const nlohmann::json& doc, std::string_view key) {
    const auto* s = string_field(doc, key);
    return s ? *s : std::string();
}

/// The boolean member `key` of `doc`; nullopt when absent or not a boolean (1 and "true" are not).
inline std::optional<bool> bool_field(const nlohmann::json& doc, std::string_view key) {
    if (!doc.is_object()) return std::nullopt;
    const auto it = doc.find(key);
    return it != doc.end() && it->is_boolean() ? std::optional<bool>(it->get<bool>()) : std::nullopt;
}

/// True only when `doc` is an object whose member `key` is the boolean true.
inline bool is_true(const nlohmann::json& doc, std::string_view key) { return bool_field(doc, key) == true; }

/// The member `key` of `doc` when both are objects; else nullptr.
inline const nlohmann::json* object_field(const nlohmann::json& doc, std::string_view key) {
    if (!doc.is_object()) return nullptr;
    const auto it = doc.find(key);
    return it != doc.end() && it->is_object() ? &*it : nullptr;
}

/// For a log line about an odd reply: the JSON type of each of `keys` ("success=number
/// data=missing"), or "not a JSON object". Names types only, so no upstream value reaches a log.
inline std::string shape(const nlohmann::json& doc, std::initializer_list<std::string_view> keys) {
    if (!doc.is_object()) return doc.is_discarded() ? "not JSON" : std::string("a JSON ") + doc.type_name();
    std::string out;
    for (const auto key : keys) {
        if (!out.empty()) out.push_back(' ');
        const auto it = doc.find(key);
        out.append(key).append("=").append(it == doc.end() ? "missing" : it->type_name());
    }
    return out;
}

} // namespace switchyard::providers::upstream_json
