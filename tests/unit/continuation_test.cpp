#include <gtest/gtest.h>

#include "switchyard/turn/continuation.hpp"

using namespace switchyard;
using api::chat_message;
using api::message_role;

namespace {

chat_message message(message_role role, std::string text) {
    chat_message m;
    m.role = role;
    m.text = std::move(text);
    return m;
}

std::string key_of(const std::vector<chat_message>& messages, std::string_view owner = "owner",
                   std::string_view model = "model") {
    turn::history_fingerprint fp(owner, model);
    for (const auto& m : messages)
        fp.add(m);
    return fp.key();
}

const std::vector<chat_message> history = {message(message_role::system, "be brief"), message(message_role::user, "hi"),
                                           message(message_role::assistant, "hello")};

} // namespace

TEST(HistoryFingerprint, IsStableAndTheSameWhenBuiltInSteps) {
    EXPECT_EQ(key_of(history), key_of(history));
    EXPECT_EQ(key_of(history).size(), 64u);
    turn::history_fingerprint fp("owner", "model");
    fp.add(history[0]);
    const std::string after_one = fp.key(); // reading the key does not end the digest
    fp.add(history[1]);
    fp.add(history[2]);
    EXPECT_EQ(after_one, key_of({history[0]}));
    EXPECT_EQ(fp.key(), key_of(history));
}

TEST(HistoryFingerprint, TellsCallersModelsAndEditsApart) {
    const auto base = key_of(history);
    EXPECT_NE(key_of(history, "someone else"), base);
    EXPECT_NE(key_of(history, "owner", "other-model"), base);
    auto edited = history;
    edited[2].text = "hello!";
    EXPECT_NE(key_of(edited), base);
    auto role = history;
    role[1].role = message_role::system;
    EXPECT_NE(key_of(role), base);
    // Fields are length-prefixed: moving text across a boundary is a different history.
    EXPECT_NE(key_of({message(message_role::user, "ab"), message(message_role::user, "c")}),
              key_of({message(message_role::user, "a"), message(message_role::user, "bc")}));
    EXPECT_NE(key_of({history[0], history[1]}), base);
}

TEST(HistoryFingerprint, IgnoresWhatClientsRewrite) {
    auto resent = history;
    resent[2].text = "\n hello \n"; // front-ends trim, or not
    resent[1].name = "alice";
    EXPECT_EQ(key_of(resent), key_of(history));

    chat_message said = message(message_role::assistant, "");
    said.tool_calls.push_back({"call_1", "get_weather", R"({"city": "Paris", "unit": "c"})"});
    chat_message echoed = said;
    echoed.tool_calls[0].arguments = R"({"unit":"c","city":"Paris"})"; // parsed and serialised again
    EXPECT_EQ(key_of({history[1], said}), key_of({history[1], echoed}));
    echoed.tool_calls[0].arguments = R"({"unit":"f","city":"Paris"})";
    EXPECT_NE(key_of({history[1], said}), key_of({history[1], echoed}));
    echoed = said;
    echoed.tool_calls[0].id = "call_2";
    EXPECT_NE(key_of({history[1], said}), key_of({history[1], echoed}));
}

TEST(NewTurn, StartsAfterTheLastAssistantMessage) {
    EXPECT_EQ(turn::new_turn_start({}), 0u);
    EXPECT_EQ(turn::new_turn_start({history[0], history[1]}), 0u);
    EXPECT_EQ(turn::new_turn_start(history), 3u);
    auto more = history;
    more.push_back(message(message_role::user, "again"));
    more.push_back(message(message_role::user, "and again"));
    EXPECT_EQ(turn::new_turn_start(more), 3u);
}

TEST(NewTurn, IsContinuedOnlyWhenItReachesTheUpstreamAsOneMessage) {
    chat_message result = message(message_role::tool, "42");
    auto with = [&](std::vector<chat_message> tail) {
        auto all = history;
        all.insert(all.end(), tail.begin(), tail.end());
        return turn::new_turn_is_one_message(all, history.size());
    };
    EXPECT_TRUE(with({message(message_role::user, "next")}));
    EXPECT_TRUE(with({result}));
    EXPECT_TRUE(with({result, result})); // one round of results is sent as one message
    EXPECT_FALSE(with({}));
    EXPECT_FALSE(with({result, message(message_role::user, "and")}));
    EXPECT_FALSE(with({message(message_role::user, "one"), message(message_role::user, "two")}));
    EXPECT_FALSE(with({message(message_role::system, "note"), message(message_role::user, "next")}));
}

TEST(NewTurn, SplittingOffTheHistoryKeepsToolNames) {
    api::chat_request req;
    chat_message call = message(message_role::assistant, "");
    call.tool_calls.push_back({"call_a", "lookup", "{}"});
    chat_message result = message(message_role::tool, "42");
    result.tool_call_id = "call_a";
    req.messages = {history[1], call, result, message(message_role::user, "thanks")};
    const auto earlier = turn::split_off_history(req, turn::new_turn_start(req.messages));
    ASSERT_EQ(earlier.size(), 2u);
    EXPECT_EQ(earlier[1].tool_calls.at(0).name, "lookup");
    ASSERT_EQ(req.messages.size(), 2u);
    EXPECT_EQ(req.messages[0].name, "lookup");
    EXPECT_EQ(req.messages[0].text, "42");
    EXPECT_EQ(req.messages[1].text, "thanks");
}
