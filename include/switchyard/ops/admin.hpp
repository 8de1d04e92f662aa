#pragma once
// The operator's API under /admin: upstream credentials and their probes. The router checks the
// operator (ADMIN_KEY, else this machine only) before anything here runs.
#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "switchyard/http/message.hpp"
#include "switchyard/providers/registry.hpp"
#include "switchyard/store/store_worker.hpp"

namespace switchyard::upstream {
class http_client;
}

namespace switchyard::ops {

namespace net = boost::asio;

class usage_recorder;
class recent_errors;
class metrics;

struct admin_context {
    const providers::registry& models;
    upstream::http_client& http;
    store::store_worker& store;
    usage_recorder* usage; // null when usage is not kept
    recent_errors* errors; // null when not kept
    metrics* gauges;       // null when metrics are off
};

/// Answers one /admin request; `path` is the request path ("/admin/credentials", …).
///   GET  /admin/credentials                     every upstream credential, masked, with its state
///   POST /admin/credentials/{provider}:{n}/probe checks one with its upstream, spending no quota
///   POST /admin/credentials/{provider}:{n}/reset healthy now, on the operator's word
///   GET  /admin/usage?from=&to=&group_by=        usage statistics, summed by hour, key and/or model
///   GET  /admin/errors                           the last failed exchanges, newest first
///   GET  /admin/status                           version, uptime, open streams
net::awaitable<http::http_response> handle_admin(const http::http_request& req, std::string_view path, const admin_context& ctx);

} // namespace switchyard::ops
