#include <gtest/gtest.h>

#include "switchyard/http/auth.hpp"
#include "switchyard/http/router.hpp"
#include "switchyard/util/secrets.hpp"

using namespace switchyard;

TEST(Auth, AcceptsBearerInAnyCaseAndXApiKey) {
    http::authenticator a({"sk-one", "sk-two"});
    EXPECT_TRUE(a.allows("Bearer sk-one", ""));
    EXPECT_TRUE(a.allows("bearer   sk-two  ", ""));
    EXPECT_TRUE(a.allows("BEARER\tsk-one", ""));
    EXPECT_TRUE(a.allows("", "sk-two"));
    EXPECT_FALSE(a.allows("Bearer sk-three", ""));
    EXPECT_FALSE(a.allows("Basic sk-one", ""));
    EXPECT_FALSE(a.allows("Bearersk-one", ""));
    EXPECT_FALSE(a.allows("", ""));
    EXPECT_FALSE(a.allows("Bearer sk-on", ""));
}

TEST(Auth, NoKeysMeansOff) { EXPECT_TRUE(http::authenticator({}).allows("", "")); }

TEST(Secrets, MaskShowsAtMostFourCharacters) {
    EXPECT_EQ(secrets::mask("sk-abcdefghijkl"), "…ijkl");
    EXPECT_EQ(secrets::mask("short"), "…");
}

TEST(Routing, ApiPathNormalisesPrefixAndTrailingSlash) {
    EXPECT_EQ(http::api_path("/v1/chat/completions"), "/chat/completions");
    EXPECT_EQ(http::api_path("/v1/models/"), "/models");
    EXPECT_EQ(http::api_path("/chat/completions"), "/chat/completions");
    EXPECT_EQ(http::api_path("/v1/models/a%2Fb"), "/models/a%2Fb");
}
