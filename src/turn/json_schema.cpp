#include "switchyard/turn/json_schema.hpp"

#include <cmath>
#include <string_view>

#include "switchyard/util/utf8.hpp"

namespace switchyard::turn {
namespace {

using nlohmann::json;

// Schemas come from clients: recursion through `$ref` and nesting is bounded.
constexpr int max_depth = 32;

bool is_type(const json& v, std::string_view type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    if (type == "number") return v.is_number();
    if (type == "integer") {
        if (v.is_number_integer()) return true;
        return v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>();
    }
    return true; // an unknown type name restricts nothing
}

/// JSON equality where 1 and 1.0 are the same number.
bool same_value(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    if (a.type() != b.type()) return false;
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!same_value(a[i], b[i])) return false;
        return true;
    }
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (const auto& [k, v] : a.items()) {
            const auto it = b.find(k);
            if (it == b.end() || !same_value(v, *it)) return false;
        }
        return true;
    }
    return a == b;
}

std::string describe(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

class validator {
public:
    explicit validator(const json& root) : root_(root) {}

    std::optional<std::string> check(const json& schema, const json& v, const std::string& path, int depth) const {
        if (depth > max_depth) return path + ": the schema nests too deeply";
        if (schema.is_boolean()) {
            if (schema.get<bool>()) return std::nullopt;
            return path + ": no value is allowed here";
        }
        if (!schema.is_object()) return std::nullopt;
        if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
            const json* target = resolve(ref->get<std::string>());
            if (!target) return path + ": the schema's $ref " + ref->get<std::string>() + " cannot be resolved";
            return check(*target, v, path, depth + 1); // draft 7: $ref ignores its siblings
        }
        if (auto err = check_type(schema, v, path)) return err;
        if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
            bool found = false;
            for (const auto& option : *e)
                found = found || same_value(option, v);
            if (!found) return path + ": " + describe(v) + " is not one of " + describe(*e);
        }
        if (auto c = schema.find("const"); c != schema.end() && !same_value(*c, v)) return path + ": must be " + describe(*c);
        if (v.is_number()) {
            if (auto err = check_number(schema, v.get<double>(), path)) return err;
        } else if (v.is_string()) {
            const auto length = utf8::count_code_points(v.get_ref<const std::string&>());
            if (auto m = schema.find("minLength"); m != schema.end() && m->is_number() && length < m->get<double>())
                return path + ": shorter than " + describe(*m) + " characters";
            if (auto m = schema.find("maxLength"); m != schema.end() && m->is_number() && length > m->get<double>())
                return path + ": longer than " + describe(*m) + " characters";
        } else if (v.is_array()) {
            if (auto err = check_array(schema, v, path, depth)) return err;
        } else if (v.is_object()) {
            if (auto err = check_object(schema, v, path, depth)) return err;
        }
        return check_combinations(schema, v, path, depth);
    }

