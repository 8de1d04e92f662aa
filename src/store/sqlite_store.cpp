#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <stdexcept>

#include "switchyard/store/conversation_store.hpp"

namespace switchyard::store {
namespace {

// Each entry moves the schema one version forward; never edit one that has shipped.
constexpr const char* migrations[] = {
    R"(CREATE TABLE conversations(
         id TEXT PRIMARY KEY,
         owner TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL,
         metadata TEXT NOT NULL,
         provider TEXT NOT NULL DEFAULT '',
         upstream_state TEXT NOT NULL DEFAULT '');
       CREATE TABLE items(
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
         id TEXT NOT NULL,
         role TEXT NOT NULL,
         text TEXT NOT NULL,
         created_at INTEGER NOT NULL);
       CREATE INDEX items_by_conversation ON items(conversation_id, seq);
       CREATE INDEX conversations_by_idle ON conversations(updated_at);)",
    R"(CREATE TABLE continuations(
         key TEXT PRIMARY KEY,
         provider TEXT NOT NULL,
         upstream_state TEXT NOT NULL,
         created_at INTEGER NOT NULL);
       CREATE INDEX continuations_by_age ON continuations(created_at);)",
    // Items become the JSON the Conversations API shows, so tool calls and their outputs are kept
    // whole; stored responses.
    R"(ALTER TABLE items ADD COLUMN body TEXT NOT NULL DEFAULT '';
       UPDATE items SET body = json_object(
         'type', 'message', 'id', id, 'status', 'completed', 'role', role,
         'content', json_array(json_object(
           'type', CASE role WHEN 'assistant' THEN 'output_text' ELSE 'input_text' END, 'text', text)));
       ALTER TABLE items DROP COLUMN role;
       ALTER TABLE items DROP COLUMN text;
       CREATE INDEX items_by_id ON items(conversation_id, id);
       CREATE TABLE responses(
         id TEXT PRIMARY KEY,
         owner TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         previous_response_id TEXT NOT NULL,
         continuation_key TEXT NOT NULL,
         body TEXT NOT NULL,
         input_items TEXT NOT NULL);
       CREATE INDEX responses_by_age ON responses(created_at);)",
    R"(CREATE TABLE usage(
         hour INTEGER NOT NULL,
         key TEXT NOT NULL,
         model TEXT NOT NULL,
         requests INTEGER NOT NULL,
         errors INTEGER NOT NULL,
         prompt_tokens INTEGER NOT NULL,
         completion_tokens INTEGER NOT NULL,
         estimated_tokens INTEGER NOT NULL,
         streamed_bytes INTEGER NOT NULL,
         PRIMARY KEY(hour, key, model)) WITHOUT ROWID;)",
};

