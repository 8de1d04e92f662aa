#pragma once
// Transport helpers for the emulator: a TLS front door (a self-signed certificate made at
// start-up, terminated here and piped to the plain listener) and CONNECT tunnels, so the
// gateway's https:// and proxy paths are exercised without any outside service.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <string>

namespace switchyard::emulator {

namespace net = boost::asio;

/// A server context with a fresh self-signed certificate whose subjectAltName is `names`
/// (OpenSSL syntax, e.g. "IP:127.0.0.1,DNS:localhost"); the certificate is written as PEM to
/// `cert_path` for clients to trust.
net::ssl::context make_self_signed_context(const std::string& cert_path, const std::string& names);

/// Accepts TLS connections and pipes their plaintext to `plain` (the emulator's HTTP listener).
net::awaitable<void> terminate_tls(net::ip::tcp::acceptor& acceptor, net::ssl::context& tls, net::ip::tcp::endpoint plain);

/// Copies bytes both ways between `client` and a new connection to `host:port` until either closes.
net::awaitable<void> tunnel(net::ip::tcp::socket& client, const std::string& host, const std::string& port);

} // namespace switchyard::emulator
