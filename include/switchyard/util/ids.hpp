#pragma once
// Random identifiers from OpenSSL's CSPRNG (RAND_bytes, buffered per thread). Thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::ids {

/// `n` random characters from [A-Za-z0-9].
std::string alphanumeric(std::size_t n);
/// `n` random lowercase hex characters.
std::string hex(std::size_t n);
/// A lowercase RFC 4122 version-4 UUID.
std::string uuid_v4();
/// `chatcmpl-` + 29 alphanumerics, the shape OpenAI uses.
std::string completion_id();
/// Identifier echoed in `x-request-id`.
std::string request_id();

} // namespace switchyard::ids
