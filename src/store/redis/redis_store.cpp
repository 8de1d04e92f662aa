// The conversation store on Redis, for several gateway instances that must act as one. Every
// operation that reads and then writes runs as one Lua script, so no other instance's turn can
// land in between. Store calls run on the store's own thread (store_worker), which drives its own
// Redis connections through a private io_context: no I/O thread ever waits for Redis.
//
// Keys (`<p>` is the prefix):
//   <p>conv:<id>        hash: owner, created_at, updated_at, metadata, provider, upstream_state
//   <p>conv:<id>:order  list of item ids, oldest first
//   <p>conv:<id>:items  hash: item id → created_at "\n" body
//   <p>convs            sorted set: conversation id by updated_at (expiry)
//   <p>resp:<id>        hash: a stored response;   <p>resps  sorted set by created_at
//   <p>cont:<key>       hash: a continuation;      <p>conts  sorted set by created_at
//   <p>usage:<hour>\x1f<key>\x1f<model>  hash of counts; <p>usage  sorted set of those names by hour
#include "switchyard/store/redis/redis_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <tuple>

#include "switchyard/store/redis/client.hpp"

#include <spdlog/spdlog.h>

namespace switchyard::store {
namespace {

using redis::command;
using redis::reply;

std::int64_t number(const std::string& text) {
    std::int64_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
}

/// A hash reply (HGETALL) as a map.
std::map<std::string, std::string> fields(const reply& r) {
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
        out[r.elements[i].text] = r.elements[i + 1].text;
    return out;
}

/// Each item as the scripts' push_items takes it: its id, then "created_at\nbody".
void add_items(std::vector<std::string>& args, const std::vector<item>& items) {
    for (const auto& i : items) {
        args.push_back(i.id);
        args.push_back(std::to_string(i.created_at) + "\n" + i.body);
    }
}

item item_of(const std::string& id, const std::string& stored) {
    const auto nl = stored.find('\n');
    if (nl == std::string::npos) return {id, stored, 0};
    return {id, stored.substr(nl + 1), number(stored.substr(0, nl))};
}

// KEYS[1] conversation hash, ARGV[1] owner: whether the conversation is there and the owner's.
// KEYS[2] order, KEYS[3] items: push_items(first) appends the item id/stored pairs of ARGV from `first` on.
constexpr const char* owned = R"(local function owned() return redis.call('HGET', KEYS[1], 'owner') == ARGV[1] end
local function push_items(first)
  for i = first, #ARGV, 2 do
    redis.call('RPUSH', KEYS[2], ARGV[i])
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  end
end
)";

// KEYS: conv, order, items, convs. ARGV: owner, id, provider, upstream_state, updated_at, then item id/stored pairs.
const std::string append_turn_script = std::string(owned) + R"(
if not owned() then return 0 end
redis.call('HSET', KEYS[1], 'provider', ARGV[3], 'upstream_state', ARGV[4])
local updated = tonumber(redis.call('HGET', KEYS[1], 'updated_at') or '0')
local at = tonumber(ARGV[5])
if at > updated then redis.call('HSET', KEYS[1], 'updated_at', ARGV[5]); redis.call('ZADD', KEYS[4], at, ARGV[2]) end
push_items(6)
return 1)";

// KEYS: conv, order, items, convs. ARGV: owner, id, now, then item id/stored pairs. The upstream no
// longer holds what is stored; the conversation was used now.
const std::string append_items_script = std::string(owned) + R"(
if not owned() then return 0 end
redis.call('HSET', KEYS[1], 'upstream_state', '', 'updated_at', ARGV[3])
redis.call('ZADD', KEYS[4], tonumber(ARGV[3]), ARGV[2])
push_items(4)
return 1)";

// KEYS: conv, order, items, convs. ARGV: owner, item id, id, now.
const std::string remove_item_script = std::string(owned) + R"(
if not owned() then return 0 end
if redis.call('HDEL', KEYS[3], ARGV[2]) == 0 then return 0 end
redis.call('LREM', KEYS[2], 1, ARGV[2])
redis.call('HSET', KEYS[1], 'upstream_state', '', 'updated_at', ARGV[4])
redis.call('ZADD', KEYS[4], tonumber(ARGV[4]), ARGV[3])
return 1)";

// KEYS: conv. ARGV: owner, metadata.
const std::string update_metadata_script = std::string(owned) + R"(
if not owned() then return 0 end
redis.call('HSET', KEYS[1], 'metadata', ARGV[2])
return 1)";

// KEYS: conv, order, items, convs. ARGV: owner, id.
const std::string remove_script = std::string(owned) + R"(
if not owned() then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[2])
return 1)";

