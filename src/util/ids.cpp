#include "switchyard/util/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace switchyard::ids {
namespace {

/// Bytes from OpenSSL's CSPRNG, fetched 4 KiB at a time so an id costs no call into OpenSSL.
/// One per thread. (The gateway never forks; a forked child would repeat its parent's buffer.)
class random_bytes {
public:
    std::uint8_t next() {
        if (used_ == buffer_.size()) refill();
        return buffer_[used_++];
    }

private:
    void refill() {
        if (RAND_bytes(buffer_.data(), static_cast<int>(buffer_.size())) != 1)
            throw std::runtime_error("RAND_bytes failed: no secure random source");
        used_ = 0;
    }
    std::array<std::uint8_t, 4096> buffer_{};
    std::size_t used_ = buffer_.size();
};

random_bytes& source() {
    thread_local random_bytes bytes;
    return bytes;
}

/// A uniform index below `n` (n <= 256): bytes at or above the largest multiple of n are
/// redrawn, so no character is more likely than another.
std::size_t uniform_below(std::size_t n) {
    const std::size_t limit = 256 - 256 % n;
    for (;;) {
        const std::size_t b = source().next();
        if (b < limit) return b % n;
    }
}

std::string pick(std::string_view alphabet, std::size_t n) {
    std::string out(n, '\0');
    for (auto& c : out)
        c = alphabet[uniform_below(alphabet.size())];
    return out;
}

} // namespace

std::string alphanumeric(std::size_t n) { return pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", n); }

std::string hex(std::size_t n) { return pick("0123456789abcdef", n); }

std::string uuid_v4() {
    std::string h = hex(32);
    h[12] = '4';
    h[16] = "89ab"[uniform_below(4)];
    return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' + h.substr(20);
}

std::string completion_id() { return "chatcmpl-" + alphanumeric(29); }

std::string request_id() { return "req_" + hex(24); }

} // namespace switchyard::ids