private:
    const json* resolve(const std::string& ref) const {
        if (ref == "#") return &root_;
        if (!ref.starts_with("#/")) return nullptr; // only local references
        try {
            const json& target = root_.at(json::json_pointer(ref.substr(1)));
            return &target;
        } catch (const json::exception&) {
            return nullptr;
        }
    }

    static std::optional<std::string> check_type(const json& schema, const json& v, const std::string& path) {
        const auto t = schema.find("type");
        if (t == schema.end()) return std::nullopt;
        if (t->is_string()) {
            if (is_type(v, t->get_ref<const std::string&>())) return std::nullopt;
        } else if (t->is_array()) {
            for (const auto& option : *t)
                if (option.is_string() && is_type(v, option.get_ref<const std::string&>())) return std::nullopt;
        } else {
            return std::nullopt;
        }
        return path + ": expected " + (t->is_string() ? t->get<std::string>() : "one of " + describe(*t)) + ", got " +
               describe(v);
    }

    static std::optional<std::string> check_number(const json& schema, double x, const std::string& path) {
        const auto bound = [&](const char* key) -> const json* {
            const auto it = schema.find(key);
            return it != schema.end() && it->is_number() ? &*it : nullptr;
        };
        if (auto m = bound("minimum"); m && x < m->get<double>()) return path + ": less than the minimum " + describe(*m);
        if (auto m = bound("maximum"); m && x > m->get<double>()) return path + ": more than the maximum " + describe(*m);
        if (auto m = bound("exclusiveMinimum"); m && x <= m->get<double>()) return path + ": must be more than " + describe(*m);
        if (auto m = bound("exclusiveMaximum"); m && x >= m->get<double>()) return path + ": must be less than " + describe(*m);
        return std::nullopt;
    }

    std::optional<std::string> check_array(const json& schema, const json& v, const std::string& path, int depth) const {
        if (auto m = schema.find("minItems"); m != schema.end() && m->is_number() && v.size() < m->get<double>())
            return path + ": fewer than " + describe(*m) + " items";
        if (auto m = schema.find("maxItems"); m != schema.end() && m->is_number() && v.size() > m->get<double>())
            return path + ": more than " + describe(*m) + " items";
        if (auto items = schema.find("items"); items != schema.end() && (items->is_object() || items->is_boolean())) {
            for (std::size_t i = 0; i < v.size(); ++i)
                if (auto err = check(*items, v[i], path + "[" + std::to_string(i) + "]", depth + 1)) return err;
        }
        return std::nullopt;
    }

    std::optional<std::string> check_object(const json& schema, const json& v, const std::string& path, int depth) const {
        if (auto r = schema.find("required"); r != schema.end() && r->is_array()) {
            for (const auto& key : *r)
                if (key.is_string() && !v.contains(key.get_ref<const std::string&>()))
                    return path + ": missing the required property '" + key.get<std::string>() + "'";
        }
        const auto props = schema.find("properties");
        const bool has_props = props != schema.end() && props->is_object();
        const auto extra = schema.find("additionalProperties");
        for (const auto& [key, value] : v.items()) {
            const std::string at = path + "." + key;
            if (has_props) {
                if (auto p = props->find(key); p != props->end()) {
                    if (auto err = check(*p, value, at, depth + 1)) return err;
                    continue;
                }
            }
            if (extra == schema.end()) continue;
            if (extra->is_boolean() && !extra->get<bool>()) return path + ": the property '" + key + "' is not allowed";
            if (auto err = check(*extra, value, at, depth + 1)) return err;
        }
        return std::nullopt;
    }

    std::optional<std::string> check_combinations(const json& schema, const json& v, const std::string& path, int depth) const {
        if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
            for (const auto& s : *all)
                if (auto err = check(s, v, path, depth + 1)) return err;
        }
        if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
            std::optional<std::string> first;
            bool matched = false;
            for (const auto& s : *any) {
                auto err = check(s, v, path, depth + 1);
                if (!err) {
                    matched = true;
                    break;
                }
                if (!first) first = std::move(err);
            }
            if (!matched) return path + ": matches none of anyOf" + (first ? " (" + *first + ")" : std::string());
        }
        if (auto one = schema.find("oneOf"); one != schema.end() && one->is_array()) {
            std::size_t matches = 0;
            for (const auto& s : *one)
                matches += !check(s, v, path, depth + 1);
            if (matches != 1) return path + (matches == 0 ? ": matches none of oneOf" : ": matches more than one of oneOf");
        }
        if (auto n = schema.find("not"); n != schema.end() && !check(*n, v, path, depth + 1))
            return path + ": matches a schema it must not";
        return std::nullopt;
    }

    const json& root_;
};

bool supported_keyword(std::string_view k) {
    static constexpr std::string_view known[] = {"type",
                                                 "properties",
                                                 "required",
                                                 "additionalProperties",
                                                 "items",
                                                 "enum",
                                                 "const",
                                                 "anyOf",
                                                 "oneOf",
                                                 "allOf",
                                                 "not",
                                                 "minimum",
                                                 "maximum",
                                                 "exclusiveMinimum",
                                                 "exclusiveMaximum",
                                                 "minLength",
                                                 "maxLength",
                                                 "minItems",
                                                 "maxItems",
                                                 "$ref",
                                                 "definitions",
                                                 "$defs",
                                                 "description",
                                                 "title",
                                                 "default",
                                                 "examples",
                                                 "$schema",
                                                 "$id",
                                                 "$comment"};
    for (const auto s : known)
        if (s == k) return true;
    return false;
}

} // namespace

std::optional<std::string> schema_violation(const json& schema, const json& value) {
    return validator(schema).check(schema, value, "$", 0);
}

bool schema_uses_supported_keywords(const json& schema) {
    if (schema.is_boolean()) return true;
    if (!schema.is_object()) return false;
    for (const auto& [key, sub] : schema.items()) {
        if (!supported_keyword(key)) return false;
        if (key == "properties" || key == "definitions" || key == "$defs") {
            if (!sub.is_object()) return false;
            for (const auto& [name, s] : sub.items())
                if (!schema_uses_supported_keywords(s)) return false;
        } else if (key == "items") {
            if (!sub.is_object() && !sub.is_boolean()) return false; // the tuple form is not supported
            if (!schema_uses_supported_keywords(sub)) return false;
        } else if (key == "additionalProperties" || key == "not") {
            if (!schema_uses_supported_keywords(sub)) return false;
        } else if (key == "anyOf" || key == "oneOf" || key == "allOf") {
            if (!sub.is_array()) return false;
            for (const auto& s : sub)
                if (!schema_uses_supported_keywords(s)) return false;
        } else if (key == "$ref") {
            if (!sub.is_string() || !sub.get_ref<const std::string&>().starts_with("#")) return false;
        } else if (key == "$id") {
            return false; // base-URI changes are not followed
        }
    }
    return true;
}

} // namespace switchyard::turn