// KEYS: convs, resps. ARGV: prefix, cutoff. Returns the conversations dropped.
const std::string expire_script = R"(
local dropped = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])) do
  local conv = ARGV[1] .. 'conv:' .. id
  redis.call('DEL', conv, conv .. ':order', conv .. ':items')
  dropped = dropped + 1
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])) do
  redis.call('DEL', ARGV[1] .. 'resp:' .. id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
return dropped)";

// KEYS: resp. ARGV: owner, then (when removing) the sorted set and id.
const std::string remove_response_script = std::string(owned) + R"(
if not owned() then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[2], ARGV[3])
return 1)";

// KEYS: conts. ARGV: prefix, key, provider, upstream_state, created_at, cutoff, limit.
const std::string put_continuation_script = R"(
for _, k in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[6])) do redis.call('DEL', ARGV[1] .. 'cont:' .. k) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[6])
redis.call('HSET', ARGV[1] .. 'cont:' .. ARGV[2], 'provider', ARGV[3], 'upstream_state', ARGV[4], 'created_at', ARGV[5])
redis.call('ZADD', KEYS[1], tonumber(ARGV[5]), ARGV[2])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[7])
if over > 0 then
  for _, k in ipairs(redis.call('ZPOPMIN', KEYS[1], over)) do
    if _ % 2 == 1 then redis.call('DEL', ARGV[1] .. 'cont:' .. k) end
  end
end
return 1)";

// KEYS: cont, conts. ARGV: key. Removes and returns the entry.
const std::string take_continuation_script = R"(
local found = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return found)";

} // namespace

class redis_store final : public conversation_store {
public:
    redis_store(const std::string& url, std::string prefix)
        : prefix_(std::move(prefix)), client_(io_.get_executor(), redis::parse_url(url)) {
        // Credentials Redis refuses stop the start; a Redis that is down does not, since the
        // gateway reconnects by itself and answers 503 for what needs the store meanwhile.
        try {
            const auto pong = call({"PING"});
            if (pong.is_error()) throw std::runtime_error("Redis refused PING: " + pong.text);
            say_how_durable();
        } catch (const store_unavailable& e) {
            if (refused_) throw;
            spdlog::warn("Redis is unavailable at start-up ({}); conversations answer 503 until it is back", e.what());
        }
    }

    /// A turn is answered with [DONE] once Redis has acknowledged it; whether that means on disk
    /// is Redis's fsync policy, which the operator should know.
    void say_how_durable() {
        std::map<std::string, std::string> config;
        try {
            const std::vector<command> batch{{"CONFIG", "GET", "appendonly"}, {"CONFIG", "GET", "appendfsync"}};
            for (const auto& r : checked(batch))
                if (r.elements.size() == 2) config[r.elements[0].text] = r.elements[1].text;
        } catch (const std::exception&) {
        }
        if (config.size() < 2) return; // CONFIG is often renamed away on managed Redis
        if (config["appendonly"] == "yes" && config["appendfsync"] == "always")
            spdlog::info("Redis writes each turn to disk before acknowledging it (appendfsync always)");
        else
            spdlog::warn("Redis acknowledges writes before they reach its disk (appendonly {}, appendfsync {}): a turn "
                         "answered before Redis crashes may be lost; run it with appendonly yes and appendfsync always "
                         "for turns that are on disk before [DONE]",
                         config["appendonly"], config["appendfsync"]);
    }

    void create(const conversation& c) override {
        const std::vector<command> batch{{"MULTI"},
                                         {"HSET", conv(c.id), "owner", c.owner, "created_at", std::to_string(c.created_at),
                                          "updated_at", std::to_string(c.updated_at), "metadata", c.metadata, "provider",
                                          c.provider, "upstream_state", c.upstream_state},
                                         {"ZADD", key("convs"), std::to_string(c.updated_at), esc(c.id)},
                                         {"EXEC"}};
        checked(batch);
    }

    std::optional<conversation> get(const std::string& owner, const std::string& id) override {
        const auto f = fields(call({"HGETALL", conv(id)}));
        const auto o = f.find("owner");
        if (o == f.end() || o->second != owner) return std::nullopt;
        return conversation{id,
                            owner,
                            number(value(f, "created_at")),
                            number(value(f, "updated_at")),
                            value(f, "metadata"),
                            value(f, "provider"),
                            value(f, "upstream_state")};
    }

    bool update_metadata(const std::string& owner, const std::string& id, const std::string& metadata) override {
        return script(update_metadata_script, {conv(id)}, {owner, metadata}) == 1;
    }

    bool remove(const std::string& owner, const std::string& id) override {
        return script(remove_script, {conv(id), conv(id) + ":order", conv(id) + ":items", key("convs")}, {owner, esc(id)}) == 1;
    }

