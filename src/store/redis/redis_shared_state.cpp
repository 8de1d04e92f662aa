// The state gateway instances share, on Redis. One thread of its own runs every call through one
// client (a pool of pipelined connections), so callers on I/O threads only hop here and back.
//
// Keys (`<p>` is the prefix):
//   <p>lock:<name>         a lock's token, with the lease as its expiry
//   <p>limit:<key>         hash: requests and tokens left in the key's minute, and when counted
//   <p>limit:<key>:slots   sorted set: the key's requests in flight, by lease end
//   <p>credentials         hash: credential fingerprint → its latest news (JSON)
//   <p>value:<name>        a short-lived value (the AIPKit nonce)
// Limits count on Redis's clock (TIME inside the scripts), so instances need not agree on theirs.
#include "switchyard/store/redis/redis_shared_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <deque>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <thread>
#include <unordered_map>

#include "switchyard/store/redis/client.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::store {
namespace {

namespace net = boost::asio;
using redis::command;
using redis::reply;

// KEYS[1] lock. ARGV: token, lease ms. Renews the lock if the token still holds it.
constexpr const char* renew_lock_script = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0)";

// KEYS[1] lock. ARGV: token. Releases the lock if the token still holds it.
constexpr const char* release_lock_script = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0)";

// The key's minute as two buckets that refill evenly (ops/key_limits.hpp), counted on Redis's clock.
constexpr const char* refill = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
local held = redis.call('HMGET', KEYS[1], 'requests', 'tokens', 'at')
local minutes = (now - (tonumber(held[3]) or now)) / 60000
local requests = math.min(rpm, (tonumber(held[1]) or rpm) + minutes * rpm)
local tokens = math.min(tpm, (tonumber(held[2]) or tpm) + minutes * tpm)
local function keep()
  redis.call('HSET', KEYS[1], 'requests', tostring(requests), 'tokens', tostring(tokens), 'at', now)
  -- Kept until full again (a large prompt's debt included), and a minute more.
  local refill = 0
  if tpm > 0 and tokens < 0 then refill = math.ceil(-tokens / tpm * 60000) end
  redis.call('PEXPIRE', KEYS[1], 120000 + refill)
end
)";

// KEYS: limit, slots. ARGV: rpm, tpm, max concurrent, prompt tokens, ticket, lease ms.
// Returns {1} when admitted, else {0, limit, seconds to wait}.
const std::string admit_script = std::string(refill) + R"(
local concurrent = tonumber(ARGV[3])
if concurrent > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= concurrent then return {0, 'concurrent', '1'} end
end
if rpm > 0 and requests < 1 then return {0, 'requests', tostring((1 - requests) * 60 / rpm)} end
if tpm > 0 and tokens <= 0 then return {0, 'tokens', tostring((1 - tokens) * 60 / tpm)} end
if rpm > 0 then requests = requests - 1 end
if tpm > 0 then tokens = tokens - math.max(0, tonumber(ARGV[4])) end
keep()
if concurrent > 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[5])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]) * 2)
end
return {1})";

// KEYS: limit, slots. ARGV: rpm, tpm, ticket, completion tokens. The request has ended.
const std::string finish_script = std::string(refill) + R"(
redis.call('ZREM', KEYS[2], ARGV[3])
if tpm > 0 then tokens = tokens - math.max(0, tonumber(ARGV[4])); keep() end
return 1)";

// KEYS[1] slots. ARGV: ticket, lease ms. A request in flight keeps its slot.
constexpr const char* renew_slot_script = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1)";

// KEYS[1] credentials hash. ARGV: fingerprint, news (JSON). Newer news only (reports may arrive
// out of order), and a cooling still running survives news that is neither a reset nor dead, as
// it does in each pool (credential_pool::apply_news).
constexpr const char* report_script = R"(
local new = cjson.decode(ARGV[2])
local held = redis.call('HGET', KEYS[1], ARGV[1])
local ok, old = pcall(cjson.decode, held or '')
if not held or not ok or type(old) ~= 'table' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function cooling_until(n)
  if n.state == 'cooling' and tonumber(n.cooling_until_ms or 0) > now then return tonumber(n.cooling_until_ms) end
  return 0
