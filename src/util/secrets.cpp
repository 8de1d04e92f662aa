#include "switchyard/util/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

namespace switchyard::secrets {
namespace {

using sha256_digest = std::array<unsigned char, 32>;

sha256_digest sha256(std::string_view data) {
    sha256_digest out{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
}

std::string to_hex(const unsigned char* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xF];
    }
    return out;
}

} // namespace

std::string mask(std::string_view secret) {
    if (secret.size() <= 8) return "…";
    return "…" + std::string(secret.substr(secret.size() - 4));
}

bool equal_constant_time(std::string_view expected, std::string_view candidate) {
    // Hashing first makes both sides the same length, so the comparison leaks nothing about length.
    const auto a = sha256(expected);
    const auto b = sha256(candidate);
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_hex(std::string_view data) {
    const auto digest = sha256(data);
    return to_hex(digest.data(), digest.size());
}

std::string md5_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_md5(), nullptr);
    return to_hex(out.data(), len);
}

} // namespace switchyard::secrets