    bool append_turn(const std::string& owner, const std::string& id, const turn& t) override {
        std::vector<std::string> args{owner, esc(id), t.provider, t.upstream_state,
                                      std::to_string(t.items.empty() ? 0 : t.items.back().created_at)};
        add_items(args, t.items);
        return script(append_turn_script, {conv(id), conv(id) + ":order", conv(id) + ":items", key("convs")}, args) == 1;
    }

    item_page list_items(const std::string& owner, const std::string& id, std::size_t limit, bool ascending,
                         const std::optional<std::string>& after) override {
        item_page page;
        const std::vector<command> batch{{"HGET", conv(id), "owner"}, {"LRANGE", conv(id) + ":order", "0", "-1"}};
        const auto replies = checked(batch);
        if (replies[0].text != owner || replies[0].type != reply::kind::string) return page;
        std::vector<std::string> ids;
        for (const auto& e : replies[1].elements)
            ids.push_back(e.text);
        if (!ascending) std::reverse(ids.begin(), ids.end());
        auto from = ids.begin();
        if (after) {
            from = std::find(ids.begin(), ids.end(), *after);
            if (from == ids.end()) return page;
            ++from;
        }
        command fetch{"HMGET", conv(id) + ":items"};
        for (auto it = from; it != ids.end(); ++it) {
            if (fetch.size() - 2 == limit) {
                page.has_more = true;
                break;
            }
            fetch.push_back(*it);
        }
        if (fetch.size() == 2) return page;
        const auto bodies = call(fetch);
        for (std::size_t i = 0; i < bodies.elements.size(); ++i)
            if (bodies.elements[i].type == reply::kind::string)
                page.items.push_back(item_of(fetch[i + 2], bodies.elements[i].text));
        return page;
    }

    std::optional<item> get_item(const std::string& owner, const std::string& id, const std::string& item_id) override {
        const std::vector<command> batch{{"HGET", conv(id), "owner"}, {"HGET", conv(id) + ":items", item_id}};
        const auto replies = checked(batch);
        if (replies[0].text != owner || replies[1].type != reply::kind::string) return std::nullopt;
        return item_of(item_id, replies[1].text);
    }

    bool append_items(const std::string& owner, const std::string& id, const std::vector<item>& items) override {
        std::vector<std::string> args{owner, esc(id), std::to_string(std::time(nullptr))};
        add_items(args, items);
        return script(append_items_script, {conv(id), conv(id) + ":order", conv(id) + ":items", key("convs")}, args) == 1;
    }

    bool remove_item(const std::string& owner, const std::string& id, const std::string& item_id) override {
        return script(remove_item_script, {conv(id), conv(id) + ":order", conv(id) + ":items", key("convs")},
                      {owner, item_id, esc(id), std::to_string(std::time(nullptr))}) == 1;
    }

    std::size_t expire(std::int64_t cutoff) override {
        return static_cast<std::size_t>(script(expire_script, {key("convs"), key("resps")}, {prefix_, std::to_string(cutoff)}));
    }

    void put_response(const stored_response& r) override {
        const std::vector<command> batch{{"MULTI"},
                                         {"HSET", key("resp:" + esc(r.id)), "owner", r.owner, "created_at",
                                          std::to_string(r.created_at), "previous_response_id", r.previous_response_id,
                                          "continuation_key", r.continuation_key, "body", r.body, "input_items", r.input_items},
                                         {"ZADD", key("resps"), std::to_string(r.created_at), esc(r.id)},
                                         {"EXEC"}};
        checked(batch);
    }

    std::optional<stored_response> get_response(const std::string& owner, const std::string& id) override {
        const auto f = fields(call({"HGETALL", key("resp:" + esc(id))}));
        const auto o = f.find("owner");
        if (o == f.end() || o->second != owner) return std::nullopt;
        return stored_response{id,
                               owner,
                               number(value(f, "created_at")),
                               value(f, "previous_response_id"),
                               value(f, "continuation_key"),
                               value(f, "body"),
                               value(f, "input_items")};
    }

    bool remove_response(const std::string& owner, const std::string& id) override {
        return script(remove_response_script, {key("resp:" + esc(id))}, {owner, key("resps"), esc(id)}) == 1;
    }

    void put_continuation(const std::string& k, const continuation& c, std::int64_t cutoff, std::size_t limit) override {
        script(put_continuation_script, {key("conts")},
               {prefix_, esc(k), c.provider, c.upstream_state, std::to_string(c.created_at), std::to_string(cutoff),
                std::to_string(limit)});
    }

    std::optional<continuation> take_continuation(const std::string& k, std::int64_t cutoff) override {
        const auto found = fields(script_reply(take_continuation_script, {key("cont:" + esc(k)), key("conts")}, {esc(k)}));
        if (found.empty()) return std::nullopt;
        continuation c{value(found, "provider"), value(found, "upstream_state"), number(value(found, "created_at"))};
        if (c.created_at < cutoff) return std::nullopt;
        return c;
    }

