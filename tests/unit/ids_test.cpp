#include <gtest/gtest.h>

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
