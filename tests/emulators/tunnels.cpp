#include "tunnels.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace switchyard::emulator {
namespace {

using tcp = net::ip::tcp;
using namespace net::experimental::awaitable_operators;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

template <class From, class To> net::awaitable<void> copy(From& from, To& to) {
    std::array<char, 16384> buf;
    for (;;) {
        auto [rec, n] = co_await from.async_read_some(net::buffer(buf), use_tuple);
        if (n > 0) {
            auto [wec, w] = co_await net::async_write(to, net::buffer(buf.data(), n), use_tuple);
            if (wec) co_return;
        }
        if (rec) co_return;
    }
}

void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw std::runtime_error("cannot build certificate extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

net::awaitable<void> serve_tls(tcp::socket socket, net::ssl::context& tls, tcp::endpoint plain) {
    net::ssl::stream<tcp::socket> secure(std::move(socket), tls);
    auto [hec] = co_await secure.async_handshake(net::ssl::stream_base::server, use_tuple);
    if (hec) co_return;
    tcp::socket inner(co_await net::this_coro::executor);
    auto [cec] = co_await inner.async_connect(plain, use_tuple);
    if (cec) co_return;
    co_await (copy(secure, inner) || copy(inner, secure));
}

} // namespace

net::ssl::context make_self_signed_context(const std::string& cert_path, const std::string& names) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    if (!key || !cert) throw std::runtime_error("cannot create a key or certificate");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    add_extension(cert.get(), NID_subject_alt_name, names.c_str());
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error("cannot sign the certificate");

    std::unique_ptr<FILE, decltype(&std::fclose)> out(std::fopen(cert_path.c_str(), "w"), std::fclose);
    if (!out || !PEM_write_X509(out.get(), cert.get())) throw std::runtime_error("cannot write " + cert_path);

    net::ssl::context ctx(net::ssl::context::tls_server);
    SSL_CTX_use_certificate(ctx.native_handle(), cert.get());
    SSL_CTX_use_PrivateKey(ctx.native_handle(), key.get());
    return ctx;
}

net::awaitable<void> terminate_tls(tcp::acceptor& acceptor, net::ssl::context& tls, tcp::endpoint plain) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) co_return;
        net::co_spawn(acceptor.get_executor(), serve_tls(std::move(socket), tls, plain), net::detached);
    }
}

net::awaitable<void> tunnel(tcp::socket& client, const std::string& host, const std::string& port) {
    tcp::resolver resolver(co_await net::this_coro::executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, use_tuple);
    if (rec) co_return;
    tcp::socket target(co_await net::this_coro::executor);
    auto [cec, ep] = co_await net::async_connect(target, endpoints, use_tuple);
    if (cec) co_return;
    static constexpr std::string_view established = "HTTP/1.1 200 Connection Established\r\n\r\n";
    auto [wec, n] = co_await net::async_write(client, net::buffer(established), use_tuple);
    if (wec) co_return;
    co_await (copy(client, target) || copy(target, client));
}

} // namespace switchyard::emulator
