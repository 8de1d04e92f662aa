#include "switchyard/util/utf8.hpp"

namespace switchyard::utf8 {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::size_t sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1; // invalid lead byte: stands alone
}

/// Length of the well-formed sequence starting at `i`, or 0 with `bad` set to the length of
/// its maximal ill-formed subpart (at least 1).
std::size_t valid_sequence_at(std::string_view s, std::size_t i, std::size_t& bad) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    bad = 1;
    if (b0 < 0x80) return 1;
    std::size_t need;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte (Unicode table 3-7)
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F; // nothing past U+10FFFF
    } else {
        return 0;
    }
    for (std::size_t k = 1; k < need; ++k) {
        if (i + k >= s.size()) {
            bad = k;
            return 0;
        }
        const auto b = static_cast<unsigned char>(s[i + k]);
        const bool ok = k == 1 ? (b >= lo && b <= hi) : is_continuation(b);
        if (!ok) {
            bad = k;
            return 0;
        }
    }
    return need;
}

} // namespace

std::string replace_invalid(std::string s) {
    std::size_t i = 0, bad = 0;
    while (i < s.size()) { // fast path: most text is valid
        const std::size_t n = valid_sequence_at(s, i, bad);
        if (n == 0) break;
        i += n;
    }
    if (i == s.size()) return s;
    std::string out(s, 0, i);
    out.reserve(s.size() + 8);
    while (i < s.size()) {
        const std::size_t n = valid_sequence_at(s, i, bad);
        if (n) {
            out.append(s, i, n);
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            i += bad;
        }
    }
    return out;
}

std::size_t complete_prefix_length(std::string_view s) noexcept {
    // Look back at most 3 bytes for the lead byte of the last sequence.
    const std::size_t n = s.size();
    for (std::size_t back = 1; back <= 4 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(s[n - back]);
        if (is_continuation(c)) continue;
        const std::size_t need = sequence_length(c);
        return need > back ? n - back : n;
    }
    return n; // only continuation bytes at the end: invalid, pass them on
}

std::size_t count_code_points(std::string_view s) noexcept {
    std::size_t count = 0;
    for (unsigned char c : s)
        count += !is_continuation(c);
    return count;
}

std::size_t offset_of_code_point(std::string_view s, std::size_t n) noexcept {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!is_continuation(static_cast<unsigned char>(s[i]))) {
            if (seen == n) return i;
            ++seen;
        }
    }
    return s.size();
}

std::string carry::push(std::string_view fragment) {
    pending_.append(fragment);
    const std::size_t keep_from = complete_prefix_length(pending_);
    std::string out = pending_.substr(0, keep_from);
    pending_.erase(0, keep_from);
    return out;
}

std::string carry::flush() {
    std::string out;
    out.swap(pending_);
    return out;
}

} // namespace switchyard::utf8
