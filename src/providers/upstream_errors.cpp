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
    long seconds = 0;
    auto [p, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
    if (ec != std::errc{} || seconds < 0) return std::nullopt;
    return seconds;
}

} // namespace switchyard::providers
