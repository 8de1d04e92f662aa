#include "switchyard/util/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <memory>

namespace switchyard::secrets {
namespace {

/// Fetched once: an implicit fetch (EVP_sha256() in EVP_Digest) costs a provider lookup per call.
const EVP_MD* fetched(const char* name) { return EVP_MD_fetch(nullptr, name, nullptr); }

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

sha256_digest sha256(std::string_view data) {
    static const EVP_MD* const md = fetched("SHA256");
    // One context per thread, reused: a fresh one per call costs allocations inside OpenSSL.
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    sha256_digest out{};
    unsigned int len = 0;
    EVP_DigestInit_ex2(ctx.get(), md, nullptr);
    EVP_DigestUpdate(ctx.get(), data.data(), data.size());
    EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
    return out;
}

bool equal_constant_time(const sha256_digest& a, const sha256_digest& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(const sha256_digest& digest) { return to_hex(digest.data(), digest.size()); }

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string md5_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int len = 0;
    static const EVP_MD* const md = fetched("MD5");
    EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
    return to_hex(out.data(), len);
}

} // namespace switchyard::secrets
