#include <gtest/gtest.h>

// The test swaps OpenSSL's random method, an API deprecated in 3.0 but kept for this use.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/rand.h>

#include <regex>
#include <set>
#include <thread>

#include "switchyard/util/ids.hpp"

namespace ids = switchyard::ids;

TEST(Ids, HaveTheirFormats) {
    const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    const std::regex completion("chatcmpl-[A-Za-z0-9]{29}");
    const std::regex request("req_[0-9a-f]{24}");
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(std::regex_match(ids::uuid_v4(), uuid));
        EXPECT_TRUE(std::regex_match(ids::completion_id(), completion));
        EXPECT_TRUE(std::regex_match(ids::request_id(), request));
    }
    EXPECT_EQ(ids::hex(0), "");
    EXPECT_EQ(ids::alphanumeric(5000).size(), 5000u); // spans buffer refills
}

TEST(Ids, AreUniqueAndUseTheWholeAlphabet) {
    std::set<std::string> seen;
    for (int i = 0; i < 200'000; ++i)
        ASSERT_TRUE(seen.insert(ids::request_id()).second) << "repeated after " << i;
    std::set<char> chars;
    for (char c : ids::alphanumeric(20'000))
        chars.insert(c);
    EXPECT_EQ(chars.size(), 62u);
}

TEST(Ids, ThreadsDrawDifferentIds) {
    std::vector<std::string> a, b;
    std::thread t1([&] {
        for (int i = 0; i < 1000; ++i)
            a.push_back(ids::uuid_v4());
    });
    std::thread t2([&] {
        for (int i = 0; i < 1000; ++i)
            b.push_back(ids::uuid_v4());
    });
    t1.join();
    t2.join();
    std::set<std::string> all(a.begin(), a.end());
    all.insert(b.begin(), b.end());
    EXPECT_EQ(all.size(), 2000u);
}

namespace {

// A stand-in for OpenSSL's generator: byte i of the stream is `i % 62`, or a failure.
std::size_t fake_counter = 0;
bool fake_fails = false;
int fake_bytes(unsigned char* out, int n) {
    if (fake_fails) return 0;
    for (int i = 0; i < n; ++i)
        out[i] = static_cast<unsigned char>(fake_counter++ % 62);
    return 1;
}
int fake_status() { return 1; }
const RAND_METHOD fake_method = {nullptr, fake_bytes, nullptr, nullptr, fake_bytes, fake_status};

/// Runs `f` on a fresh thread (so with an empty per-thread buffer) while RAND_bytes is the fake.
template <class F> void with_fake_rand(bool fails, F f) {
    const RAND_METHOD* real = RAND_get_rand_method();
    fake_counter = 0;
    fake_fails = fails;
    ASSERT_EQ(RAND_set_rand_method(&fake_method), 1);
    std::thread(f).join();
    RAND_set_rand_method(real);
}

} // namespace

// Ids that gate access to data (conversation ids) must be unguessable: every character comes
// from OpenSSL's CSPRNG, not from a generator that a few outputs let one predict.
TEST(Ids, EveryCharacterComesFromOpenSslRandBytes) {
    std::string drawn;
    with_fake_rand(false, [&] { drawn = ids::alphanumeric(62); });
    EXPECT_EQ(drawn, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

TEST(Ids, AFailingRandomSourceIsAnErrorNotAWeakId) {
    bool threw = false;
    with_fake_rand(true, [&] {
        try {
            ids::uuid_v4();
        } catch (const std::runtime_error&) {
            threw = true;
        }
    });
    EXPECT_TRUE(threw);
    EXPECT_EQ(ids::uuid_v4().size(), 36u); // the real source is back
}
