#include <gtest/gtest.h>

#include "switchyard/providers/flowgpt/signer.hpp"

using namespace switchyard;
using switchyard::config::signature_scheme;

// Test vectors from upstreams.md A.1.1.
TEST(FlowgptSigner, MatchesTheDocumentedVectors) {
    struct row {
        signature_scheme scheme;
        const char* device;
        const char* auth;
        const char* expected;
    };
    const row rows[] = {
        {signature_scheme::v1, "", "Bearer null", "14364f59379955fd3332f08d295b5712"},
        {signature_scheme::v1, "", "Bearer TESTTOKEN", "63b607e01ab66da1901c2d3e40a6f916"},
        {signature_scheme::v2, "AbCdEfGhIjKlMnOpQrStU", "", "301c6d030b6802a24651ef0c7b835cba"},
        {signature_scheme::v3, "AbCdEfGhIjKlMnOpQrStU", "", "e3b930247f41d95ca18447f3e5b5ed72"},
        {signature_scheme::none, "x", "y", ""},
    };
    for (const auto& r : rows)
        EXPECT_EQ(providers::flowgpt::signature(r.scheme, "1700000000", "0123456789abcdef0123456789abcdef", r.device, r.auth),
                  r.expected);
}
