#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "switchyard/store/conversation_store.hpp"

namespace switchyard::store {
namespace {

class memory_store final : public conversation_store {
public:
    void create(const conversation& c) override {
        std::lock_guard lock(mutex_);
        records_[c.id] = {c, {}};
    }

    std::optional<conversation> get(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        const auto* r = find(owner, id);
        return r ? std::optional(r->meta) : std::nullopt;
    }

    bool update_metadata(const std::string& owner, const std::string& id, const std::string& metadata) override {
        std::lock_guard lock(mutex_);
        auto* r = find(owner, id);
        if (r) r->meta.metadata = metadata;
        return r != nullptr;
    }

    bool remove(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        if (!find(owner, id)) return false;
        records_.erase(id);
        return true;
    }

    bool append_turn(const std::string& owner, const std::string& id, const turn& t) override {
        std::lock_guard lock(mutex_);
        auto* r = find(owner, id);
        if (!r) return false;
        r->meta.provider = t.provider;
        r->meta.upstream_state = t.upstream_state;
        if (!t.items.empty()) r->meta.updated_at = std::max(r->meta.updated_at, t.items.back().created_at);
        r->items.insert(r->items.end(), t.items.begin(), t.items.end());
        return true;
    }

    item_page list_items(const std::string& owner, const std::string& id, std::size_t limit, bool ascending,
                         const std::optional<std::string>& after) override {
        std::lock_guard lock(mutex_);
        item_page page;
        const auto* r = find(owner, id);
        if (!r) return page;
        std::vector<item> ordered = r->items;
        if (!ascending) std::reverse(ordered.begin(), ordered.end());
        auto from = ordered.begin();
        if (after) {
            from = std::find_if(ordered.begin(), ordered.end(), [&](const item& i) { return i.id == *after; });
            if (from == ordered.end()) return page;
            ++from;
        }
        for (auto it = from; it != ordered.end(); ++it) {
            if (page.items.size() == limit) {
                page.has_more = true;
                break;
            }
            page.items.push_back(*it);
        }
        return page;
    }

    std::optional<item> get_item(const std::string& owner, const std::string& id, const std::string& item_id) override {
        std::lock_guard lock(mutex_);
        const auto* r = find(owner, id);
        if (!r) return std::nullopt;
        const auto it = std::find_if(r->items.begin(), r->items.end(), [&](const item& i) { return i.id == item_id; });
        return it == r->items.end() ? std::nullopt : std::optional(*it);
    }

    bool append_items(const std::string& owner, const std::string& id, const std::vector<item>& items) override {
        std::lock_guard lock(mutex_);
        auto* r = find(owner, id);
        if (!r) return false;
        r->meta.upstream_state.clear();
        r->items.insert(r->items.end(), items.begin(), items.end());
        return true;
    }

    bool remove_item(const std::string& owner, const std::string& id, const std::string& item_id) override {
        std::lock_guard lock(mutex_);
        auto* r = find(owner, id);
        if (!r) return false;
        const auto it = std::find_if(r->items.begin(), r->items.end(), [&](const item& i) { return i.id == item_id; });
        if (it == r->items.end()) return false;
        r->items.erase(it);
        r->meta.upstream_state.clear();
        return true;
    }

    std::size_t expire(std::int64_t cutoff) override {
        std::lock_guard lock(mutex_);
        std::erase_if(responses_, [&](const auto& kv) { return kv.second.created_at < cutoff; });
        return std::erase_if(records_, [&](const auto& kv) { return kv.second.meta.updated_at < cutoff; });
    }

    void put_response(const stored_response& r) override {
        std::lock_guard lock(mutex_);
        responses_[r.id] = r;
    }

    std::optional<stored_response> get_response(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        const auto it = responses_.find(id);
        if (it == responses_.end() || it->second.owner != owner) return std::nullopt;
        return it->second;
    }

    bool remove_response(const std::string& owner, const std::string& id) override {
        std::lock_guard lock(mutex_);
        const auto it = responses_.find(id);
        if (it == responses_.end() || it->second.owner != owner) return false;
        responses_.erase(it);
        return true;
    }

    void put_continuation(const std::string& key, const continuation& c, std::int64_t cutoff, std::size_t limit) override {
        std::lock_guard lock(mutex_);
        std::erase_if(continuations_, [&](const auto& kv) { return kv.second.created_at < cutoff; });
        continuations_[key] = c;
        while (continuations_.size() > limit) {
            const auto oldest = std::min_element(continuations_.begin(), continuations_.end(), [](const auto& a, const auto& b) {
                return a.second.created_at < b.second.created_at;
            });
            continuations_.erase(oldest);
        }
    }

    std::optional<continuation> take_continuation(const std::string& key, std::int64_t cutoff) override {
        std::lock_guard lock(mutex_);
        const auto it = continuations_.find(key);
        if (it == continuations_.end()) return std::nullopt;
        std::optional<continuation> found;
        if (it->second.created_at >= cutoff) found = std::move(it->second);
        continuations_.erase(it);
        return found;
    }

    void add_usage(const std::vector<usage_row>& rows) override {
        std::lock_guard lock(mutex_);
        for (const auto& r : rows)
            add_counts(usage_[{r.hour, r.key, r.model}], r);
    }

    std::vector<usage_row> usage(std::int64_t from, std::int64_t to) override {
        std::lock_guard lock(mutex_);
        std::vector<usage_row> out;
        for (auto it = usage_.lower_bound({from, "", ""}); it != usage_.end() && it->second.hour < to; ++it)
            out.push_back(it->second);
        return out;
    }

private:
    struct record {
        conversation meta;
        std::vector<item> items;
    };

    record* find(const std::string& owner, const std::string& id) {
        auto it = records_.find(id);
        return it != records_.end() && it->second.meta.owner == owner ? &it->second : nullptr;
    }

    std::mutex mutex_;
    std::map<std::string, record> records_;
    std::map<std::string, continuation> continuations_;
    std::map<std::string, stored_response> responses_;
    std::map<std::tuple<std::int64_t, std::string, std::string>, usage_row> usage_;
};

} // namespace

std::unique_ptr<conversation_store> make_memory_store() { return std::make_unique<memory_store>(); }

} // namespace switchyard::store
