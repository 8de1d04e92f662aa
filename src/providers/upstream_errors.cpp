#include "switchyard/providers/upstream_errors.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <string>

namespace switchyard::providers {

provider_error transport_error(const upstream::failure& f, std::string_view who) {
    switch (f.kind) {
    case upstream::failure_kind::timeout:
        return {failure_reason::timeout, std::string(who) + " did not answer in time.", std::nullopt, std::nullopt};
    case upstream::failure_kind::cancelled: throw boost::system::system_error(boost::asio::error::operation_aborted);
    case upstream::failure_kind::protocol:
        return {failure_reason::protocol, "Could not reach " + std::string(who) + ".", std::nullopt, std::nullopt};
    default: return {failure_reason::transport, "Could not reach " + std::string(who) + ".", std::nullopt, std::nullopt};
    }
}

std::optional<long> retry_after_seconds(std::string_view header) {
    while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
        header.remove_suffix(1);
    long seconds = 0;
    const char* end = header.data() + header.size();
    auto [p, ec] = std::from_chars(header.data(), end, seconds);
    if (ec != std::errc{} || p != end || seconds < 0) return std::nullopt; // an HTTP date, or junk
    return std::min(seconds, max_retry_after_seconds);
}

} // namespace switchyard::providers

namespace switchyard::providers {

std::string_view reason_name(failure_reason reason) noexcept {
    switch (reason) {
    case failure_reason::credential_rejected: return "credential_rejected";
    case failure_reason::rate_limited: return "rate_limited";
    case failure_reason::quota_exhausted: return "quota_exhausted";
    case failure_reason::request_rejected: return "request_rejected";
    case failure_reason::request_unsupported: return "request_unsupported";
    case failure_reason::model_unknown: return "model_unknown";
    case failure_reason::upstream_failed: return "upstream_failed";
    case failure_reason::protocol: return "protocol";
    case failure_reason::transport: return "transport";
    case failure_reason::timeout: return "timeout";
    case failure_reason::not_configured: return "not_configured";
    case failure_reason::tool_call_invalid: return "tool_call_invalid";
    }
    return "unknown";
}

} // namespace switchyard::providers
