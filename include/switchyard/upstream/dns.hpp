#pragma once
// Name resolution for upstream connections, bounded by a deadline and abandoned at once on
// cancellation or shutdown.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <string>

namespace switchyard::upstream {
namespace net = boost::asio;

/// The addresses of `host` (a name, or an IPv4/IPv6 literal returned as is) for `port`.
/// getaddrinfo cannot be interrupted, so it runs on a detached thread of its own and the caller
/// waits for it only until `deadline` or cancellation: a lookup that hangs costs one parked
/// thread, never a stuck request or a shutdown that waits for it (Asio's resolver joins its
/// thread on shutdown). At most 64 lookups are in flight; beyond that, resolving fails at once.
/// Throws upstream::failure (connect, timeout or cancelled).
net::awaitable<net::ip::tcp::resolver::results_type> resolve(const std::string& host, const std::string& port,
                                                             std::chrono::steady_clock::time_point deadline);

} // namespace switchyard::upstream
