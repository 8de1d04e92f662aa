#pragma once
// What the instances of one deployment share besides conversations, so that several gateways
// behind a load balancer act as one: turn locks, client-key limits, what traffic has shown of
// each upstream credential, and short-lived values such as the AIPKit nonce. A single instance
// has none (a null pointer wherever one is taken); several share one on Redis
// (store/redis/redis_shared_state.hpp).
//
// Every method may be called from any thread. Those that return an awaitable run on the shared
// state's own thread and resume the caller on its own executor; none blocks an I/O thread, and
// a caller cancelled meanwhile (its client gone) does not cancel the call. The void ones are sent
// in the background and never fail the caller: an unlock or a release Redis could not take is
// retried, and expires with its lease at worst. What cannot be answered throws
// store::store_unavailable.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "switchyard/store/conversation_store.hpp"

namespace switchyard::store {

/// What one instance saw of an upstream credential, for the others: its state after a refusal,
/// a rate limit, a success or an operator's reset. Named by a digest of the credential, never
/// the credential itself.
struct credential_news {
    std::string state;                 // credential_state's name: healthy, cooling, failing or dead
    std::string reason;                // why it is not healthy
    std::int64_t cooling_until_ms = 0; // Unix time, when cooling
    std::string cooled_for;            // rate_limited or quota_exhausted, when cooling
    unsigned consecutive_failures = 0;
    std::int64_t stamp_ms = 0; // when it was seen (Unix time): newer news replaces older
    std::string origin;        // the instance that saw it, which does not apply it again
    bool reset = false;        // an operator's reset: ends a cooling and refusals alike
};

/// A client key's limits, as admit() checks them on every instance at once.
struct key_quota {
    std::string key; // the key's name
    long requests_per_minute = 0;
    long tokens_per_minute = 0;
    long max_concurrent = 0;
};

class shared_state {
public:
    virtual ~shared_state() = default;

    /// This instance's name in credential_news::origin.
    virtual const std::string& instance() const noexcept = 0;

    // Locks: one holder of a name across every instance. A held lock is renewed in the
    // background until unlocked; an instance that dies loses its locks when their lease ends.

    /// A token proving the lock on `name`, or "" when another holder has it.
    virtual boost::asio::awaitable<std::string> lock(const std::string& name) = 0;
    /// The same for a thread that may block (the store thread); never from an I/O thread.
    virtual std::string lock_blocking(const std::string& name) = 0;
    virtual void unlock(const std::string& name, const std::string& token) noexcept = 0;
    /// unlock(), returning once Redis has taken it (or could not: then it is retried in the
    /// background), so that a turn's next turn, sent the moment this one ends, finds it free.
    virtual boost::asio::awaitable<void> unlock_now(const std::string& name, const std::string& token) = 0;
    /// The same for a thread that may block (the store thread).
    virtual void unlock_blocking(const std::string& name, const std::string& token) noexcept = 0;

    // Client-key limits, counted once for every instance.

    struct admission {
        bool admitted = false;
        std::string ticket;      // when admitted: holds one of the key's concurrent slots until finish()
        std::string limit;       // when not: "concurrent", "requests" or "tokens"
        double wait_seconds = 0; // when not: until the limit lets a request through
    };
    /// Admits a request of `quota.key` estimated at `prompt_tokens`, or says which limit refuses it.
    virtual boost::asio::awaitable<admission> admit(const key_quota& quota, long prompt_tokens) = 0;
    /// The request holding `ticket` has ended with an answer of `completion_tokens`.
    virtual void finish(const key_quota& quota, const std::string& ticket, long completion_tokens) noexcept = 0;

    // Upstream credentials: each instance reports what it sees and reads what the others saw.

    virtual void report_credential(const std::string& fingerprint, const credential_news& news) noexcept = 0;
    /// Newer news replaces older in Redis, whatever order reports arrive in; news older than a
    /// day is dropped. Changes whenever the news read from the others changes, so a reader knows
    /// when to look.
    virtual std::uint64_t credential_news_version() const noexcept = 0;
    /// The latest news of every credential, by fingerprint.
    virtual std::map<std::string, credential_news> credential_news_now() const = 0;

    // Short-lived values (the AIPKit nonce).

    /// The value of `name`, or "" when none is held.
    virtual boost::asio::awaitable<std::string> value(const std::string& name) = 0;
    virtual void put_value(const std::string& name, const std::string& value, std::chrono::milliseconds ttl) noexcept = 0;
    /// Drops the value of `name` if it still is `stale`.
    virtual void drop_value(const std::string& name, const std::string& stale) noexcept = 0;
};

} // namespace switchyard::store
