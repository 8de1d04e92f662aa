#pragma once
// A redis-server of a test's own (Debian's package), on a free loopback port, with nothing saved
// to disk; killed when it goes out of scope.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "switchyard/store/redis/client.hpp"

namespace switchyard::testing_support {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using switchyard::store::redis::endpoint;

inline std::uint16_t free_port() {
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

inline bool accepts(std::uint16_t port) {
    net::io_context ioc;
    tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    return !ec;
}

/// A redis-server of our own; stopped (SIGKILL) when it goes out of scope.
class redis_server {
public:
    /// With `tls`, the port speaks TLS only (`extra` names the certificate and key) and the
    /// server wants the password "tls-pass".
    explicit redis_server(std::vector<std::string> extra = {}, std::uint16_t port = 0, bool tls = false) : tls_(tls) {
        // A free port can be taken by someone else before the server binds it: then it exits,
        // and another port is tried (unless the test asked for this one).
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = port ? port : free_port();
            if (start(extra)) return;
            if (port) break;
        }
        throw std::runtime_error("redis-server did not start (scripts/install-deps.sh installs it)");
    }
    ~redis_server() { stop(); }
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    std::uint16_t port() const { return port_; }
    endpoint where(std::string password = {}, std::string user = {}) const {
        endpoint e;
        e.port = port_;
        e.password = std::move(password);
        e.user = std::move(user);
        return e;
    }

private:
    bool start(const std::vector<std::string>& extra) {
        std::vector<std::string> args{
            "redis-server", "--port", std::to_string(port_),    "--bind", "127.0.0.1",   "--save", "",
            "--appendonly", "no",     "--enable-debug-command", "yes",    "--daemonize", "no",     "--logfile",
            "/dev/null"};
        if (tls_) { // the port speaks TLS only
            args[2] = "0";
            const std::vector<std::string> tls_args{"--tls-port", std::to_string(port_), "--requirepass", "tls-pass"};
            args.insert(args.end(), tls_args.begin(), tls_args.end());
        }
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv; // built before fork: the child only execs
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ == 0) {
            execvp("redis-server", argv.data());
            _exit(127);
        }
        for (int i = 0; i < 200; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) { // exited: not installed, or the port was taken
                pid_ = -1;
                return false;
            }
            if (accepts(port_)) return true;
            std::this_thread::sleep_for(10ms);
        }
        stop();
        return false;
    }

    bool tls_ = false;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace switchyard::testing_support
