// store::redis::client against a real redis-server (Debian's), started on a free loopback port
// for each test, and against fake servers that misbehave on purpose.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <filesystem>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <future>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "redis_server.hpp"
#include "switchyard/store/redis/client.hpp"

using namespace switchyard::store::redis;
using switchyard::testing_support::redis_server;
using namespace std::chrono_literals;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// Runs `task` on `ioc` to its end and returns its result (or rethrows).
template <class T> T run(net::io_context& ioc, net::awaitable<T> task) {
    auto result = net::co_spawn(ioc, std::move(task), net::use_future);
    ioc.restart();
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        ioc.run_one_for(std::chrono::milliseconds(100)); // a fake server's accept stays pending
    return result.get();
}

std::vector<reply> run_batch(net::io_context& ioc, client& c, const std::vector<command>& commands) {
    return run(ioc, c.run(commands));
}

reply run_one(net::io_context& ioc, client& c, const command& cmd) { return run(ioc, c.run(cmd)); }

failure::kind failure_of(net::io_context& ioc, client& c, const command& cmd) {
    try {
        run_one(ioc, c, cmd);
    } catch (const failure& f) {
        return f.why;
    }
    ADD_FAILURE() << "no failure";
    return failure::kind::protocol;
}

} // namespace

TEST(RedisUrl, ReadsEveryPartAndRefusesWhatItCannotUse) {
    auto e = parse_url("redis://127.0.0.1:6380/2");
    EXPECT_EQ(e.host, "127.0.0.1");
    EXPECT_EQ(e.port, 6380);
    EXPECT_EQ(e.db, 2);
    EXPECT_EQ(e.password, "");
    e = parse_url("redis://gateway:s%40cret@redis");
    EXPECT_EQ(e.host, "redis");
    EXPECT_EQ(e.port, 6379);
    EXPECT_EQ(e.user, "gateway");
    EXPECT_EQ(e.password, "s@cret");
    EXPECT_EQ(parse_url("redis://:only@redis:1/").password, "only");
    EXPECT_EQ(parse_url("redis://:only@redis:1/").user, "");
    EXPECT_EQ(parse_url("redis://[::1]:7000").host, "::1");
    for (const char* bad :
         {"http://redis", "redis://", "redis://h/x", "redis://h/-1", "redis://h?db=1", "not a url", "redis://h:0"})
        EXPECT_THROW(parse_url(bad), std::invalid_argument) << bad;
    EXPECT_FALSE(parse_url("redis://h").tls);
    EXPECT_TRUE(parse_url("rediss://user:pw@h:6380").tls);
    try {
        parse_url("rediss://user:topsecret@h/x");
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos);
    }
}