end
-- Two instances may report in the same millisecond: then the later report is the newer.
local newer, older = new, old
local old_stamp, new_stamp = tonumber(old.stamp_ms or 0), tonumber(new.stamp_ms or 0)
if old_stamp > new_stamp or (old_stamp == new_stamp and old.origin == new.origin) then
  newer, older = old, new
elseif new_stamp <= old_stamp then
  new.stamp_ms = old_stamp + 1
end
local merged = false
if cooling_until(older) > cooling_until(newer) and not newer.reset and newer.state ~= 'dead' then
  newer.state = 'cooling'
  newer.cooling_until_ms = older.cooling_until_ms
  newer.cooled_for = older.cooled_for
  newer.reason = older.reason
  merged = true
end
-- Refusals seen on two instances at once both count, unless the newer word is a success or a reset.
local older_count, newer_count = tonumber(older.consecutive_failures or 0), tonumber(newer.consecutive_failures or 0)
if newer.state ~= 'healthy' and not newer.reset and older_count > newer_count then
  newer.consecutive_failures = older_count
  merged = true
end
if merged then -- every instance's to apply, the reporters' too
  newer.origin = ''
  newer.stamp_ms = math.max(old_stamp, new_stamp) + 1
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(newer))
  return 1
end
if newer == old then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(new))
return 1)";

// KEYS[1] credentials hash. ARGV: cutoff (Unix ms), then fingerprints. Drops those whose news is
// still older than the cutoff (another instance may have written since they were read).
constexpr const char* prune_script = R"(
local cutoff = tonumber(ARGV[1])
local dropped = 0
for i = 2, #ARGV do
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  local ok, n = pcall(cjson.decode, held or '')
  if not ok or type(n) ~= 'table' or (tonumber(n.stamp_ms or 0) < cutoff and tonumber(n.cooling_until_ms or 0) < cutoff) then
    dropped = dropped + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return dropped)";

// KEYS[1] value. ARGV: the stale value.
constexpr const char* drop_value_script = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0)";

command script(const std::string& body, std::initializer_list<std::string> keys_then_args, std::size_t keys) {
    command c{"EVAL", body, std::to_string(keys)};
    c.insert(c.end(), keys_then_args.begin(), keys_then_args.end());
    return c;
}

nlohmann::json to_json(const credential_news& n) {
    return {{"state", n.state},
            {"reason", n.reason},
            {"cooling_until_ms", n.cooling_until_ms},
            {"cooled_for", n.cooled_for},
            {"consecutive_failures", n.consecutive_failures},
            {"stamp_ms", n.stamp_ms},
            {"origin", n.origin},
            {"reset", n.reset}};
}

std::optional<credential_news> news_of(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    credential_news n;
    try {
        n.state = j.value("state", "");
        n.reason = j.value("reason", "");
        n.cooling_until_ms = j.value("cooling_until_ms", std::int64_t{0});
        n.cooled_for = j.value("cooled_for", "");
        n.consecutive_failures = j.value("consecutive_failures", 0u);
        n.stamp_ms = j.value("stamp_ms", std::int64_t{0});
        n.origin = j.value("origin", "");
        n.reset = j.value("reset", false);
    } catch (const nlohmann::json::exception&) {
        return std::nullopt; // written by something else
    }
    return n;
}

class redis_shared_state final : public shared_state {
public:
    redis_shared_state(const std::string& url, shared_state_settings settings)
        : settings_(std::move(settings)), instance_(ids::hex(16)),
          client_(io_.get_executor(), redis::parse_url(url), redis::client_settings{}, max_connections) {
        net::co_spawn(io_, renew_held(), net::detached);
        net::co_spawn(io_, read_news(), net::detached);
        thread_ = std::thread([this] { io_.run(); });
    }

