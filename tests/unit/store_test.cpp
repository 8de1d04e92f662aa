#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <functional>

#include "redis_server.hpp"
#include "switchyard/store/conversation_store.hpp"
#include "switchyard/store/redis/redis_store.hpp"
#include "temp_db.hpp"

using namespace switchyard::store;

namespace {

using switchyard::testing_support::temp_db;

/// An item as the Conversations API stores it (the store keeps the JSON as given).
item msg(const std::string& id, const std::string& role, const std::string& text, std::int64_t at = 100) {
    return {id,
            R"({"type":"message","id":")" + id + R"(","role":")" + role + R"(","content":[{"type":"input_text","text":")" + text +
                R"("}]})",
            at};
}

class StoreTest : public testing::TestWithParam<std::function<std::unique_ptr<conversation_store>()>> {};

} // namespace

TEST_P(StoreTest, OwnersSeeOnlyTheirConversations) {
    auto s = GetParam()();
    s->create({"conv_a", "alice", 10, 10, R"({"k":"v"})", "", ""});
    ASSERT_TRUE(s->get("alice", "conv_a"));
    EXPECT_EQ(s->get("alice", "conv_a")->metadata, R"({"k":"v"})");
    EXPECT_FALSE(s->get("bob", "conv_a"));
    EXPECT_FALSE(s->update_metadata("bob", "conv_a", "{}"));
    EXPECT_FALSE(s->remove("bob", "conv_a"));
    EXPECT_FALSE(s->append_turn("bob", "conv_a", turn{{msg("m1", "user", "x")}, "flowgpt", "{}"}));
    EXPECT_TRUE(s->list_items("bob", "conv_a", 10, true, std::nullopt).items.empty());
    EXPECT_TRUE(s->remove("alice", "conv_a"));
    EXPECT_FALSE(s->get("alice", "conv_a"));
}

TEST_P(StoreTest, TurnsAppendAtomicallyAndPageInBothOrders) {
    auto s = GetParam()();
    s->create({"c", "o", 10, 10, "{}", "", ""});
    ASSERT_TRUE(s->append_turn(
        "o", "c", turn{{msg("m1", "user", "hi"), msg("m2", "assistant", "hello")}, "flowgpt", R"({"conversationId":"x"})"}));
    ASSERT_TRUE(s->append_turn(
        "o", "c", turn{{msg("m3", "user", "again"), msg("m4", "assistant", "yes")}, "flowgpt", R"({"conversationId":"y"})"}));
    const auto c = s->get("o", "c");
    EXPECT_EQ(c->provider, "flowgpt");
    EXPECT_EQ(c->upstream_state, R"({"conversationId":"y"})");

    auto asc = s->list_items("o", "c", 3, true, std::nullopt);
    ASSERT_EQ(asc.items.size(), 3u);
    EXPECT_EQ(asc.items[0].id, "m1");
    EXPECT_TRUE(asc.has_more);
    auto rest = s->list_items("o", "c", 3, true, std::string("m3"));
    ASSERT_EQ(rest.items.size(), 1u);
    EXPECT_EQ(rest.items[0].id, "m4");
    EXPECT_FALSE(rest.has_more);
    auto desc = s->list_items("o", "c", 2, false, std::string("m4"));
    ASSERT_EQ(desc.items.size(), 2u);
    EXPECT_EQ(desc.items[0].id, "m3");
    EXPECT_EQ(desc.items[1].id, "m2");
    EXPECT_TRUE(s->list_items("o", "c", 5, true, std::string("unknown")).items.empty());
}