// rediss://: a TLS-only redis-server with a certificate of the test's own, trusted through
// SSL_CERT_FILE; one the client has no reason to trust is refused.
TEST(RedisClient, SpeaksTlsAndChecksTheServersCertificate) {
    const auto dir = std::filesystem::temp_directory_path() / ("switchyard-redis-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    const std::string make = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
                             "subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
                             key + " -out " + cert + " 2>/dev/null";
    ASSERT_EQ(std::system(make.c_str()), 0) << "openssl (Debian's openssl package) is needed";
    redis_server server({"--tls-cert-file", cert, "--tls-key-file", key, "--tls-auth-clients", "no"}, 0, true);
    auto where = server.where("tls-pass");
    where.tls = true;
    net::io_context ioc;
    {
        client untrusted(ioc.get_executor(), where); // the system's CAs know no such certificate
        EXPECT_EQ(failure_of(ioc, untrusted, {"PING"}), failure::kind::connect);
    }
    setenv("SSL_CERT_FILE", cert.c_str(), 1);
    client c(ioc.get_executor(), where);
    unsetenv("SSL_CERT_FILE");
    const std::vector<command> batch{{"SET", "k", "over tls"}, {"GET", "k"}};
    const auto replies = run_batch(ioc, c, batch);
    EXPECT_EQ(replies[1].text, "over tls");
    EXPECT_EQ(run_one(ioc, c, {"GET", "k"}).text, "over tls"); // the idle connection is reused
    EXPECT_EQ(c.connects(), 1u);
    std::filesystem::remove_all(dir);
}

TEST(RedisClient, CommandsPipelineAndEveryReplyShapeComesBack) {
    redis_server server;
    net::io_context ioc;
    client c(ioc.get_executor(), server.where());
    std::vector<command> batch;
    for (int i = 0; i < 100; ++i)
        batch.push_back({"SET", "k" + std::to_string(i), std::string(i, 'x') + std::string("\r\n\0bin", 6)});
    batch.push_back({"GET", "k42"});
    batch.push_back({"GET", "missing"});
    batch.push_back({"INCR", "k1"}); // not a number: an error reply, not a failure
    batch.push_back({"EVAL", "return {1, {'two', {3}}, redis.status_reply('OK')}", "0"});
    const auto replies = run_batch(ioc, c, batch);
    ASSERT_EQ(replies.size(), 104u);
    EXPECT_EQ(replies[0].type, reply::kind::status);
    EXPECT_EQ(replies[100].text, std::string(42, 'x') + std::string("\r\n\0bin", 6));
    EXPECT_EQ(replies[101].type, reply::kind::nil);
    EXPECT_TRUE(replies[102].is_error());
    const auto& nested = replies[103];
    ASSERT_EQ(nested.type, reply::kind::array);
    ASSERT_EQ(nested.elements.size(), 3u);
    EXPECT_EQ(nested.elements[0].integer, 1);
    EXPECT_EQ(nested.elements[1].elements[0].text, "two");
    EXPECT_EQ(nested.elements[1].elements[1].elements[0].integer, 3);
    EXPECT_EQ(nested.elements[2].text, "OK");
    EXPECT_EQ(c.connects(), 1u);
    EXPECT_EQ(run_one(ioc, c, {"GET", "k0"}).text, std::string("\r\n\0bin", 6));
    EXPECT_EQ(c.connects(), 1u) << "the connection is kept and reused";
}

TEST(RedisClient, AuthenticatesAndSelectsTheDatabase) {
    redis_server server({"--requirepass", "pw-1234"});
    net::io_context ioc;
    client anonymous(ioc.get_executor(), server.where());
    const auto refused = run_one(ioc, anonymous, {"PING"});
    EXPECT_TRUE(refused.is_error()) << "NOAUTH";
    client wrong(ioc.get_executor(), server.where("nope"));
    EXPECT_EQ(failure_of(ioc, wrong, {"PING"}), failure::kind::auth);
    auto where = server.where("pw-1234");
    where.db = 3;
    client right(ioc.get_executor(), where);
    EXPECT_EQ(run_one(ioc, right, {"SET", "in3", "yes"}).text, "OK");
    EXPECT_EQ(run_one(ioc, right, {"CLIENT", "INFO"}).text.find("db=3") != std::string::npos, true);
    // An ACL user.
    EXPECT_EQ(run_one(ioc, right, {"ACL", "SETUSER", "gw", "on", ">gw-pass", "~*", "+@all"}).text, "OK");
    client user(ioc.get_executor(), server.where("gw-pass", "gw"));
    EXPECT_EQ(run_one(ioc, user, {"PING"}).text, "PONG");
}

TEST(RedisClient, ASlowRedisTimesOutAndTheNextCallWorks) {
    redis_server server;
    net::io_context ioc;
    client_settings s;
    s.command_timeout = 200ms;
    client c(ioc.get_executor(), server.where(), s);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(failure_of(ioc, c, {"DEBUG", "SLEEP", "1"}), failure::kind::timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms);
    std::this_thread::sleep_for(900ms); // the sleep ends; the timed-out connection was dropped
    EXPECT_EQ(run_one(ioc, c, {"PING"}).text, "PONG");
}

TEST(RedisClient, DownIsAFastFailureAndItReconnectsByItselfWhenRedisIsBack) {
    auto server = std::make_unique<redis_server>();
    const auto port = server->port();
    net::io_context ioc;
    client_settings s;
    s.first_backoff = 100ms;
    client c(ioc.get_executor(), server->where(), s);
    EXPECT_EQ(run_one(ioc, c, {"SET", "a", "1"}).text, "OK");
    server.reset(); // killed: the idle connection is dead
    EXPECT_EQ(failure_of(ioc, c, {"GET", "a"}), failure::kind::connect);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(failure_of(ioc, c, {"GET", "a"}), failure::kind::backoff) << "no connect while backing off";
    EXPECT_LT(std::chrono::steady_clock::now() - started, 50ms);
    server = std::make_unique<redis_server>(std::vector<std::string>{}, port);
    std::this_thread::sleep_for(450ms); // past the backoff (100, then 200 ms)
    EXPECT_EQ(run_one(ioc, c, {"PING"}).text, "PONG");
    // A restart between two calls: the dead idle connection is replaced without the caller noticing.
    server.reset();
    server = std::make_unique<redis_server>(std::vector<std::string>{}, port);
    EXPECT_EQ(run_one(ioc, c, {"PING"}).text, "PONG");
}

TEST(RedisClient, AHostileServerCannotMakeItAllocateOrWaitWithoutBound) {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    std::string answer;
    std::vector<std::shared_ptr<tcp::socket>> open; // kept open: a close would reset what is in flight
    std::function<void()> serve = [&] {
        acceptor.async_accept([&](boost::system::error_code ec, tcp::socket s) {
            if (ec) return;
            auto sock = std::make_shared<tcp::socket>(std::move(s));
            open.push_back(sock);
            auto text = std::make_shared<std::string>(answer);
            net::async_write(*sock, net::buffer(*text), [sock, text](auto, auto) {});
            serve();
        });
    };
    serve();
    endpoint where;
    where.port = acceptor.local_endpoint().port();
    client_settings s;
    s.max_reply_bytes = 1 << 20;
    s.command_timeout = 300ms;
    s.first_backoff = 1ms;

    answer = "*2147483647\r\n"; // an array of two billion elements
    client a(ioc.get_executor(), where, s);
    EXPECT_EQ(failure_of(ioc, a, {"PING"}), failure::kind::protocol);
    answer = "$1000000000\r\n" + std::string(2 << 20, 'x'); // a gigabyte announced, more than the limit sent
    client b(ioc.get_executor(), where, s);
    EXPECT_EQ(failure_of(ioc, b, {"PING"}), failure::kind::protocol);
    answer = "+OK"; // never a line end
    client d(ioc.get_executor(), where, s);
    EXPECT_EQ(failure_of(ioc, d, {"PING"}), failure::kind::timeout);
    answer = "!garbage\r\n";
    client g(ioc.get_executor(), where, s);
    EXPECT_EQ(failure_of(ioc, g, {"PING"}), failure::kind::protocol);
}
