#pragma once
// The HTTP/1.1 server: one io_context and thread per worker, each accepting on its own
// duplicate of one listening socket, with its own session registry and upstream connection
// pool, so a connection lives on one thread from accept to close. Beast stays inside server.cpp.
#include <cstdint>
#include <functional>
#include <memory>

#include "switchyard/config/settings.hpp"
#include "switchyard/http/router.hpp"

namespace switchyard::server {

class server {
public:
    server(const config::settings& settings, const http::router& router);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds the listen address (refusing a port already in use, even by another switchyard);
    /// throws std::runtime_error when it cannot.
    void start();
    /// The bound port (useful with port 0).
    std::uint16_t port() const noexcept;
    /// What SIGHUP does (called on an I/O thread, so it should hand the work off); set before run().
    void on_hangup(std::function<void()> handler);
    /// Serves until shutdown completes; SIGINT/SIGTERM begin a graceful shutdown.
    void run();
    /// Stops accepting, lets in-flight requests finish until the grace deadline, then ends the
    /// rest (streams get an in-band error and [DONE]). Thread-safe.
    void begin_shutdown();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace switchyard::server
