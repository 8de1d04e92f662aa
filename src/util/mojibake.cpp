#include "switchyard/util/mojibake.hpp"

#include <array>
#include <cstdint>

namespace switchyard::mojibake {
namespace {

// Windows-1252 bytes 0x80–0x9F and the characters they decode to (0 where undefined).
constexpr std::array<char32_t, 32> cp1252_high = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/// Decodes one UTF-8 sequence at `i`; false when invalid.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : (b0 & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false; // overlong, range, surrogate
    i += len;
    return true;
}

bool valid_utf8(std::string_view s) {
    char32_t cp;
    for (std::size_t i = 0; i < s.size();)
        if (!next_code_point(s, i, cp)) return false;
    return true;
}

/// The single byte that Latin-1 or Windows-1252 decodes to `cp`, if any.
std::optional<unsigned char> byte_for(char32_t cp) {
    if (cp <= 0xFF) return static_cast<unsigned char>(cp);
    for (std::size_t k = 0; k < cp1252_high.size(); ++k)
        if (cp1252_high[k] == cp) return static_cast<unsigned char>(0x80 + k);
    return std::nullopt;
}

} // namespace

std::optional<std::string> repair(std::string_view text) {
    std::string bytes;
    bytes.reserve(text.size());
    bool any_high = false;
    char32_t cp;
    for (std::size_t i = 0; i < text.size();) {
        if (!next_code_point(text, i, cp)) return std::nullopt;
        const auto b = byte_for(cp);
        if (!b) return std::nullopt; // a character no single byte decodes to: not mojibake
        any_high |= *b >= 0x80;
        bytes.push_back(static_cast<char>(*b));
    }
    if (!any_high || !valid_utf8(bytes)) return std::nullopt;
    return bytes;
}

} // namespace switchyard::mojibake
