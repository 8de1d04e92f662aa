#include "switchyard/providers/aipkit/shared_nonce.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <optional>

#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers::aipkit {

struct shared_nonce::waiter {
    explicit waiter(const net::any_io_executor& ex) : timer(ex) {}
    net::steady_timer timer;     // on the waiting coroutine's executor
    std::optional<ending> woken; // set by the leader, under the mutex
    std::string value;
};

/// The leader's side: whatever way its coroutine ends (a value, an exception, or its frame
/// destroyed unresumed), the waiters are woken exactly once.
class shared_nonce::lead {
public:
    explicit lead(shared_nonce& owner) : owner_(owner) {}
    ~lead() {
        if (!done_) owner_.finish(ending::abandoned, {});
    }
    lead(const lead&) = delete;
    lead& operator=(const lead&) = delete;
    void end(ending how, const std::string& value) {
        done_ = true;
        owner_.finish(how, value);
    }

private:
    shared_nonce& owner_;
    bool done_ = false;
};

shared_nonce::shared_nonce(std::string initial) : nonce_(std::move(initial)) {}

std::size_t shared_nonce::fetches() const {
    std::lock_guard lock(mutex_);
    return fetches_;
}

void shared_nonce::offer(const std::string& found) {
    std::lock_guard lock(mutex_);
    if (nonce_.empty() && !fetching_) nonce_ = found;
}

void shared_nonce::forget(const std::string& rejected) {
    std::lock_guard lock(mutex_);
    if (nonce_ == rejected) nonce_.clear();
}

void shared_nonce::finish(ending how, const std::string& value) {
    std::vector<std::shared_ptr<waiter>> woken;
    {
        std::lock_guard lock(mutex_);
        fetching_ = false;
        if (how == ending::value) nonce_ = value;
        woken.swap(waiters_);
        for (auto& w : woken) {
            w->woken = how;
            w->value = value;
        }
    }
    // A timer may only be touched on its own executor: the wake-up is posted there.
    for (auto& w : woken)
        net::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
}

net::awaitable<shared_nonce::result> shared_nonce::get(const fetcher& fetch, std::chrono::milliseconds wait_limit) {
    const auto deadline = std::chrono::steady_clock::now() + wait_limit;
    const auto executor = co_await net::this_coro::executor;
    const auto cancellation = co_await net::this_coro::cancellation_state;
    for (;;) {
        std::shared_ptr<waiter> me;
        {
            std::lock_guard lock(mutex_);
            if (!nonce_.empty()) co_return result{status::ok, nonce_, false};
            if (std::chrono::steady_clock::now() >= deadline) co_return result{status::timed_out, {}, false};
            if (fetching_) {
                me = std::make_shared<waiter>(executor);
                waiters_.push_back(me);
            } else {
                fetching_ = true;
                ++fetches_;
            }
        }

        if (!me) {
            lead leading(*this);
            std::string fresh;
            std::exception_ptr thrown;
            bool cancelled = false;
            try {
                fresh = co_await fetch();
            } catch (const upstream::failure& f) {
                thrown = std::current_exception();
                cancelled = f.kind == upstream::failure_kind::cancelled;
            } catch (...) {
                thrown = std::current_exception();
            }
            cancelled = cancelled || cancellation.cancelled() != net::cancellation_type::none;
            if (thrown) {
                // A transport failure fails the waiters too; a leader whose client left does not.
                leading.end(cancelled ? ending::abandoned : ending::failed, {});
                std::rethrow_exception(thrown);
            }
            leading.end(fresh.empty() ? ending::failed : ending::value, fresh);
            co_return fresh.empty() ? result{status::failed, {}, true} : result{status::ok, fresh, true};
        }

        me->timer.expires_at(deadline);
        const auto [ec] = co_await me->timer.async_wait(net::as_tuple(net::use_awaitable));
        std::optional<ending> woken;
        std::string value;
        {
            std::lock_guard lock(mutex_);
            if (me->woken) {
                woken = me->woken;
                value = me->value;
            } else {
                std::erase(waiters_, me);
            }
        }
        if (woken == ending::value) co_return result{status::ok, value, false};
        if (woken == ending::failed) co_return result{status::failed, {}, false};
        if (woken == ending::abandoned) continue; // lead, or wait for the next leader
        if (ec == net::error::operation_aborted) throw boost::system::system_error(net::error::operation_aborted);
        co_return result{status::timed_out, {}, false};
    }
}

} // namespace switchyard::providers::aipkit
