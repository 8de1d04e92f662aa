#pragma once
// Checks a tool call's arguments against the tool's JSON Schema: the subset that function tools
// use (type, properties, required, additionalProperties, items, enum, const, anyOf, oneOf,
// allOf, not, minimum/maximum and their exclusive forms, minLength/maxLength,
// minItems/maxItems, and local `$ref`s). Other keywords are ignored, as a lenient validator
// would: they never make a call invalid. https://json-schema.org/draft-07/json-schema-validation
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace switchyard::turn {

/// nullopt when `value` satisfies `schema`; otherwise why not, naming the JSON path ("$.city").
std::optional<std::string> schema_violation(const nlohmann::json& schema, const nlohmann::json& value);

/// True when `schema` uses only the keywords above (plus annotations such as `description`):
/// the test against the JSON Schema test suite runs exactly those cases.
bool schema_uses_supported_keywords(const nlohmann::json& schema);

} // namespace switchyard::turn
