#pragma once
// What the fuzz targets share: checks that abort (so libFuzzer reports a violated invariant as a
// crash), and a reader that lets the first bytes of an input decide how the rest is cut.
//
// Split header, used by the targets that feed a stream in pieces: one byte `n` (taken mod 16),
// then `n` piece lengths of one byte each, then the payload. The lengths are used in turn,
// cyclically, until the payload is used up; a length of 0 is an empty piece. A corpus file that
// starts with "\0" is therefore the payload fed whole.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::fuzz {

[[noreturn]] inline void violated(const char* what, const char* file, int line) {
    std::fprintf(stderr, "fuzz invariant violated at %s:%d: %s\n", file, line, what);
    std::abort();
}

#define FUZZ_CHECK(cond) ((cond) ? void(0) : ::switchyard::fuzz::violated(#cond, __FILE__, __LINE__))

/// Consumes a fuzz input front to back; reads past the end yield zeros and empty views.
class input {
public:
    input(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }

    /// `count` bytes, big-endian, as an unsigned number.
    std::uint64_t number(int count) {
        std::uint64_t v = 0;
        for (int i = 0; i < count; ++i)
            v = v << 8 | byte();
        return v;
    }

    /// The next `n` bytes (fewer at the end).
    std::string_view take(std::size_t n) {
        const auto part = rest_.substr(0, n);
        rest_.remove_prefix(part.size());
        return part;
    }

    /// Reads a split header, then cuts what is left into pieces as it says.
    std::vector<std::string_view> pieces() {
        std::vector<std::size_t> lengths(byte() % 16);
        for (auto& l : lengths)
            l = byte();
        return cut(rest(), lengths);
    }

    std::string_view rest() {
        const auto all = rest_;
        rest_ = {};
        return all;
    }

    /// Cuts `payload` into pieces of the given lengths, cyclically; whole when no length is
    /// positive. Empty pieces are kept (a reader must accept them) but at most one per cycle.
    static std::vector<std::string_view> cut(std::string_view payload, const std::vector<std::size_t>& lengths) {
        bool progress = false;
        for (auto l : lengths)
            progress = progress || l > 0;
        if (!progress) return {payload};
        std::vector<std::string_view> out;
        bool empty_this_cycle = false;
        for (std::size_t i = 0; !payload.empty(); i = (i + 1) % lengths.size()) {
            if (i == 0) empty_this_cycle = false;
            if (lengths[i] == 0) {
                if (!empty_this_cycle) out.emplace_back();
                empty_this_cycle = true;
                continue;
            }
            out.push_back(payload.substr(0, lengths[i]));
            payload.remove_prefix(out.back().size());
        }
        return out;
    }

private:
    std::string_view rest_;
};

/// A stream reader's input: one byte choosing its size bound (0: 1 MiB, else that many times
/// `unit` bytes), then a split header; `whole` is the pieces joined.
struct bounded_stream {
    std::size_t bound = 0;
    std::vector<std::string_view> pieces;
    std::string whole;

    bounded_stream(const std::uint8_t* data, std::size_t size, std::size_t unit) {
        input in(data, size);
        const std::uint8_t b = in.byte();
        bound = b == 0 ? std::size_t{1} << 20 : b * unit;
        pieces = in.pieces();
        for (auto p : pieces)
            whole += p;
    }
};

/// Runs `parse(pieces, bound)` over the pieces and over the whole input, checks that the two
/// runs are equal (how the bytes are cut must not matter), and returns the first.
template <class Parse> auto same_however_cut(const bounded_stream& in, Parse parse) {
    auto split = parse(in.pieces, in.bound);
    FUZZ_CHECK(split == parse(std::vector<std::string_view>{in.whole}, in.bound));
    return split;
}

/// True when `s` is well-formed UTF-8 (RFC 3629: shortest forms, no surrogates, at most
/// U+10FFFF). Written here, independent of the code under test, to serve as its oracle.
inline bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c < 0x80)
            len = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
        }
        i += len;
    }
    return true;
}

} // namespace switchyard::fuzz
