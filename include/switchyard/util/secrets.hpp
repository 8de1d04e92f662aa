#pragma once
// Handling of credentials: masking for logs, constant-time comparison, digests.
#include <array>
#include <string>
#include <string_view>

namespace switchyard::secrets {

/// "…abcd": at most the last four characters, so logs can tell keys apart without leaking them.
std::string mask(std::string_view secret);

using sha256_digest = std::array<unsigned char, 32>;

sha256_digest sha256(std::string_view data);

/// Compares two digests in constant time. Comparing digests of secrets rather than the secrets
/// makes both sides the same length, so the time leaks nothing about length either.
bool equal_constant_time(const sha256_digest& a, const sha256_digest& b);

/// Lowercase hex of a digest, and the SHA-256 of `data` in that form.
std::string to_hex(const sha256_digest& digest);
std::string sha256_hex(std::string_view data);

/// Lowercase hex MD5 of `data`.
std::string md5_hex(std::string_view data);

} // namespace switchyard::secrets