    void add_usage(const std::vector<usage_row>& rows) override {
        std::vector<command> batch{{"MULTI"}};
        for (const auto& r : rows) {
            const std::string name = std::to_string(r.hour) + '\x1f' + r.key + '\x1f' + r.model;
            const std::string row = key("usage:" + name);
            for (const auto& [field, count] :
                 {std::pair{"requests", r.requests}, std::pair{"errors", r.errors}, std::pair{"prompt_tokens", r.prompt_tokens},
                  std::pair{"completion_tokens", r.completion_tokens}, std::pair{"estimated_tokens", r.estimated_tokens},
                  std::pair{"streamed_bytes", r.streamed_bytes}})
                batch.push_back({"HINCRBY", row, field, std::to_string(count)});
            batch.push_back({"ZADD", key("usage"), std::to_string(r.hour), name});
        }
        batch.push_back({"EXEC"});
        const auto replies = checked(batch);
        if (replies.back().type != reply::kind::array) throw std::runtime_error("Redis did not apply the usage rows");
    }

    std::vector<usage_row> usage(std::int64_t from, std::int64_t to) override {
        const auto names = call({"ZRANGEBYSCORE", key("usage"), std::to_string(from), "(" + std::to_string(to)});
        std::vector<command> batch;
        for (const auto& n : names.elements)
            batch.push_back({"HGETALL", key("usage:" + n.text)});
        std::vector<usage_row> out;
        if (batch.empty()) return out;
        const auto rows = checked(batch);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::string& name = names.elements[i].text;
            const auto a = name.find('\x1f'), b = name.find('\x1f', a + 1);
            const auto f = fields(rows[i]);
            out.push_back({number(name.substr(0, a)), name.substr(a + 1, b - a - 1), name.substr(b + 1),
                           number(value(f, "requests")), number(value(f, "errors")), number(value(f, "prompt_tokens")),
                           number(value(f, "completion_tokens")), number(value(f, "estimated_tokens")),
                           number(value(f, "streamed_bytes"))});
        }
        std::sort(out.begin(), out.end(), [](const usage_row& x, const usage_row& y) {
            return std::tie(x.hour, x.key, x.model) < std::tie(y.hour, y.key, y.model);
        });
        return out;
    }

private:
    std::string key(const std::string& name) const { return prefix_ + name; }
    std::string conv(const std::string& id) const { return prefix_ + "conv:" + esc(id); }

    static std::string esc(const std::string& id) { return redis::key_part(id); }
    static bool temporary(const std::string& error) { return redis::is_temporary(error); }

    static std::string value(const std::map<std::string, std::string>& f, const char* name) {
        const auto it = f.find(name);
        return it == f.end() ? std::string() : it->second;
    }

    /// Runs a batch on this (the store's) thread. Failures and error replies throw.
    std::vector<reply> checked(const std::vector<command>& batch) {
        std::lock_guard lock(mutex_);
        auto result = boost::asio::co_spawn(io_, client_.run(batch), boost::asio::use_future);
        io_.restart();
        io_.run();
        std::vector<reply> replies;
        try {
            replies = result.get();
        } catch (const redis::failure& f) {
            refused_ = f.why == redis::failure::kind::auth;
            throw store_unavailable(f.what());
        }
        for (const auto& r : replies) {
            if (!r.is_error()) continue;
            if (temporary(r.text)) throw store_unavailable("Redis: " + r.text.substr(0, 200));
            throw std::runtime_error("Redis: " + r.text.substr(0, 200));
        }
        return replies;
    }

    reply call(const command& c) {
        const std::vector<command> one{c};
        return std::move(checked(one).front());
    }

    reply script_reply(const std::string& body, const std::vector<std::string>& keys, const std::vector<std::string>& args) {
        command c{"EVAL", body, std::to_string(keys.size())};
        c.insert(c.end(), keys.begin(), keys.end());
        c.insert(c.end(), args.begin(), args.end());
        return call(c);
    }

    long long script(const std::string& body, const std::vector<std::string>& keys, const std::vector<std::string>& args) {
        return script_reply(body, keys, args).integer;
    }

    std::string prefix_;
    bool refused_ = false; // the last failure was Redis refusing our credentials
    std::mutex mutex_;     // the interface promises thread safety; the store thread is the only caller in practice
    boost::asio::io_context io_{1};
    redis::client client_;
};

std::unique_ptr<conversation_store> open_redis_store(const std::string& url, const std::string& prefix) {
    return std::make_unique<redis_store>(url, prefix);
}

} // namespace switchyard::store
