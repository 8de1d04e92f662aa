#include "switchyard/providers/upstream_errors.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <string>

namespace switchyard::providers {

provider_error transport_error(const upstream::failure& f, std::string_view who) {
    switch (f.kind) {
    case upstream::failure_kind::timeout:
        return {api::error_kind::upstream_timeout, std::string(who) + " did not answer in time.", std::nullopt, std::nullopt};
    case upstream::failure_kind::cancelled: throw boost::system::system_error(boost::asio::error::operation_aborted);
    default: return {api::error_kind::upstream_error, "Could not reach " + std::string(who) + ".", std::nullopt, std::nullopt};
    }
}

std::optional<long> retry_after_seconds(std::string_view header) {
    long seconds = 0;
    auto [p, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
    if (ec != std::errc{} || seconds < 0) return std::nullopt;
    return seconds;
}

} // namespace switchyard::providers
