#pragma once
// The operator's API under /admin: upstream credentials and their probes. The router checks the
// operator (ADMIN_KEY, else this machine only) before anything here runs.
#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "switchyard/http/message.hpp"
#include "switchyard/providers/registry.hpp"

namespace switchyard::upstream {
class http_client;
}

namespace switchyard::ops {

namespace net = boost::asio;

struct admin_context {
    const providers::registry& models;
    upstream::http_client& http;
};

/// Answers one /admin request; `path` is the request path ("/admin/credentials", …).
///   GET  /admin/credentials                     every upstream credential, masked, with its state
///   POST /admin/credentials/{provider}:{n}/probe checks one with its upstream, spending no quota
///   POST /admin/credentials/{provider}:{n}/reset healthy now, on the operator's word
net::awaitable<http::http_response> handle_admin(const http::http_request& req, std::string_view path, const admin_context& ctx);

} // namespace switchyard::ops
