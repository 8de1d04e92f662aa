#include "switchyard/providers/flowgpt/signer.hpp"

#include "switchyard/util/secrets.hpp"

namespace switchyard::providers::flowgpt {

std::string signature(config::signature_scheme scheme, std::string_view timestamp, std::string_view nonce,
                      std::string_view device_id, std::string_view authorization) {
    std::string input(timestamp);
    switch (scheme) {
    case config::signature_scheme::v1: input.append("-").append(nonce).append("-").append(authorization); break;
    case config::signature_scheme::v2: input.append(nonce).append(device_id); break;
    case config::signature_scheme::v3: input.append(":").append(nonce).append(":").append(device_id); break;
    case config::signature_scheme::none: return {};
    }
    return secrets::md5_hex(input);
}

} // namespace switchyard::providers::flowgpt
