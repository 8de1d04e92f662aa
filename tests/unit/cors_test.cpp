#include <gtest/gtest.h>

#include "switchyard/http/cors.hpp"

using namespace switchyard::http;

TEST(SameOrigin, OnlyThePlainHttpOriginOfALoopbackOrAddressHost) {
    EXPECT_TRUE(same_origin("http://127.0.0.1:8088", "127.0.0.1:8088"));
    EXPECT_TRUE(same_origin("HTTP://LOCALHOST:8088", "localhost:8088"));
    EXPECT_TRUE(same_origin("http://[::1]:8088", "[::1]:8088"));
    EXPECT_TRUE(same_origin("http://192.168.1.20:8088", "192.168.1.20:8088")); // a LAN address the gateway listens on
    EXPECT_FALSE(same_origin("https://127.0.0.1:8088", "127.0.0.1:8088"));     // the gateway speaks plain HTTP
    EXPECT_FALSE(same_origin("http://rebind.evil:8088", "rebind.evil:8088"));  // a DNS name may be a rebinding page
    EXPECT_FALSE(same_origin("http://localhost:9999", "localhost:8088"));
    EXPECT_FALSE(same_origin("http://localhost:8088", "127.0.0.1:8088"));
    EXPECT_FALSE(same_origin("null", "127.0.0.1:8088"));
    EXPECT_FALSE(same_origin("http://127.0.0.1:8088", ""));
}

TEST(SameOrigin, AddressLiterals) {
    EXPECT_TRUE(names_address("10.0.0.1"));
    EXPECT_TRUE(names_address("10.0.0.1:80"));
    EXPECT_TRUE(names_address("[fe80::1]:8088"));
    EXPECT_FALSE(names_address("example.com:80"));
    EXPECT_FALSE(names_address("10.0.0.1.nip.io"));
    EXPECT_FALSE(names_address("[not-an-address]:1"));
}

TEST(CorsPolicy, WithAuthOffAPageOfItsOwnIsServedAndARebindingOneIsNot) {
    const cors_policy open_on_lan(false, {}, false); // --allow-no-auth on a LAN address
    EXPECT_FALSE(open_on_lan.refusal("http://192.168.1.20:8088", "192.168.1.20:8088"));
    EXPECT_TRUE(open_on_lan.refusal("http://rebind.evil:8088", "rebind.evil:8088"));
    EXPECT_TRUE(open_on_lan.refusal("https://elsewhere.example", "192.168.1.20:8088"));
}
