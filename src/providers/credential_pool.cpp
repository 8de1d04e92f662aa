#include "switchyard/providers/credential_pool.hpp"

#include <algorithm>
#include <limits>

#include "switchyard/providers/upstream_errors.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::providers {

std::string_view state_name(credential_state s) noexcept {
    switch (s) {
    case credential_state::healthy: return "healthy";
    case credential_state::cooling: return "cooling";
    case credential_state::failing: return "failing";
    case credential_state::dead: return "dead";
    }
    return "healthy";
}

credential_pool::lease::~lease() {
    if (pool_) pool_->release(index_);
}

std::string_view credential_pool::lease::value() const noexcept { return pool_->entries_[index_].value; }

credential_pool::credential_pool(std::vector<std::string> values, credential_policy policy) : policy_(policy) {
    entries_.reserve(values.size());
    for (auto& v : values) {
        entries_.emplace_back();
        entries_.back().value = std::move(v);
    }
}

credential_state credential_pool::current_state(const entry& e, clock::time_point now) noexcept {
    if (e.state == credential_state::cooling && e.cooling_until <= now)
        return e.consecutive_failures > 0 ? credential_state::failing : credential_state::healthy;
    return e.state;
}

std::variant<credential_pool::lease, provider_error>
credential_pool::acquire(const std::vector<std::size_t>& tried, const std::function<bool(std::string_view)>& preferred,
                         clock::time_point now) {
    const std::size_t n = entries_.size();
    // Asked before the lock (values never change): the provider's test may be slow. Nothing is
    // allocated when nothing is preferred, the common case.
    std::vector<bool> liked;
    if (preferred)
        for (std::size_t i = 0; i < n; ++i)
            liked.push_back(preferred(entries_[i].value));
    std::lock_guard lock(mutex_);
    take_news(now);
    // Rank: preferred, then healthy before failing, then fewer exchanges in flight; the scan
    // starts at the cursor so equal candidates take turns.
    constexpr auto none = std::numeric_limits<std::size_t>::max();
    std::size_t pick = none;
    auto rank = [&](std::size_t i) {
        const auto s = current_state(entries_[i], now);
        return std::tuple(!(preferred && liked[i]), s == credential_state::failing, entries_[i].in_flight);
    };
    bool busy = false;
    const entry* soonest = nullptr; // of the cooling ones
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (cursor_ + k) % n;
        if (std::find(tried.begin(), tried.end(), i) != tried.end()) continue;
        const entry& e = entries_[i];
        const auto s = current_state(e, now);
        if (s == credential_state::dead) continue;
        if (s == credential_state::cooling) {
            if (!soonest || e.cooling_until < soonest->cooling_until) soonest = &e;
            continue;
        }
        if (policy_.max_concurrent > 0 && e.in_flight >= policy_.max_concurrent) {
            busy = true;
            continue;
        }
        if (pick == none || rank(i) < rank(pick)) pick = i;
    }
    if (pick != none) {
        entry& e = entries_[pick];
        e.state = current_state(e, now);
        ++e.in_flight;
        ++e.requests;
        e.last_used = std::chrono::system_clock::now();
        cursor_ = pick + 1;
        return lease(*this, pick);
    }
    if (busy)
        return provider_error{failure_reason::rate_limited,
                              "Every upstream credential is busy (" + std::to_string(policy_.max_concurrent) +
                                  " exchanges at once each); try again shortly.",
                              1L, std::nullopt};
    if (soonest) {
        const auto wait = std::chrono::ceil<std::chrono::seconds>(soonest->cooling_until - now).count();
        const bool quota = soonest->cooled_for == failure_reason::quota_exhausted;
        return provider_error{soonest->cooled_for,
                              quota ? "The upstream quota of every credential is used up for now."
                                    : "Every upstream credential is rate-limited for now.",
                              std::max<long>(1, static_cast<long>(wait)), std::nullopt};
    }
    return provider_error{failure_reason::credential_rejected,
                          tried.empty() ? "Every upstream credential was refused repeatedly and is out of use until "
                                          "the configuration is reloaded or a probe succeeds."
                                        : "The upstream refused every credential.",
                          std::nullopt, std::nullopt};
}

void credential_pool::release(std::size_t index) {
    std::lock_guard lock(mutex_);
    --entries_[index].in_flight;
}

