#include "switchyard/upstream/dns.hpp"

#include "switchyard/upstream/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netdb.h>
#include <sys/eventfd.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace switchyard::upstream {
namespace {
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr int max_lookups_in_flight = 64;
std::atomic<int> lookups_in_flight{0};

/// What the lookup thread owns: its inputs, its answer, and the eventfd it signals when done.
/// The waiting coroutine watches a duplicate of that fd, so either side may go first.
struct lookup {
    lookup(std::string h, std::string p, int fd) : host(std::move(h)), port(std::move(p)), done_fd(fd) {}
    ~lookup() {
        if (answer) freeaddrinfo(answer);
        close(done_fd);
    }
    lookup(const lookup&) = delete;
    lookup& operator=(const lookup&) = delete;

    void run() {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_ADDRCONFIG;
        status = getaddrinfo(host.c_str(), port.c_str(), &hints, &answer);
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = write(done_fd, &one, sizeof one); // an eventfd write cannot block or fail here
    }

    const std::string host, port;
    const int done_fd;
    int status = 0;
    addrinfo* answer = nullptr;
};

/// What the waiting coroutine shares with its completion handlers, which may run after it has
/// given up and returned.
struct waiter {
    waiter(const net::any_io_executor& ex, int fd) : done(ex, fd), wake(ex) {}
    net::posix::stream_descriptor done;
    net::steady_timer wake;
    bool finished = false;
};

tcp::resolver::results_type results_of(const lookup& l) {
    std::vector<tcp::endpoint> endpoints;
    for (const addrinfo* a = l.answer; a; a = a->ai_next) {
        if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) || a->ai_addrlen > sizeof(sockaddr_in6)) continue;
        tcp::endpoint e;
        std::memcpy(e.data(), a->ai_addr, a->ai_addrlen);
        e.resize(a->ai_addrlen);
        endpoints.push_back(e);
    }
    if (endpoints.empty()) throw failure(failure_kind::connect, "resolve " + l.host + ": no address");
    return tcp::resolver::results_type::create(endpoints.begin(), endpoints.end(), l.host, l.port);
}

} // namespace

net::awaitable<tcp::resolver::results_type> resolve(const std::string& host, const std::string& port,
                                                    std::chrono::steady_clock::time_point deadline) {
    error_code not_literal;
    const auto address = net::ip::make_address(host, not_literal);
    if (!not_literal) {
        const auto port_number = static_cast<std::uint16_t>(std::strtoul(port.c_str(), nullptr, 10));
        co_return tcp::resolver::results_type::create(tcp::endpoint(address, port_number), host, port);
    }

    if (lookups_in_flight.fetch_add(1) >= max_lookups_in_flight) {
        --lookups_in_flight;
        throw failure(failure_kind::connect, "resolve " + host + ": too many lookups in flight");
    }
    std::shared_ptr<lookup> job;
    int watch_fd = -1;
    try {
        const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
        job = std::make_shared<lookup>(host, port, fd);
        watch_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (watch_fd < 0) throw std::system_error(errno, std::generic_category(), "dup");
        std::thread([job] {
            job->run();
            --lookups_in_flight;
        }).detach();
    } catch (const std::exception& e) {
        if (watch_fd >= 0) close(watch_fd);
        --lookups_in_flight;
        throw failure(failure_kind::connect, "resolve " + host + ": " + e.what());
    }

    const auto executor = co_await net::this_coro::executor;
    auto w = std::make_shared<waiter>(executor, watch_fd);
    w->wake.expires_at(deadline);
    w->done.async_wait(net::posix::descriptor_base::wait_read, [w](error_code ec) {
        w->finished = !ec;
        w->wake.cancel();
    });
    auto [wec] = co_await w->wake.async_wait(net::as_tuple(net::use_awaitable));
    if (!w->finished) {
        w->done.cancel();
        if (wec == net::error::operation_aborted) throw failure(failure_kind::cancelled, "resolve " + host + ": cancelled");
        throw failure(failure_kind::timeout, "resolve " + host + ": no answer within the connect timeout");
    }
    if (job->status != 0) throw failure(failure_kind::connect, "resolve " + host + ": " + gai_strerror(job->status));
    co_return results_of(*job);
}

} // namespace switchyard::upstream
