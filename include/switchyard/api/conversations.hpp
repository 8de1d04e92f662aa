#pragma once
// /v1/conversations, mirroring OpenAI's Conversations API shapes so the SDK's
// `client.conversations` works, plus the per-conversation turn lock.
// https://platform.openai.com/docs/api-reference/conversations
#include <boost/asio/awaitable.hpp>

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "switchyard/http/message.hpp"
#include "switchyard/store/conversation_store.hpp"
#include "switchyard/store/shared_state.hpp"

namespace switchyard::api {

/// One turn at a time per conversation: within this process, and across every instance when they
/// share state (a lock on Redis, renewed while held). Thread-safe.
class conversation_locks {
public:
    explicit conversation_locks(store::shared_state* shared = nullptr) : shared_(shared) {}

    class guard {
    public:
        guard(conversation_locks& owner, std::string id) : owner_(&owner), id_(std::move(id)) {}
        guard(guard&& other) noexcept
            : owner_(std::exchange(other.owner_, nullptr)), id_(std::move(other.id_)), token_(std::move(other.token_)),
              may_block_(other.may_block_) {}
        guard& operator=(guard&&) = delete;
        ~guard() {
            if (owner_) owner_->release(id_, token_, may_block_);
        }

    private:
        friend class conversation_locks;
        conversation_locks* owner_;
        std::string id_;
        std::string token_;      // of the shared lock, when held
        bool may_block_ = false; // taken on the store thread: given back before the reply goes
    };

    /// A guard holding the conversation, or nullopt when another turn holds it. Throws
    /// store::store_unavailable when the shared lock cannot be asked for.
    boost::asio::awaitable<std::optional<guard>> lock(const std::string& id);
    /// The same for a thread that may block (the store thread), never an I/O thread.
    std::optional<guard> try_lock(const std::string& id);
    /// Gives `held` back now, returning once every instance would find the conversation free
    /// (a guard that is simply destroyed gives the shared lock back in the background).
    boost::asio::awaitable<void> release_now(guard& held);

private:
    bool take_local(const std::string& id);
    void release(const std::string& id, const std::string& token, bool may_block);
    store::shared_state* shared_;
    std::mutex mutex_;
    std::set<std::string, std::less<>> busy_;
};

/// Answers a /v1/conversations route (`path` is the API path, e.g. "/conversations/conv_1/items").
/// Items are added or deleted only between turns (`locks`): a turn in progress would store its
/// upstream state over the change.
http::http_response handle_conversations(const http::http_request& req, std::string_view path, const std::string& owner,
                                         store::conversation_store& store, conversation_locks& locks);

/// The JSON object for a conversation.
std::string conversation_json(const store::conversation& c);

/// How a list is paged, as the Conversations and Responses APIs take it in the query: `after`
/// (an item id), `limit` (1 to 100, 20) and `order` (`desc` unless asked).
struct page_request {
    std::size_t limit = 20;
    bool ascending = false;
    std::optional<std::string> after;
};
/// The paging `req` asks for, or the 400 that says what is wrong with it.
std::variant<page_request, http::http_response> page_request_of(const http::http_request& req);

/// A 405 that names the methods allowed.
http::http_response method_not_allowed(const http::http_request& req, const char* allow);

} // namespace switchyard::api
