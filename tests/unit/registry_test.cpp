#include <gtest/gtest.h>

#include "switchyard/providers/registry.hpp"

using namespace switchyard;

namespace {

/// Settings that read no chat page: these tests never leave the machine.
config::settings offline() {
    config::settings s;
    s.chatgptfree.pages.clear();
    return s;
}

} // namespace

TEST(Registry, DuplicateModelIdsKeepTheFirstBinding) {
    config::settings s = offline();
    s.models = {
        {"a", "flowgpt", "f1", {}, {}, {}}, {"b", "chatgptfree", "c1", {}, {}, {}}, {"a", "chatgptfree", "c2", {}, {}, {}}};
    config::openai_upstream u;
    u.name = "local";
    u.base_url = "http://127.0.0.1:9/v1";
    u.models = {"m", "m", "b", "n"}; // an upstream listing an id twice, and one a provider has
    s.openai.push_back(u);
    const auto r = providers::build_registry(s);
    std::vector<std::string> ids;
    for (const auto& m : r->models())
        ids.push_back(m.route.model_id);
    EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "m", "n"}));
    EXPECT_EQ(r->find("a")->target->name(), "flowgpt");
    EXPECT_EQ(r->find("a")->route.upstream_id, "f1");
    EXPECT_EQ(r->find("b")->target->name(), "chatgptfree");
    EXPECT_EQ(r->find("m")->target->name(), "local");
}

TEST(Registry, UnknownProviderIsStillAnError) {
    config::settings s = offline();
    s.models = {{"a", "nobody", "x", {}, {}}};
    EXPECT_THROW(providers::build_registry(s), config::config_error);
}

TEST(Registry, AliasesFindTheirModelWithoutBeingListedAndNeverHideOne) {
    config::settings s = offline();
    config::model_entry a{"a", "flowgpt", "f1", {}, {}, {}};
    a.aliases = {"claude-sonnet-4-5", "b", "claude-sonnet-4-5"};
    config::model_entry b{"b", "chatgptfree", "c1", {}, {}, {}};
    config::model_entry late{"claude-sonnet-4-5", "chatgptfree", "c2", {}, {}, {}};
    s.models = {a, b, late};
    const auto r = providers::build_registry(s);
    std::vector<std::string> ids;
    for (const auto& m : r->models())
        ids.push_back(m.route.model_id);
    EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "claude-sonnet-4-5"}));
    EXPECT_EQ(r->find("b")->target->name(), "chatgptfree");                 // a later model wins over an alias
    EXPECT_EQ(r->find("claude-sonnet-4-5")->target->name(), "chatgptfree"); // …whichever comes first
    s.models = {a};
    const auto only = providers::build_registry(s);
    ASSERT_TRUE(only->find("claude-sonnet-4-5"));
    EXPECT_EQ(only->find("claude-sonnet-4-5")->route.model_id, "a");
    EXPECT_EQ(only->models().size(), 1u);
}

TEST(Registry, TwoProvidersOfOneNameAreRefused) {
    config::settings s = offline();
    config::openai_upstream u;
    u.base_url = "http://127.0.0.1:9/v1";
    u.models = {"m"};
    s.openai = {u, u}; // both named "openai": metrics and /admin could not tell them apart
    EXPECT_THROW(providers::build_registry(s), config::config_error);
    s.openai[1].name = "second";
    EXPECT_NO_THROW(providers::build_registry(s));
}