    /// Gives back what this instance still holds (a second at most), then stops.
    ~redis_shared_state() override {
        net::post(io_, [this] {
            stopping_ = true;
            net::co_spawn(io_, drain(), [this](std::exception_ptr) { io_.stop(); });
        });
        thread_.join();
    }

    const std::string& instance() const noexcept override { return instance_; }

    net::awaitable<std::string> lock(const std::string& name) override {
        auto take = [this, k = lock_key(name)]() { return take_lock(k); };
        co_return co_await here(std::move(take));
    }

    std::string lock_blocking(const std::string& name) override {
        auto take = [this, k = lock_key(name)]() { return take_lock(k); };
        return net::co_spawn(io_, std::move(take), net::use_future).get();
    }

    void unlock(const std::string& name, const std::string& token) noexcept override {
        in_background([this, k = lock_key(name), token]() { return release_lock(k, token); });
    }

    void unlock_blocking(const std::string& name, const std::string& token) noexcept override {
        try {
            auto release = [this, k = lock_key(name), token]() { return release_lock(k, token); };
            net::co_spawn(io_, std::move(release), net::use_future).get();
        } catch (const std::exception&) {
            // Retried in the background.
        }
    }

    net::awaitable<void> unlock_now(const std::string& name, const std::string& token) override {
        try {
            auto release = [this, k = lock_key(name), token]() { return release_lock(k, token); };
            co_await here(std::move(release));
        } catch (const std::exception&) {
            // Retried in the background; the caller's turn is over either way.
        }
    }

    net::awaitable<admission> admit(const key_quota& quota, long prompt_tokens) override {
        auto ask = [this, q = quota, prompt_tokens]() -> net::awaitable<admission> {
            const std::string base = key("limit:" + redis::key_part(q.key)), slots = base + ":slots";
            const std::string ticket = ids::hex(16);
            const std::vector<command> batch{
                script(admit_script,
                       {base, slots, std::to_string(q.requests_per_minute), std::to_string(q.tokens_per_minute),
                        std::to_string(q.max_concurrent), std::to_string(prompt_tokens), ticket, std::to_string(lease_ms())},
                       2)};
            // Should Redis have taken the slot before failing us, it is given back.
            const command give_back{"ZREM", slots, ticket};
            const auto replies = co_await run_or_retry(batch, give_back);
            const auto& r = replies.front();
            admission out;
            if (r.elements.empty() || r.elements.front().integer == 1) {
                out.admitted = true;
                out.ticket = ticket;
                if (q.max_concurrent > 0) held_slots_[ticket] = slots;
            } else {
                out.limit = r.elements.size() > 1 ? r.elements[1].text : std::string();
                out.wait_seconds = r.elements.size() > 2 ? std::strtod(r.elements[2].text.c_str(), nullptr) : 1.0;
            }
            co_return out;
        };
        co_return co_await here(std::move(ask));
    }

    void finish(const key_quota& quota, const std::string& ticket, long completion_tokens) noexcept override {
        in_background([this, q = quota, ticket, completion_tokens]() -> net::awaitable<void> {
            held_slots_.erase(ticket);
            const std::string base = key("limit:" + redis::key_part(q.key));
            const std::vector<command> batch{
                script(finish_script,
                       {base, base + ":slots", std::to_string(q.requests_per_minute), std::to_string(q.tokens_per_minute), ticket,
                        std::to_string(completion_tokens)},
                       2)};
            // Retried, the slot is given back; the answer's tokens are not counted twice.
            const command give_back{"ZREM", base + ":slots", ticket};
            co_await run_or_retry(batch, give_back);
        });
    }