void credential_pool::succeeded(std::size_t index, clock::time_point now) {
    std::optional<std::pair<std::string, store::credential_news>> news;
    {
        std::lock_guard lock(mutex_);
        if (index >= entries_.size()) return;
        entry& e = entries_[index];
        const bool recovered = e.consecutive_failures > 0;
        e.consecutive_failures = 0;
        if (current_state(e, now) == credential_state::cooling) return;
        e.state = credential_state::healthy;
        e.reason.clear();
        if (recovered && shared_) news.emplace(e.fingerprint, news_of(e, now)); // a success alone is no news
    }
    tell(news);
}

void credential_pool::reset(std::size_t index) {
    std::optional<std::pair<std::string, store::credential_news>> news;
    {
        std::lock_guard lock(mutex_);
        if (index >= entries_.size()) return;
        entry& e = entries_[index];
        e.consecutive_failures = 0;
        e.state = credential_state::healthy;
        e.reason.clear();
        if (shared_) {
            news.emplace(e.fingerprint, news_of(e, clock::now()));
            news->second.reset = true;
        }
    }
    tell(news);
}

void credential_pool::failed(std::size_t index, const provider_error& err, clock::time_point now) {
    std::optional<std::pair<std::string, store::credential_news>> news;
    {
        std::lock_guard lock(mutex_);
        if (index >= entries_.size()) return;
        if (record_failure(entries_[index], err, now) && shared_)
            news.emplace(entries_[index].fingerprint, news_of(entries_[index], now));
    }
    tell(news);
}

bool credential_pool::record_failure(entry& e, const provider_error& err, clock::time_point now) {
    ++e.failures;
    switch (err.reason) {
    case failure_reason::credential_rejected: {
        ++e.consecutive_failures;
        const bool dead = policy_.dead_after > 0 && e.consecutive_failures >= policy_.dead_after;
        // A cooling one keeps its time (and is failing after it) unless this makes it dead.
        if (!dead && current_state(e, now) == credential_state::cooling) return true;
        e.state = dead ? credential_state::dead : credential_state::failing;
        e.reason = "refused " + std::to_string(e.consecutive_failures) + " time(s) in a row: " + err.message;
        return true;
    }
    case failure_reason::rate_limited:
    case failure_reason::quota_exhausted: {
        if (e.state == credential_state::dead) return false;
        const auto asked = std::chrono::seconds(std::clamp(err.retry_after_seconds.value_or(0), 0L, max_retry_after_seconds));
        e.state = credential_state::cooling;
        e.cooled_for = err.reason;
        e.cooling_until = now + (err.retry_after_seconds ? std::chrono::milliseconds(asked) : policy_.cooldown);
        e.reason = std::string(reason_name(err.reason)) + ": " + err.message;
        return true;
    }
    default: return false; // the upstream's failure, not this credential's
    }
}

namespace {

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

} // namespace

void credential_pool::share_through(store::shared_state* shared, std::string_view scope) {
    std::lock_guard lock(mutex_);
    shared_ = shared;
    news_version_ = 0;
    shared_since_ms_ = unix_ms(std::chrono::system_clock::now());
    for (auto& e : entries_)
        e.fingerprint = secrets::sha256_hex("switchyard credential\n" + std::string(scope) + "\n" + e.value).substr(0, 32);
}

store::credential_news credential_pool::news_of(entry& e, clock::time_point now) {
    const auto wall = std::chrono::system_clock::now();
    store::credential_news n;
    const auto s = current_state(e, now);
    n.state = std::string(state_name(s));
    n.reason = s == credential_state::healthy ? std::string() : e.reason;
    if (s == credential_state::cooling) {
        n.cooling_until_ms = unix_ms(wall) + std::chrono::duration_cast<std::chrono::milliseconds>(e.cooling_until - now).count();
        n.cooled_for = std::string(reason_name(e.cooled_for));
    }
    n.consecutive_failures = e.consecutive_failures;
    // Strictly newer than anything this entry applied, so no instance keeps an older word.
    n.stamp_ms = std::max(unix_ms(wall), e.news_stamp + 1);
    n.origin = shared_->instance();
    e.news_stamp = n.stamp_ms;
    return n;
}

void credential_pool::tell(const std::optional<std::pair<std::string, store::credential_news>>& news) {
    if (news) shared_->report_credential(news->first, news->second);
}

