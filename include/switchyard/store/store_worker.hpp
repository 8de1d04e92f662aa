#pragma once
// An awaitable front for a conversation_store: store calls (SQLite commits with an fsync each)
// run in order on one thread of the worker's own, so no I/O thread ever blocks on the disk or
// on the store's lock.
//
// Use, from any coroutine on any I/O thread:
//
//     store::store_worker worker(*store);       // one per process, destroyed before the store
//     ...
//     const bool saved = co_await worker.run([&](store::conversation_store& s) {
//         return s.append_turn(owner, id, new_turn);
//     });
//
// The call runs on the store thread; the coroutine resumes on its own executor with the
// result, or with the call's exception rethrown. The lambda may capture the coroutine's
// locals by reference: the coroutine stays suspended until the call has run. Write the lambda
// inside the co_await expression or pass a named one (GCC 12 and temporaries, ARCHITECTURE.md).
// A queued call cannot be cancelled; a cancelled caller still resumes once it has run, so a
// turn that was handed over is written. Results are values: `run` refuses calls returning
// references into the store.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

#include "switchyard/store/conversation_store.hpp"

namespace switchyard::store {

namespace store_detail {

namespace net = boost::asio;

/// Resumes one awaiting coroutine: its completion handler, posted to its own executor. While
/// the call is pending, a work guard keeps that executor's io_context from running out of work.
class completion {
public:
    virtual ~completion() = default;
    virtual void post(std::exception_ptr error) = 0; // once, from any thread
};

template <class Handler> class completion_for final : public completion {
public:
    explicit completion_for(Handler&& h)
        : handler_(std::move(h)), work_(net::make_work_guard(net::get_associated_executor(handler_))) {}
    void post(std::exception_ptr error) override {
        net::post(work_.get_executor(), [h = std::move(handler_), error]() mutable { std::move(h)(error); });
        work_.reset();
    }

private:
    Handler handler_;
    net::executor_work_guard<net::associated_executor_t<Handler>> work_;
};

/// One queued call, type-erased for the store thread.
class task : public std::enable_shared_from_this<task> {
public:
    virtual ~task() = default;
    /// Runs the call, keeping its result or its exception.
    virtual void execute(conversation_store& store) noexcept = 0;
    std::unique_ptr<completion> done;
    std::exception_ptr error;
    std::chrono::steady_clock::time_point queued;
};

template <class F, class R> class call final : public task {
public:
    template <class G> explicit call(G&& g) : fn_(std::forward<G>(g)) {}
    void execute(conversation_store& store) noexcept override {
        try {
            if constexpr (std::is_void_v<R>)
                fn_(store);
            else
                value.emplace(fn_(store));
        } catch (...) {
            error = std::current_exception();
        }
    }
    std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, R>> value;

private:
    F fn_;
};

} // namespace store_detail

/// Owns one thread that runs store calls in the order they were submitted. Thread-safe: any
/// number of coroutines on any number of io_contexts may await `run` at once. The store is
/// borrowed and must outlive the worker; every io_context whose coroutines await `run` must
/// outlive their pending calls (its work guard keeps its run() going meanwhile).
class store_worker {
public:
    /// Told how long each call took, queued and run, in seconds (on the store thread).
    using call_observer = std::function<void(double seconds)>;

    explicit store_worker(conversation_store& store, call_observer observe = {});
    /// stop(): the queued calls run first.
    ~store_worker();
    store_worker(const store_worker&) = delete;
    store_worker& operator=(const store_worker&) = delete;

    /// Refuses new calls, runs the queued ones, then joins the thread. Idempotent. Not to be
    /// called from inside a store call.
    void stop();

    /// Runs `f(store)` on the store thread and resumes the caller on its own executor with the
    /// result. Rethrows what `f` throws; throws std::runtime_error once the worker has stopped.
    template <class F> boost::asio::awaitable<std::invoke_result_t<std::decay_t<F>&, conversation_store&>> run(F&& f) {
        namespace net = boost::asio;
        using R = std::invoke_result_t<std::decay_t<F>&, conversation_store&>;
        static_assert(!std::is_reference_v<R>, "store calls return values, not references into the store");
        auto job = std::make_shared<store_detail::call<std::decay_t<F>, R>>(std::forward<F>(f));
        // The initiation holds plain pointers: the frame keeps the job alive until it resumes.
        co_await net::async_initiate<const net::use_awaitable_t<>&, void(std::exception_ptr)>(submission{this, job.get()},
                                                                                              net::use_awaitable);
        if constexpr (!std::is_void_v<R>) co_return std::move(*job->value);
    }

    /// How many calls are queued or running (for metrics and tests).
    std::size_t pending() const;

private:
    struct submission {
        store_worker* self;
        store_detail::task* job;
        template <class Handler> void operator()(Handler&& handler) const {
            job->done = std::make_unique<store_detail::completion_for<std::decay_t<Handler>>>(std::forward<Handler>(handler));
            self->submit(job->shared_from_this());
        }
    };

    void submit(std::shared_ptr<store_detail::task> job);
    void loop();

    conversation_store& store_;
    call_observer observe_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<store_detail::task>> queue_;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace switchyard::store