    void report_credential(const std::string& fingerprint, const credential_news& news) noexcept override {
        in_background(
            [this, fingerprint,
             text = to_json(news).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)]() -> net::awaitable<void> {
                const std::vector<command> batch{script(report_script, {key("credentials"), fingerprint, text}, 1)};
                co_await run(batch);
            });
    }

    std::uint64_t credential_news_version() const noexcept override { return news_version_.load(std::memory_order_acquire); }

    std::map<std::string, credential_news> credential_news_now() const override {
        std::lock_guard lock(news_mutex_);
        return news_;
    }

    net::awaitable<std::string> value(const std::string& name) override {
        auto get = [this, k = key("value:" + redis::key_part(name))]() -> net::awaitable<std::string> {
            const std::vector<command> batch{{"GET", k}};
            const auto replies = co_await run(batch);
            co_return replies.front().text;
        };
        co_return co_await here(std::move(get));
    }

    void put_value(const std::string& name, const std::string& value, std::chrono::milliseconds ttl) noexcept override {
        in_background([this, k = key("value:" + redis::key_part(name)), value, ttl]() -> net::awaitable<void> {
            const std::vector<command> batch{{"SET", k, value, "PX", std::to_string(std::max<long long>(1, ttl.count()))}};
            co_await run(batch);
        });
    }

    void drop_value(const std::string& name, const std::string& stale) noexcept override {
        in_background([this, k = key("value:" + redis::key_part(name)), stale]() -> net::awaitable<void> {
            const std::vector<command> batch{script(drop_value_script, {k, stale}, 1)};
            co_await run(batch);
        });
    }