void credential_pool::take_news(clock::time_point now) const {
    if (!shared_) return;
    const auto version = shared_->credential_news_version();
    if (version == news_version_) return;
    news_version_ = version;
    const auto all = shared_->credential_news_now();
    const auto wall_ms = unix_ms(std::chrono::system_clock::now());
    for (auto& e : entries_) {
        const auto it = all.find(e.fingerprint);
        if (it == all.end()) continue;
        const store::credential_news& n = it->second;
        if (n.origin == shared_->instance() || n.stamp_ms <= e.news_stamp) continue;
        // A cooling still running holds whenever it was announced; anything else only if newer
        // than this pool's sharing.
        const bool cooling = n.state == "cooling" && n.cooling_until_ms > wall_ms;
        if (!cooling && n.stamp_ms < shared_since_ms_) continue;
        e.news_stamp = n.stamp_ms;
        apply_news(e, n, cooling, now, wall_ms);
    }
}

void credential_pool::apply_news(entry& e, const store::credential_news& n, bool cooling, clock::time_point now,
                                 std::int64_t wall_ms) const {
    // The others' word merges as this instance's own outcomes would: a refusal leaves a cooling
    // running (unless it makes the credential dead), a rate limit leaves a dead one dead, a
    // success ends refusals but not a cooling; only an operator's reset ends everything.
    const auto local = current_state(e, now);
    if (n.reset) {
        e.state = credential_state::healthy;
        e.consecutive_failures = 0;
        e.reason.clear();
        return;
    }
    if (cooling) {
        if (local == credential_state::dead) return;
        e.consecutive_failures = std::max(e.consecutive_failures, n.consecutive_failures);
        const auto until = now + std::chrono::milliseconds(std::max<std::int64_t>(0, n.cooling_until_ms - wall_ms));
        if (local != credential_state::cooling || until > e.cooling_until) {
            e.cooling_until = until;
            e.cooled_for = n.cooled_for == "quota_exhausted" ? failure_reason::quota_exhausted : failure_reason::rate_limited;
            e.reason = n.reason;
        }
        e.state = credential_state::cooling;
        return;
    }
    if (n.state == "dead") {
        e.state = credential_state::dead;
        e.consecutive_failures = std::max(e.consecutive_failures, n.consecutive_failures);
        e.reason = n.reason;
        return;
    }
    if (n.state == "failing") {
        e.consecutive_failures = std::max(e.consecutive_failures, n.consecutive_failures);
        if (local == credential_state::dead || local == credential_state::cooling) return;
        e.state = credential_state::failing;
        e.reason = n.reason;
        return;
    }
    // A success (or a cooling that has ended): refusals are forgotten, a running cooling stays.
    e.consecutive_failures = 0;
    if (local == credential_state::cooling) return;
    e.state = credential_state::healthy;
    e.reason.clear();
}

void credential_pool::keep_cooling_from(const credential_pool& before, clock::time_point now) {
    if (&before == this) return;
    std::scoped_lock both(mutex_, before.mutex_);
    for (auto& e : entries_)
        for (const auto& old : before.entries_)
            if (old.value == e.value && current_state(old, now) == credential_state::cooling) {
                e.state = credential_state::cooling;
                e.cooling_until = old.cooling_until;
                e.cooled_for = old.cooled_for;
                e.reason = old.reason;
            }
}

std::string credential_pool::value_at(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return index < entries_.size() ? entries_[index].value : std::string();
}

std::vector<credential_report> credential_pool::report(clock::time_point now) const {
    const auto wall_now = std::chrono::system_clock::now();
    std::lock_guard lock(mutex_);
    take_news(now);
    std::vector<credential_report> out;
    out.reserve(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const entry& e = entries_[i];
        credential_report r;
        r.index = i;
        r.masked = secrets::mask(e.value);
        r.state = current_state(e, now);
        if (r.state != credential_state::healthy) r.reason = e.reason;
        if (r.state == credential_state::cooling)
            r.cooling_until = wall_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(e.cooling_until - now);
        r.consecutive_failures = e.consecutive_failures;
        r.requests = e.requests;
        r.failures = e.failures;
        r.in_flight = e.in_flight;
        r.last_used = e.last_used;
        out.push_back(std::move(r));
    }
    return out;
}

std::array<std::size_t, credential_state_count> credential_pool::count_by_state(clock::time_point now) const {
    std::lock_guard lock(mutex_);
    take_news(now);
    std::array<std::size_t, credential_state_count> counts{};
    for (const entry& e : entries_)
        ++counts[static_cast<std::size_t>(current_state(e, now))];
    return counts;
}

bool credential_pool::usable(clock::time_point now) const {
    std::lock_guard lock(mutex_);
    take_news(now);
    return std::any_of(entries_.begin(), entries_.end(), [&](const entry& e) {
        const auto s = current_state(e, now);
        return s == credential_state::healthy || s == credential_state::failing;
    });
}

} // namespace switchyard::providers
