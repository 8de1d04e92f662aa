#pragma once
// Upstream credentials (tokens, API keys, a guest session) and what traffic has shown of each:
// the state an operator sees (GET /admin/credentials) and the one `run_attempts` draws from.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "switchyard/providers/provider.hpp"
#include "switchyard/store/shared_state.hpp"

namespace switchyard::providers {

/// healthy: in use. cooling: rate-limited or out of quota until a time, then back.
/// failing: refused lately (counted), still tried after the healthy ones. dead: refused
/// `dead_after` times in a row; out until a reload or a successful probe.
enum class credential_state { healthy, cooling, failing, dead };
inline constexpr std::size_t credential_state_count = 4;

std::string_view state_name(credential_state s) noexcept;

struct credential_policy {
    std::chrono::milliseconds cooldown{60'000}; // cooling when the upstream gives no Retry-After
    unsigned max_concurrent = 0;                // exchanges at once per credential; 0: no limit
    unsigned dead_after = 3;                    // consecutive refusals before a credential is dead
};

/// One credential as an operator sees it: never the value itself.
struct credential_report {
    std::size_t index = 0;
    std::string masked; // the last four characters
    credential_state state = credential_state::healthy;
    std::string reason; // why it is not healthy
    std::optional<std::chrono::system_clock::time_point> cooling_until;
    unsigned consecutive_failures = 0;
    std::uint64_t requests = 0;
    std::uint64_t failures = 0;
    unsigned in_flight = 0;
    std::optional<std::chrono::system_clock::time_point> last_used;
};

/// Thread-safe. A provider owns its pool and exposes it through `provider::credentials()`;
/// `run_attempts` leases from it and reports each attempt's outcome.
class credential_pool {
public:
    using clock = std::chrono::steady_clock;

    /// One exchange's hold on a credential; counts towards its load until destroyed.
    class lease {
    public:
        lease(lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), index_(other.index_) {}
        lease& operator=(lease&&) = delete;
        ~lease();
        std::string_view value() const noexcept;
        std::size_t index() const noexcept { return index_; }

    private:
        friend class credential_pool;
        lease(credential_pool& pool, std::size_t index) : pool_(&pool), index_(index) {}
        credential_pool* pool_;
        std::size_t index_;
    };

    credential_pool(std::vector<std::string> values, credential_policy policy);

    /// The least-loaded usable credential not in `tried`: a preferred one first (when
    /// `preferred` is given and one is usable), then healthy, then failing ones; ties go
    /// round-robin. Nothing usable is a provider_error: every one cooling (why the soonest back
    /// cooled, `rate_limited` or `quota_exhausted`, with its return as retry_after), busy
    /// (`rate_limited`), or dead (`credential_rejected`).
    std::variant<lease, provider_error> acquire(const std::vector<std::size_t>& tried = {},
                                                const std::function<bool(std::string_view)>& preferred = {},
                                                clock::time_point now = clock::now());
    /// An attempt (or a probe) with credential `index` went well: its refusals are forgotten, so
    /// a failing or dead one is healthy again. A cooling one stays cooling until its time: an
    /// exchange that began before the rate limit says nothing about it.
    void succeeded(std::size_t index, clock::time_point now = clock::now());
    /// An attempt (or a probe) with credential `index` failed. Refusals (`credential_rejected`)
    /// count towards dead; rate limits and quota cool it down (for `retry_after_seconds` when
    /// given, at most a day). Other failures are the upstream's, not the credential's: counted,
    /// state kept.
    void failed(std::size_t index, const provider_error& e, clock::time_point now = clock::now());
    /// The operator's word: credential `index` is healthy now, cooling or not.
    void reset(std::size_t index);
    /// After a reload: each credential that `before` holds too keeps the cooling the upstream
    /// asked for there. Refusals are not carried over: a reload gives failing and dead ones a
    /// fresh start.
    void keep_cooling_from(const credential_pool& before, clock::time_point now = clock::now());
    /// Tells every instance what this one sees of its credentials (a refusal, a rate limit, a
    /// recovery, a reset) and takes what the others saw, so a credential one of them saw
    /// rate-limited rests on all, and refusals count towards dead wherever they happen. `scope`
    /// (the provider) is part of each credential's name there. A cooling the others announced
    /// holds from the start; their refusals count only from now on, so a reload or a restart
    /// gives a refused credential a fresh start as it does for one instance. `shared` outlives the pool.
    void share_through(store::shared_state* shared, std::string_view scope);
    /// The credential's value, for a probe. Empty when out of range.
    std::string value_at(std::size_t index) const;

    std::vector<credential_report> report(clock::time_point now = clock::now()) const;
    std::array<std::size_t, credential_state_count> count_by_state(clock::time_point now = clock::now()) const;
    /// Whether a request could be sent now: some credential neither cooling nor dead.
    bool usable(clock::time_point now = clock::now()) const;
    std::size_t size() const noexcept { return entries_.size(); }

private:
    struct entry {
        std::string value;
        credential_state state = credential_state::healthy;
        std::string reason;
        clock::time_point cooling_until{};
        failure_reason cooled_for = failure_reason::rate_limited;
        unsigned consecutive_failures = 0;
        std::uint64_t requests = 0;
        std::uint64_t failures = 0;
        unsigned in_flight = 0;
        std::optional<std::chrono::system_clock::time_point> last_used;
        std::string fingerprint;     // names it in shared news: a digest, never the value
        std::int64_t news_stamp = 0; // the newest news applied or reported, Unix ms
    };
    /// A cooling credential whose time is up returns, as failing if it was refused before.
    static credential_state current_state(const entry& e, clock::time_point now) noexcept;
    void release(std::size_t index);
    /// Counts a failure of `e`; whether it changed what the others should know.
    bool record_failure(entry& e, const provider_error& err, clock::time_point now);
    /// Applies the others' news if any came since last time. Under mutex_.
    void take_news(clock::time_point now) const;
    void apply_news(entry& e, const store::credential_news& n, bool cooling, clock::time_point now, std::int64_t wall_ms) const;
    /// The news of entry `e` for the others. Under mutex_.
    store::credential_news news_of(entry& e, clock::time_point now);
    /// Sends news gathered under mutex_, after releasing it.
    void tell(const std::optional<std::pair<std::string, store::credential_news>>& news);

    // Mutable: reading a pool applies the others' news first, as if it had come when it was sent.
    mutable std::vector<entry> entries_;
    credential_policy policy_;
    std::size_t cursor_ = 0;
    store::shared_state* shared_ = nullptr;
    mutable std::uint64_t news_version_ = 0; // of the shared news last applied
    std::int64_t shared_since_ms_ = 0;       // refusals the others saw before this are not applied
    mutable std::mutex mutex_;
};

} // namespace switchyard::providers