/// A prepared statement, finalized on scope exit.
class statement {
public:
    statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
    }
    ~statement() { sqlite3_finalize(stmt_); }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int i, const std::string& v) {
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    statement& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    /// True while a row is available.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(db_));
    }
    std::string text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    /// Ready to run again with new bindings.
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    int changes() const { return sqlite3_changes(db_); }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class sqlite_store final : public conversation_store {
public:
    explicit sqlite_store(const std::string& path) {
        sqlite3* raw = nullptr;
        const int rc =
            sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
        handle_.reset(raw); // closed even when the constructor throws below
        db_ = raw;
        if (rc != SQLITE_OK)
            throw std::runtime_error("cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
        sqlite3_busy_timeout(db_, 5000);
        // WAL with synchronous=FULL: a committed turn survives a crash or power loss.
        exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        migrate();
        // Continuations are written without an fsync, so after a crash one that was taken may
        // be back and point at an upstream conversation that has moved on. Starting without
        // them costs each open chat one full injection.
        exec("DELETE FROM continuations");
    }

    void create(const conversation& c) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "INSERT INTO conversations(id, owner, created_at, updated_at, metadata, provider, upstream_state) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        s.bind(1, c.id)
            .bind(2, c.owner)
            .bind(3, c.created_at)
            .bind(4, c.updated_at)
            .bind(5, c.metadata)
            .bind(6, c.provider)
            .bind(7, c.upstream_state);
        s.step();
    }

    std::optional<conversation> get(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "SELECT id, owner, created_at, updated_at, metadata, provider, upstream_state FROM conversations "
                         "WHERE id = ?1 AND owner = ?2");
        s.bind(1, id).bind(2, owner);
        if (!s.step()) return std::nullopt;
        return conversation{s.text(0), s.text(1), s.integer(2), s.integer(3), s.text(4), s.text(5), s.text(6)};
    }

    bool update_metadata(const std::string& owner, const std::string& id, const std::string& metadata) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "UPDATE conversations SET metadata = ?3 WHERE id = ?1 AND owner = ?2");
        s.bind(1, id).bind(2, owner).bind(3, metadata);
        s.step();
        return s.changes() > 0;
    }

    bool remove(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "DELETE FROM conversations WHERE id = ?1 AND owner = ?2");
        s.bind(1, id).bind(2, owner);
        s.step();
        return s.changes() > 0;
    }

    bool append_turn(const std::string& owner, const std::string& id, const turn& t) override {
        std::lock_guard lock(mutex_);
        return transaction([&] {
            statement u(db_, "UPDATE conversations SET provider = ?3, upstream_state = ?4, updated_at = strftime('%s','now') "
                             "WHERE id = ?1 AND owner = ?2");
            u.bind(1, id).bind(2, owner).bind(3, t.provider).bind(4, t.upstream_state);
            u.step();
            if (u.changes() == 0) return false;
            insert_items(id, t.items);
            return true;
        });
    }

    item_page list_items(const std::string& owner, const std::string& id, std::size_t limit, bool ascending,
                         const std::optional<std::string>& after) override {
        std::lock_guard lock(mutex_);
        item_page page;
        {
            statement owned(db_, "SELECT 1 FROM conversations WHERE id = ?1 AND owner = ?2");
            owned.bind(1, id).bind(2, owner);
            if (!owned.step()) return page;
        }
        std::string sql = "SELECT id, body, created_at FROM items WHERE conversation_id = ?1";
        if (after)
            sql += ascending ? " AND seq > (SELECT seq FROM items WHERE conversation_id = ?1 AND id = ?2)"
                             : " AND seq < (SELECT seq FROM items WHERE conversation_id = ?1 AND id = ?2)";
        sql += ascending ? " ORDER BY seq ASC LIMIT ?3" : " ORDER BY seq DESC LIMIT ?3";
        statement s(db_, sql.c_str());
        s.bind(1, id).bind(2, after.value_or("")).bind(3, static_cast<std::int64_t>(limit + 1));
        while (s.step())
            page.items.push_back(item{s.text(0), s.text(1), s.integer(2)});
        if (page.items.size() > limit) {
            page.items.pop_back();
            page.has_more = true;
        }
        return page;
    }

    std::optional<item> get_item(const std::string& owner, const std::string& id, const std::string& item_id) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "SELECT i.id, i.body, i.created_at FROM items i JOIN conversations c ON c.id = i.conversation_id "
                         "WHERE c.id = ?1 AND c.owner = ?2 AND i.id = ?3 ORDER BY i.seq LIMIT 1");
        s.bind(1, id).bind(2, owner).bind(3, item_id);
        if (!s.step()) return std::nullopt;
        return item{s.text(0), s.text(1), s.integer(2)};
    }

    bool append_items(const std::string& owner, const std::string& id, const std::vector<item>& items) override {
        std::lock_guard lock(mutex_);
        return transaction([&] {
            if (!forget_upstream(owner, id)) return false;
            insert_items(id, items);
            return true;
        });
    }

    bool remove_item(const std::string& owner, const std::string& id, const std::string& item_id) override {
        std::lock_guard lock(mutex_);
        return transaction([&] {
            statement s(db_, "DELETE FROM items WHERE conversation_id = ?1 AND id = ?2 "
                             "AND EXISTS(SELECT 1 FROM conversations WHERE id = ?1 AND owner = ?3)");
            s.bind(1, id).bind(2, item_id).bind(3, owner);
            s.step();
            return s.changes() > 0 && forget_upstream(owner, id);
        });
    }

    std::size_t expire(std::int64_t cutoff) override {
        std::lock_guard lock(mutex_);
        statement responses(db_, "DELETE FROM responses WHERE created_at < ?1");
        responses.bind(1, cutoff);
        responses.step();
        statement s(db_, "DELETE FROM conversations WHERE updated_at < ?1");
        s.bind(1, cutoff);
        s.step();
        return static_cast<std::size_t>(s.changes());
    }

    void put_response(const stored_response& r) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "INSERT OR REPLACE INTO responses(id, owner, created_at, previous_response_id, continuation_key, body, "
                         "input_items) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        s.bind(1, r.id)
            .bind(2, r.owner)
            .bind(3, r.created_at)
            .bind(4, r.previous_response_id)
            .bind(5, r.continuation_key)
            .bind(6, r.body)
            .bind(7, r.input_items);
        s.step();
    }

    std::optional<stored_response> get_response(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "SELECT id, owner, created_at, previous_response_id, continuation_key, body, input_items "
                         "FROM responses WHERE id = ?1 AND owner = ?2");
        s.bind(1, id).bind(2, owner);
        if (!s.step()) return std::nullopt;
        return stored_response{s.text(0), s.text(1), s.integer(2), s.text(3), s.text(4), s.text(5), s.text(6)};
    }

    bool remove_response(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "DELETE FROM responses WHERE id = ?1 AND owner = ?2");
        s.bind(1, id).bind(2, owner);
        s.step();
        return s.changes() > 0;
    }

    void add_usage(const std::vector<usage_row>& rows) override {
        if (rows.empty()) return;
        std::lock_guard lock(mutex_);
        transaction([&] {
            statement s(db_,
                        "INSERT INTO usage VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(hour, key, model) DO UPDATE "
                        "SET requests = requests + excluded.requests, errors = errors + excluded.errors, "
                        "prompt_tokens = prompt_tokens + excluded.prompt_tokens, "
                        "completion_tokens = completion_tokens + excluded.completion_tokens, "
                        "estimated_tokens = estimated_tokens + excluded.estimated_tokens, "
                        "streamed_bytes = streamed_bytes + excluded.streamed_bytes");
            for (const auto& r : rows) {
                s.reset();
                s.bind(1, r.hour)
                    .bind(2, r.key)
                    .bind(3, r.model)
                    .bind(4, r.requests)
                    .bind(5, r.errors)
                    .bind(6, r.prompt_tokens)
                    .bind(7, r.completion_tokens)
                    .bind(8, r.estimated_tokens)
                    .bind(9, r.streamed_bytes);
                s.step();
            }
            return true;
        });
    }

    std::vector<usage_row> usage(std::int64_t from, std::int64_t to) override {
        std::lock_guard lock(mutex_);
        statement s(db_, "SELECT hour, key, model, requests, errors, prompt_tokens, completion_tokens, estimated_tokens, "
                         "streamed_bytes FROM usage WHERE hour >= ?1 AND hour < ?2 ORDER BY hour, key, model");
        s.bind(1, from).bind(2, to);
        std::vector<usage_row> out;
        while (s.step())
            out.push_back({s.integer(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.integer(5), s.integer(6),
                           s.integer(7), s.integer(8)});
        return out;
    }

    void put_continuation(const std::string& key, const continuation& c, std::int64_t cutoff, std::size_t limit) override {
        std::lock_guard lock(mutex_);
        const relaxed_sync relaxed(*this);
        transaction([&] {
            statement expired(db_, "DELETE FROM continuations WHERE created_at < ?1");
            expired.bind(1, cutoff);
            expired.step();
            statement put(db_, "INSERT OR REPLACE INTO continuations(key, provider, upstream_state, created_at) "
                               "VALUES(?1, ?2, ?3, ?4)");
            put.bind(1, key).bind(2, c.provider).bind(3, c.upstream_state).bind(4, c.created_at);
            put.step();
            // Rowids grow with every insert (a replaced key gets a new one), so the newest
            // `limit` entries are within `limit` of the last: no scan of the table.
            statement over(db_, "DELETE FROM continuations WHERE rowid <= last_insert_rowid() - ?1");
            over.bind(1, static_cast<std::int64_t>(limit));
            over.step();
            return true;
        });
    }

    std::optional<continuation> take_continuation(const std::string& key, std::int64_t cutoff) override {
        std::lock_guard lock(mutex_);
        const relaxed_sync relaxed(*this);
        statement s(db_, "DELETE FROM continuations WHERE key = ?1 RETURNING provider, upstream_state, created_at");
        s.bind(1, key);
        if (!s.step()) return std::nullopt;
        continuation c{s.text(0), s.text(1), s.integer(2)};
        while (s.step()) {
        }
        if (c.created_at < cutoff) return std::nullopt;
        return c;
    }

private:
    /// Runs `body` in a write transaction: committed when it returns true, rolled back when it
    /// returns false or throws. Returns what `body` returned.
    template <class F> bool transaction(F&& body) {
        exec("BEGIN IMMEDIATE");
        try {
            const bool commit = body();
            exec(commit ? "COMMIT" : "ROLLBACK");
            return commit;
        } catch (...) {
            exec("ROLLBACK");
            throw;
        }
    }

    void insert_items(const std::string& id, const std::vector<item>& items) {
        for (const auto& it : items) {
            statement s(db_, "INSERT INTO items(conversation_id, id, body, created_at) VALUES(?1, ?2, ?3, ?4)");
            s.bind(1, id).bind(2, it.id).bind(3, it.body).bind(4, it.created_at);
            s.step();
        }
    }

    /// Clears the upstream state of an owned conversation; false when there is none.
    bool forget_upstream(const std::string& owner, const std::string& id) {
        statement u(db_, "UPDATE conversations SET upstream_state = '', updated_at = strftime('%s','now') "
                         "WHERE id = ?1 AND owner = ?2");
        u.bind(1, id).bind(2, owner);
        u.step();
        return u.changes() > 0;
    }

    /// Continuations only save upstream bytes, and none survive a restart (see the constructor),
    /// so their writes skip the fsync that a conversation turn's commit pays (WAL with
    /// synchronous=NORMAL is still consistent).
    class relaxed_sync {
    public:
        explicit relaxed_sync(sqlite_store& s) : store_(s) { store_.exec("PRAGMA synchronous=NORMAL"); }
        ~relaxed_sync() {
            try {
                store_.exec("PRAGMA synchronous=FULL");
            } catch (...) { // cannot fail on an open connection; a destructor must not throw
            }
        }
        relaxed_sync(const relaxed_sync&) = delete;
        relaxed_sync& operator=(const relaxed_sync&) = delete;

    private:
        sqlite_store& store_;
    };

    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string why = err ? err : "unknown error";
            sqlite3_free(err);
            throw std::runtime_error("sqlite: " + why);
        }
    }

    int user_version() {
        statement s(db_, "PRAGMA user_version");
        return s.step() ? static_cast<int>(s.integer(0)) : 0;
    }

    void migrate() {
        const int current = user_version();
        const int target = sqlite_schema_version();
        if (current > target)
            throw std::runtime_error("the data file has schema version " + std::to_string(current) + ", newer than this build");
        for (int v = current; v < target; ++v)
            transaction([&] {
                exec(migrations[v]);
                exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
                return true;
            });
    }

    struct closer {
        void operator()(sqlite3* db) const { sqlite3_close(db); }
    };
    std::unique_ptr<sqlite3, closer> handle_;
    sqlite3* db_ = nullptr; // handle_.get(), for brevity
    std::mutex mutex_;
};

} // namespace

int sqlite_schema_version() { return static_cast<int>(std::size(migrations)); }

std::unique_ptr<conversation_store> open_sqlite_store(const std::string& path) { return std::make_unique<sqlite_store>(path); }

} // namespace switchyard::store
