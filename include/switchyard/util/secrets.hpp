#pragma once
// Handling of credentials: masking for logs, constant-time comparison, digests.
#include <string>
#include <string_view>

namespace switchyard::secrets {

/// "…abcd": at most the last four characters, so logs can tell keys apart without leaking them.
std::string mask(std::string_view secret);

/// Compares two secrets in time that depends on neither content nor length of `candidate`.
bool equal_constant_time(std::string_view expected, std::string_view candidate);

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Lowercase hex MD5 of `data`.
std::string md5_hex(std::string_view data);

} // namespace switchyard::secrets