TEST_P(StoreTest, ExpiresIdleConversations) {
    auto s = GetParam()();
    s->create({"old", "o", 10, 10, "{}", "", ""});
    s->create({"new", "o", 10, 4'000'000'000, "{}", "", ""});
    EXPECT_EQ(s->expire(1'000), 1u);
    EXPECT_FALSE(s->get("o", "old"));
    EXPECT_TRUE(s->get("o", "new"));
}

TEST_P(StoreTest, AContinuationIsTakenOnceAndOnlyWhileFresh) {
    auto s = GetParam()();
    s->put_continuation("k1", {"flowgpt", R"({"conversationId":"c1"})", 1'000}, 0, 10);
    s->put_continuation("k2", {"flowgpt", "{}", 1'000}, 0, 10);
    EXPECT_FALSE(s->take_continuation("other", 0));
    const auto first = s->take_continuation("k1", 500);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->provider, "flowgpt");
    EXPECT_EQ(first->upstream_state, R"({"conversationId":"c1"})");
    EXPECT_EQ(first->created_at, 1'000);
    EXPECT_FALSE(s->take_continuation("k1", 500));   // a second request with the same history starts afresh
    EXPECT_FALSE(s->take_continuation("k2", 2'000)); // too old: refused, and gone
    EXPECT_FALSE(s->take_continuation("k2", 0));
}

TEST_P(StoreTest, ContinuationsAreBoundedOldestFirstAndExpireOnPut) {
    auto s = GetParam()();
    for (int i = 0; i < 5; ++i)
        s->put_continuation("k" + std::to_string(i), {"aipkit", std::to_string(i), 100 + i}, 0, 3);
    EXPECT_FALSE(s->take_continuation("k0", 0));
    EXPECT_FALSE(s->take_continuation("k1", 0));
    EXPECT_TRUE(s->take_continuation("k2", 0));
    s->put_continuation("k5", {"aipkit", "5", 200}, 104, 3); // k3 (103) is past the cutoff
    EXPECT_FALSE(s->take_continuation("k3", 0));
    EXPECT_TRUE(s->take_continuation("k4", 0));
    EXPECT_TRUE(s->take_continuation("k5", 0));
}

TEST_P(StoreTest, ItemsAddedOrRemovedByTheClientClearTheUpstreamState) {
    auto s = GetParam()();
    s->create({"c", "o", 10, 10, "{}", "", ""});
    ASSERT_TRUE(s->append_turn("o", "c", turn{{msg("m1", "user", "hi"), msg("m2", "assistant", "yo")}, "flowgpt", "{\"x\":1}"}));
    ASSERT_TRUE(s->get_item("o", "c", "m2"));
    EXPECT_EQ(s->get_item("o", "c", "m2")->body, msg("m2", "assistant", "yo").body);
    EXPECT_FALSE(s->get_item("other", "c", "m2"));
    EXPECT_FALSE(s->get_item("o", "c", "nope"));

    EXPECT_FALSE(s->append_items("other", "c", {msg("m3", "user", "x")}));
    EXPECT_EQ(s->get("o", "c")->upstream_state, "{\"x\":1}");
    ASSERT_TRUE(s->append_items("o", "c", {msg("m3", "user", "added"), msg("m4", "user", "too")}));
    EXPECT_EQ(s->get("o", "c")->upstream_state, "");
    EXPECT_EQ(s->get("o", "c")->provider, "flowgpt");
    EXPECT_EQ(s->list_items("o", "c", 10, true, std::nullopt).items.size(), 4u);

    ASSERT_TRUE(s->append_turn("o", "c", turn{{}, "flowgpt", "{\"x\":2}"}));
    EXPECT_FALSE(s->remove_item("other", "c", "m3"));
    EXPECT_FALSE(s->remove_item("o", "c", "nope"));
    EXPECT_EQ(s->get("o", "c")->upstream_state, "{\"x\":2}");
    ASSERT_TRUE(s->remove_item("o", "c", "m3"));
    EXPECT_EQ(s->get("o", "c")->upstream_state, "");
    const auto left = s->list_items("o", "c", 10, true, std::nullopt).items;
    ASSERT_EQ(left.size(), 3u);
    EXPECT_EQ(left[2].id, "m4");
}

TEST_P(StoreTest, ResponsesBelongToTheirOwnerAndExpire) {
    auto s = GetParam()();
    s->put_response({"resp_1", "o", 1'000, "", "key1", R"({"id":"resp_1"})", "[]"});
    s->put_response({"resp_2", "o", 5'000, "resp_1", "", R"({"id":"resp_2"})", R"([{"type":"message"}])"});
    const auto second = s->get_response("o", "resp_2");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->previous_response_id, "resp_1");
    EXPECT_EQ(second->body, R"({"id":"resp_2"})");
    EXPECT_EQ(second->input_items, R"([{"type":"message"}])");
    EXPECT_EQ(s->get_response("o", "resp_1")->continuation_key, "key1");
    EXPECT_FALSE(s->get_response("other", "resp_1"));
    EXPECT_FALSE(s->remove_response("other", "resp_1"));
    s->expire(2'000);
    EXPECT_FALSE(s->get_response("o", "resp_1"));
    EXPECT_TRUE(s->remove_response("o", "resp_2"));
    EXPECT_FALSE(s->get_response("o", "resp_2"));
}

TEST_P(StoreTest, AnIdThatLooksLikeAnotherKeyIsJustUnknown) {
    auto s = GetParam()();
    s->create({"c", "o", 1, 1, "{}", "", ""});
    ASSERT_TRUE(s->append_turn("o", "c", turn{{msg("m1", "user", "hi")}, "flowgpt", "{}"}));
    for (const std::string id : {"c:order", "c:items", "c%3Aorder", ":", "%"}) {
        EXPECT_FALSE(s->get("o", id)) << id;
        EXPECT_FALSE(s->append_items("o", id, {msg("m2", "user", "x")})) << id;
        EXPECT_TRUE(s->list_items("o", id, 10, true, std::nullopt).items.empty()) << id;
        EXPECT_FALSE(s->get_response("o", id)) << id;
    }
    s->create({"c:order", "o", 1, 1, "{}", "", ""}); // a conversation may even be called that
    EXPECT_TRUE(s->get("o", "c:order"));
    EXPECT_EQ(s->list_items("o", "c", 10, true, std::nullopt).items.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, testing::Values([] { return open_sqlite_store(temp_db()); }));
INSTANTIATE_TEST_SUITE_P(Memory, StoreTest, testing::Values([] { return make_memory_store(); }));
// A redis-server per test process; each test keeps its keys under a prefix of its own.
INSTANTIATE_TEST_SUITE_P(Redis, StoreTest, testing::Values([] {
                             static switchyard::testing_support::redis_server server;
                             static int next = 0; // and per process: ctest runs each test in one of its own
                             return open_redis_store("redis://127.0.0.1:" + std::to_string(server.port()),
                                                     "t" + std::to_string(getpid()) + "-" + std::to_string(next++) + ":");
                         }));

TEST(SqliteStore, MigratesAFreshFileAndKeepsDataAcrossReopen) {
    const auto path = temp_db();
    {
        auto s = open_sqlite_store(path);
        s->create({"c", "o", 1, 1, "{}", "", ""});
        s->append_turn("o", "c", turn{{msg("m1", "user", "héllo 世界")}, "flowgpt", "{}"});
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), sqlite_schema_version());
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);

    auto reopened = open_sqlite_store(path); // migrations are idempotent
    const auto items = reopened->list_items("o", "c", 10, true, std::nullopt).items;
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].body, msg("m1", "user", "héllo 世界").body);
}

TEST(SqliteStore, MigratesSchemaTwoItemsToTheirJson) {
    const auto path = temp_db();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    // The schema as version 2 left it, with one conversation of two turns.
    const char* v2 = R"(CREATE TABLE conversations(id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL,
                          updated_at INTEGER NOT NULL, metadata TEXT NOT NULL, provider TEXT NOT NULL DEFAULT '',
                          upstream_state TEXT NOT NULL DEFAULT '');
                        CREATE TABLE items(seq INTEGER PRIMARY KEY AUTOINCREMENT,
                          conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                          id TEXT NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);
                        CREATE INDEX items_by_conversation ON items(conversation_id, seq);
                        CREATE INDEX conversations_by_idle ON conversations(updated_at);
                        CREATE TABLE continuations(key TEXT PRIMARY KEY, provider TEXT NOT NULL, upstream_state TEXT NOT NULL,
                          created_at INTEGER NOT NULL);
                        CREATE INDEX continuations_by_age ON continuations(created_at);
                        INSERT INTO conversations VALUES('c', 'o', 1, 4000000000, '{}', 'flowgpt', '{"conversationId":"u"}');
                        INSERT INTO items(conversation_id, id, role, text, created_at) VALUES('c', 'm1', 'user', 'say "hi"', 1);
                        INSERT INTO items(conversation_id, id, role, text, created_at) VALUES('c', 'm2', 'assistant', 'hi', 2);
                        PRAGMA user_version = 2;)";
    ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    auto s = open_sqlite_store(path);
    const auto items = s->list_items("o", "c", 10, true, std::nullopt).items;
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].body, R"({"type":"message","id":"m1","status":"completed","role":"user",)"
                             R"("content":[{"type":"input_text","text":"say \"hi\""}]})");
    EXPECT_EQ(items[1].body, R"({"type":"message","id":"m2","status":"completed","role":"assistant",)"
                             R"("content":[{"type":"output_text","text":"hi"}]})");
    EXPECT_EQ(s->get("o", "c")->upstream_state, R"({"conversationId":"u"})");
}

TEST(SqliteStore, ContinuationsDoNotSurviveARestart) {
    const auto path = temp_db();
    open_sqlite_store(path)->put_continuation("k", {"flowgpt", "{}", 100}, 0, 10);
    EXPECT_FALSE(open_sqlite_store(path)->take_continuation("k", 0)); // written without an fsync: dropped at start
}

TEST(SqliteStore, RefusesAFileFromANewerBuild) {
    const auto path = temp_db();
    open_sqlite_store(path).reset();
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, ("PRAGMA user_version = " + std::to_string(sqlite_schema_version() + 1)).c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    EXPECT_THROW(open_sqlite_store(path), std::runtime_error);
}

TEST_P(StoreTest, UsageRowsAddUpPerHourKeyAndModel) {
    auto s = GetParam()();
    const auto row = [](std::int64_t hour, std::string key, std::string model, std::int64_t requests) {
        usage_row r;
        r.hour = hour;
        r.key = std::move(key);
        r.model = std::move(model);
        r.requests = requests;
        r.errors = 1;
        r.prompt_tokens = 10 * requests;
        r.completion_tokens = 20;
        r.estimated_tokens = 5;
        r.streamed_bytes = 100;
        return r;
    };
    s->add_usage({row(7200, "a", "m", 2), row(3600, "b", "m", 1)});
    s->add_usage({row(7200, "a", "m", 3), row(10800, "a", "n", 1)});
    s->add_usage({});
    const auto all = s->usage(0, 20000);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].hour, 3600); // ordered by hour, key, model
    EXPECT_EQ(all[1].key, "a");
    EXPECT_EQ(all[1].requests, 5);
    EXPECT_EQ(all[1].errors, 2);
    EXPECT_EQ(all[1].prompt_tokens, 50);
    EXPECT_EQ(all[1].completion_tokens, 40);
    EXPECT_EQ(all[1].estimated_tokens, 10);
    EXPECT_EQ(all[1].streamed_bytes, 200);
    const auto some = s->usage(7200, 10800); // [from, to)
    ASSERT_EQ(some.size(), 1u);
    EXPECT_EQ(some[0].model, "m");
}