private:
    // Calls in flight at once, each on a connection of its own; more wait their turn (within
    // the command deadline), so a burst or a slow Redis never opens a connection per request.
    static constexpr std::size_t max_connections = 8;
    static constexpr std::size_t max_retries = 10'000;

    std::string key(const std::string& name) const { return settings_.prefix + name; }
    std::string lock_key(const std::string& name) const { return key("lock:" + redis::key_part(name)); }
    long long lease_ms() const { return settings_.lease.count(); }

    /// Runs `f` (a coroutine) on this thread and resumes the caller on its own. The caller's
    /// cancellation is not passed on: a client that goes away must not cut a Redis exchange
    /// half way (the connection would be lost, and a lock taken with it).
    template <class F> std::invoke_result_t<F&> here(F f) {
        return net::co_spawn(io_, std::move(f), net::bind_cancellation_slot(net::cancellation_slot(), net::use_awaitable));
    }

    /// Runs on this thread: the token, or "" when another holder has the lock.
    net::awaitable<std::string> take_lock(const std::string& k) {
        const std::string token = ids::hex(32);
        const std::vector<command> batch{{"SET", k, token, "NX", "PX", std::to_string(lease_ms())}};
        // Should Redis have set it before failing us, it is released.
        const command release = script(release_lock_script, {k, token}, 1);
        const auto replies = co_await run_or_retry(batch, release);
        if (replies.front().type == reply::kind::nil) co_return std::string();
        held_locks_[k] = token;
        co_return token;
    }

    net::awaitable<void> release_lock(const std::string& k, const std::string& token) {
        if (const auto held = held_locks_.find(k); held != held_locks_.end() && held->second == token) held_locks_.erase(held);
        const std::vector<command> batch{script(release_lock_script, {k, token}, 1)};
        co_await run_or_retry(batch, batch.front());
    }

    /// Replies, or store_unavailable when Redis cannot answer or refuses (an error reply here is
    /// Redis not ready, or an ACL or a script problem: either way the shared state is unavailable).
    net::awaitable<std::vector<reply>> run(const std::vector<command>& batch) {
        co_await take_connection();
        struct given_back {
            redis_shared_state* self;
            ~given_back() { self->give_connection_back(); }
        } slot{this};
        std::vector<reply> replies;
        std::string failed;
        try {
            replies = co_await client_.run(batch);
        } catch (const redis::failure& f) {
            failed = f.what();
        }
        if (!failed.empty()) throw store_unavailable(failed);
        for (const auto& r : replies)
            if (r.is_error()) throw store_unavailable("Redis: " + r.text.substr(0, 200));
        co_return replies;
    }

    net::awaitable<void> take_connection() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (in_use_ >= max_connections) {
            net::steady_timer wake(io_, deadline);
            waiting_.push_back(&wake);
            co_await wake.async_wait(net::as_tuple(net::use_awaitable));
            std::erase(waiting_, &wake);
            if (in_use_ >= max_connections && std::chrono::steady_clock::now() >= deadline)
                throw store_unavailable("Redis is too slow: every connection to it is busy");
        }
        ++in_use_;
    }

    void give_connection_back() {
        --in_use_;
        for (auto* w : waiting_) // each checks again; those that find none busy wait on
            w->cancel();
    }

    /// Runs `batch`; when Redis cannot take it, `retry` (a command that may run twice) is sent
    /// again with the next renewals, so a lock or a slot is given back as soon as Redis is back
    /// rather than when its lease runs out.
    net::awaitable<std::vector<reply>> run_or_retry(const std::vector<command>& batch, const command& retry) {
        std::vector<reply> replies;
        bool failed = false;
        try {
            replies = co_await run(batch);
        } catch (const store_unavailable&) {
            failed = true;
        }
        if (!failed) co_return replies;
        if (retries_.size() >= max_retries) retries_.pop_front(); // its lease ends it anyway
        retries_.push_back(retry);
        throw store_unavailable("Redis is unavailable; retried later");
    }

    /// Runs `job` on this thread without anyone waiting: a failure is logged (at most every
    /// few seconds) and otherwise left to the retries and leases that bound it.
    template <class Job> void in_background(Job job) noexcept {
        try {
            ++background_;
            net::co_spawn(io_, std::move(job), [this](std::exception_ptr e) {
                --background_;
                if (e) complain(e);
            });
        } catch (...) {
            --background_;
        }
    }

    void complain(std::exception_ptr e) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_complaint_ < std::chrono::seconds(5)) return;
        last_complaint_ = now;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            spdlog::warn("shared state on Redis: {}", x.what());
        }
    }

    /// Sends the retries, and every lease's renewal when it is due; a failed renewal is tried
    /// again at the next tick, not a lease-third later.
    net::awaitable<void> renew_held() {
        net::steady_timer timer(io_);
        const auto tick = std::min<std::chrono::milliseconds>(settings_.lease / 3, std::chrono::milliseconds(500));
        auto next_renewal = std::chrono::steady_clock::now() + settings_.lease / 3;
        while (!stopping_) {
            timer.expires_after(tick);
            co_await timer.async_wait(net::as_tuple(net::use_awaitable));
            if (stopping_) break;
            const bool renew = std::chrono::steady_clock::now() >= next_renewal;
            std::vector<command> batch;
            std::deque<command> retried;
            retried.swap(retries_);
            batch.assign(retried.begin(), retried.end());
            std::vector<std::string> locks;
            if (renew) {
                for (const auto& [k, token] : held_locks_) {
                    batch.push_back(script(renew_lock_script, {k, token, std::to_string(lease_ms())}, 1));
                    locks.push_back(k);
                }
                for (const auto& [ticket, slots] : held_slots_)
                    batch.push_back(script(renew_slot_script, {slots, ticket, std::to_string(lease_ms())}, 1));
            }
            if (batch.empty()) continue;
            std::vector<reply> replies;
            bool sent = false;
            try {
                replies = co_await run(batch);
                sent = true;
            } catch (const std::exception&) {
                complain(std::current_exception());
            }
            if (!sent) { // all of it again at the next tick
                retries_.insert(retries_.begin(), retried.begin(), retried.end());
                while (retries_.size() > max_retries)
                    retries_.pop_front();
                continue;
            }
            if (renew) next_renewal = std::chrono::steady_clock::now() + settings_.lease / 3;
            for (std::size_t i = 0; i < locks.size(); ++i)
                if (replies[retried.size() + i].integer == 0 && held_locks_.erase(locks[i]))
                    spdlog::warn("a conversation lock ran out while held (Redis was unreachable longer than its lease)");
        }
    }

    /// Reads the others' credential news, so that what one instance saw of a credential holds on
    /// all; drops news older than a day (credentials rotated away, guests of past runs).
    net::awaitable<void> read_news() {
        net::steady_timer timer(io_);
        std::map<std::string, std::string> last;
        while (!stopping_) {
            try {
                const std::vector<command> batch{{"HGETALL", key("credentials")}};
                const auto replies = co_await run(batch);
                std::map<std::string, std::string> raw;
                const auto& e = replies.front().elements;
                for (std::size_t i = 0; i + 1 < e.size(); i += 2)
                    raw[e[i].text] = e[i + 1].text;
                if (raw != last) {
                    const auto day_ago = std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch() - std::chrono::hours(24))
                                             .count();
                    std::map<std::string, credential_news> parsed;
                    command stale = script(prune_script, {key("credentials"), std::to_string(day_ago)}, 1);
                    const std::size_t none_stale = stale.size();
                    for (const auto& [fingerprint, text] : raw) {
                        auto n = news_of(text);
                        if (n && (n->stamp_ms >= day_ago || n->cooling_until_ms >= day_ago))
                            parsed[fingerprint] = std::move(*n);
                        else
                            stale.push_back(fingerprint);
                    }
                    if (stale.size() > none_stale) {
                        const std::vector<command> drop{stale};
                        co_await run(drop);
                    }
                    {
                        std::lock_guard lock(news_mutex_);
                        news_ = std::move(parsed);
                    }
                    news_version_.fetch_add(1, std::memory_order_acq_rel);
                    last = std::move(raw);
                }
            } catch (const std::exception&) {
                complain(std::current_exception());
            }
            timer.expires_after(settings_.news_period);
            co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        }
    }

    /// At shutdown: the background calls and retries get a second to reach Redis.
    net::awaitable<void> drain() {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        net::steady_timer timer(io_);
        while ((background_ > 0 || !retries_.empty()) && std::chrono::steady_clock::now() < until) {
            if (!retries_.empty() && in_use_ == 0) {
                const std::vector<command> batch(retries_.begin(), retries_.end());
                retries_.clear();
                try {
                    co_await run(batch);
                } catch (const std::exception&) {
                    break; // Redis is not there: the leases end them
                }
            }
            timer.expires_after(std::chrono::milliseconds(10));
            co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        }
    }

    shared_state_settings settings_;
    std::string instance_;
    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    redis::client client_;
    // Only this thread touches these.
    std::unordered_map<std::string, std::string> held_locks_; // lock key → token
    std::unordered_map<std::string, std::string> held_slots_; // ticket → the key's slots
    std::deque<command> retries_;                             // releases Redis could not take yet, oldest first
    std::size_t in_use_ = 0;                                  // connections in use
    std::vector<net::steady_timer*> waiting_;                 // calls waiting for one
    bool stopping_ = false;
    std::chrono::steady_clock::time_point last_complaint_{};
    std::atomic<int> background_{0}; // background calls not yet ended (counted from any thread)
    mutable std::mutex news_mutex_;
    std::map<std::string, credential_news> news_;
    std::atomic<std::uint64_t> news_version_{0};
    std::thread thread_; // last: starts once the rest is built
};

} // namespace

std::unique_ptr<shared_state> open_redis_shared_state(const std::string& url, shared_state_settings settings) {
    return std::make_unique<redis_shared_state>(url, std::move(settings));
}

} // namespace switchyard::store
