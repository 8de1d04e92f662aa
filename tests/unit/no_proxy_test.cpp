#include <gtest/gtest.h>

#include "switchyard/upstream/no_proxy.hpp"

using switchyard::upstream::bypasses_proxy;

TEST(NoProxy, FollowsCurlSemantics) {
    struct row {
        const char* host;
        const char* no_proxy;
        bool bypass;
    };
    const row rows[] = {
        {"example.com", "", false},
        {"example.com", "*", true},
        {"10.1.2.3", " * ", true},
        {"example.com", "example.com", true},
        {"api.example.com", "example.com", true},
        {"api.example.com", ".example.com", true},
        {"example.com", ".example.com", true},
        {"badexample.com", "example.com", false},
        {"example.com.evil", "example.com", false},
        {"EXAMPLE.com", "example.COM", true},
        {"example.com.", "example.com", true},
        {"example.com", "example.com.", true},
        {"other.org", "localhost, example.com ,other.org", true},
        {"other.org", "localhost,,example.com", false},
        {"x.internal", " .internal ", true},
        {"internal", "x.internal", false},
        {"10.1.2.3", "10.1.2.3", true},
        {"10.1.2.3", "10.1.2.4", false},
        {"10.1.2.3", "10.0.0.0/8", true},
        {"11.1.2.3", "10.0.0.0/8", false},
        {"192.168.1.77", "192.168.1.64/26", true},
        {"192.168.1.128", "192.168.1.64/26", false},
        {"1.2.3.4", "0.0.0.0/0", true},
        {"10.1.2.3", "10.0.0.0/33", false},
        {"10.1.2.3", "10.0.0.0/x", false},
        {"10.1.2.3", "2.3", false}, // IP hosts match only IP entries
        {"10.1.2.3", "*.3", false},
        {"::1", "::1", true},
        {"[::1]", "::1", true},
        {"::1", "[::1]", true},
        {"0:0::1", "::1", true},
        {"::1", "::1/128", true},
        {"::2", "::1/128", false},
        {"fd00::1234", "fd00::/8", true},
        {"fe80::1", "fd00::/8", false},
        {"[2001:db8::5]", "2001:db8::/32", true},
        {"::ffff:10.0.0.1", "10.0.0.0/8", false}, // families are not mixed
        {"10.0.0.1", "::/0", false},
        {"localhost", "127.0.0.1", false},
        {"", "example.com", false},
    };
    for (const auto& r : rows)
        EXPECT_EQ(bypasses_proxy(r.host, r.no_proxy), r.bypass) << r.host << " vs '" << r.no_proxy << "'";
}
