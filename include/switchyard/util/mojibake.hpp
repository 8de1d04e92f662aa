#pragma once
// Repair of text that was UTF-8, decoded as Latin-1/Windows-1252 by someone upstream, and
// encoded to UTF-8 again ("AquÃ­" for "Aquí"). Only demonstrably double-encoded text is
// changed: every character must map back to one byte, and those bytes must form valid UTF-8
// with at least one multi-byte sequence. Correct text is never touched.
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::mojibake {

/// The repaired text, or nullopt when `text` is not double-encoded.
std::optional<std::string> repair(std::string_view text);

} // namespace switchyard::mojibake
