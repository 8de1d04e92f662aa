#pragma once
// Server-side conversations: their owner, metadata, the stored turns, and the opaque upstream
// state a provider needs to continue them. The interface is small on purpose, so a store
// shared by several gateway instances (Redis, say) can be added without touching providers.
// Implementations are thread-safe.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::store {

/// Thrown by a store that cannot reach its backend (Redis down, slow or refusing us): the caller
/// answers 503 store_unavailable rather than 500.
struct store_unavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct conversation {
    std::string id;    // conv_…
    std::string owner; // a digest of the API key that created it, never the key
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::string metadata = "{}"; // JSON object, as the client set it
    std::string provider;        // empty until the first turn binds it
    std::string upstream_state;  // provider-defined JSON, empty before the first turn
};

/// One item of a conversation, kept as the JSON the Conversations API shows (api/conversation_items.hpp).
struct item {
    std::string id; // msg_…, fc_…, …; also inside `body`
    std::string body;
    std::int64_t created_at = 0;
};

/// One completed exchange, written atomically.
struct turn {
    std::vector<item> items; // the client's new messages, then the answer
    std::string provider;
    std::string upstream_state;
};

/// Where a stateless client's chat left its upstream conversation, kept under the fingerprint
/// of the history that led there (transparent continuation, turn/continuation.hpp).
struct continuation {
    std::string provider;
    std::string upstream_state;
    std::int64_t created_at = 0; // unix seconds
};

/// A Responses API response, kept so a later one can continue it (`previous_response_id`) and
/// a client can read it back.
struct stored_response {
    std::string id; // resp_…
    std::string owner;
    std::int64_t created_at = 0;
    std::string previous_response_id; // "" for the first of a chain
    std::string continuation_key;     // where its upstream conversation is kept, "" when nowhere
    std::string body;                 // the response object, JSON
    std::string input_items;          // the items it was given, a JSON array
};

/// Usage of one client key and model in one hour (UTC). The counts add up: a row written for an
/// hour that has one already is added to it.
struct usage_row {
    std::int64_t hour = 0; // unix seconds at the start of the hour
    std::string key;       // the client key's name; "" with auth off
    std::string model;     // as the client named it
    std::int64_t requests = 0;
    std::int64_t errors = 0; // answered with an error status, or ended by an in-band error
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t estimated_tokens = 0; // the part of the two above the gateway counted itself
    std::int64_t streamed_bytes = 0;   // bytes of streamed answers sent to the client
};

/// `into` with the counts of `more` added, and its hour, key and model.
inline void add_counts(usage_row& into, const usage_row& more) {
    into.hour = more.hour;
    into.key = more.key;
    into.model = more.model;
    into.requests += more.requests;
    into.errors += more.errors;
    into.prompt_tokens += more.prompt_tokens;
    into.completion_tokens += more.completion_tokens;
    into.estimated_tokens += more.estimated_tokens;
    into.streamed_bytes += more.streamed_bytes;
}

struct item_page {
    std::vector<item> items;
    bool has_more = false;
};

class conversation_store {
public:
    virtual ~conversation_store() = default;

    virtual void create(const conversation& c) = 0;
    /// nullopt when absent, expired, or owned by someone else.
    virtual std::optional<conversation> get(const std::string& owner, const std::string& id) = 0;
    virtual bool update_metadata(const std::string& owner, const std::string& id, const std::string& metadata) = 0;
    virtual bool remove(const std::string& owner, const std::string& id) = 0;
    /// Appends a turn and the new upstream state; returns once it is durable.
    virtual bool append_turn(const std::string& owner, const std::string& id, const turn& t) = 0;
    /// Items in order (`ascending` or not), starting after the item `after` when given.
    virtual item_page list_items(const std::string& owner, const std::string& id, std::size_t limit, bool ascending,
                                 const std::optional<std::string>& after) = 0;
    /// One item, or nullopt when it or its conversation is absent or not the owner's.
    virtual std::optional<item> get_item(const std::string& owner, const std::string& id, const std::string& item_id) = 0;
    /// Adds items a client wrote, or removes one. Either way the upstream no longer holds what is
    /// stored, so the upstream state is cleared: the next turn sends the whole history.
    virtual bool append_items(const std::string& owner, const std::string& id, const std::vector<item>& items) = 0;
    virtual bool remove_item(const std::string& owner, const std::string& id, const std::string& item_id) = 0;
    /// Drops conversations idle since before `cutoff` (unix seconds), and responses made before
    /// it; returns how many conversations.
    virtual std::size_t expire(std::int64_t cutoff) = 0;

    virtual void put_response(const stored_response& r) = 0;
    /// nullopt when absent, expired, or owned by someone else.
    virtual std::optional<stored_response> get_response(const std::string& owner, const std::string& id) = 0;
    virtual bool remove_response(const std::string& owner, const std::string& id) = 0;

    /// Keeps `c` under `key`, replacing what was there. Entries made before `cutoff` are dropped,
    /// then the oldest beyond `limit`.
    virtual void put_continuation(const std::string& key, const continuation& c, std::int64_t cutoff, std::size_t limit) = 0;
    /// Removes and returns the entry under `key` unless it was made before `cutoff`: a history
    /// is continued once, so two requests that resend it never share an upstream conversation.
    virtual std::optional<continuation> take_continuation(const std::string& key, std::int64_t cutoff) = 0;

    /// Adds each row's counts to the stored ones for its (hour, key, model), all or none.
    virtual void add_usage(const std::vector<usage_row>& rows) = 0;
    /// The rows of the hours in [from, to), ordered by hour, key and model.
    virtual std::vector<usage_row> usage(std::int64_t from, std::int64_t to) = 0;
};

/// SQLite in WAL mode at `path`, schema migrated on open. Throws std::runtime_error on failure.
std::unique_ptr<conversation_store> open_sqlite_store(const std::string& path);
/// A process-local store for tests.
std::unique_ptr<conversation_store> make_memory_store();

/// The SQLite schema version this build writes.
int sqlite_schema_version();

} // namespace switchyard::store
