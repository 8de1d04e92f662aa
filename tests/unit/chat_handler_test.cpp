// api::handle_chat_completions against a scripted fake provider and a recording fake
// response_stream, all on one io_context: the commit point, the commit hold and keep-alives,
// in-band errors, a client that goes away at every write, shutdown, and the order of
// persistence for a conversation turn.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "switchyard/api/chat_format.hpp"
#include "switchyard/api/conversations.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/providers/registry.hpp"
#include "switchyard/store/conversation_store.hpp"
#include "switchyard/store/store_worker.hpp"
#include "switchyard/upstream/http_client.hpp"

using namespace switchyard;
namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

long ms_between(clock_type::time_point a, clock_type::time_point b) {
    return static_cast<long>(std::chrono::duration_cast<milliseconds>(b - a).count());
}

/// What the fake provider does: text deltas after delays, then an error, a throw, or a wait
/// that only cancellation ends.
struct script {
    struct step {
        milliseconds delay;
        std::string text;
    };
    std::vector<step> steps;
    std::optional<providers::provider_error> error;
    bool throws = false;
    bool wait_forever = false;
};

script says(std::vector<script::step> steps, std::optional<providers::provider_error> error = std::nullopt) {
    script s;
    s.steps = std::move(steps);
    s.error = std::move(error);
    return s;
}

class fake_provider final : public providers::provider {
public:
    explicit fake_provider(script s) : script_(std::move(s)) {}

    std::string_view name() const noexcept override { return "fake"; }
    providers::capabilities caps() const noexcept override { return {}; }
    std::optional<providers::provider_error> check_ready() const override { return std::nullopt; }

    net::awaitable<std::optional<providers::provider_error>> complete(const api::chat_request&, const providers::model_route&,
                                                                      providers::event_sink& sink,
                                                                      providers::call_context ctx) override {
        started = true;
        had_conversation = ctx.conversation != nullptr;
        struct on_exit {
            fake_provider& p;
            ~on_exit() {
                p.returned = true;
                p.returned_at = clock_type::now();
            }
        } guard{*this};
        net::steady_timer timer(co_await net::this_coro::executor);
        try {
            for (const auto& s : script_.steps) {
                timer.expires_after(s.delay);
                co_await timer.async_wait(net::use_awaitable);
                providers::provider_event ev = providers::text_delta{s.text};
                emitted_at.push_back(clock_type::now());
                const bool more = co_await sink.emit(std::move(ev));
                if (!more) {
                    told_to_stop = true;
                    co_return std::nullopt;
                }
            }
            if (script_.wait_forever) {
                timer.expires_at(clock_type::time_point::max());
                co_await timer.async_wait(net::use_awaitable);
            }
        } catch (const boost::system::system_error& e) {
            if (e.code() == net::error::operation_aborted) saw_cancellation = true;
            throw;
        }
        if (script_.throws) throw std::runtime_error("scripted provider failure");
        co_return script_.error;
    }

    bool started = false;
    bool had_conversation = false;
    bool told_to_stop = false;
    bool saw_cancellation = false;
    bool returned = false;
    clock_type::time_point returned_at;
    std::vector<clock_type::time_point> emitted_at;

private:
    script script_;
};

/// Records what the handler sends. Fails or blocks the Nth output call (send, begin_stream,
/// write, end_stream, counted from 1). `stop` behaves like the server's session_state: the
/// first reason wins, and the terminal cancellation waits for a write under way to end.
class fake_stream final : public http::response_stream {
public:
    http::exchange_facts exchange;
    http::exchange_facts& facts() noexcept override { return exchange; }

public:
    struct call {
        std::string op; // send, begin, write, end
        std::string bytes;
        clock_type::time_point at;
    };

    net::awaitable<void> send(const http::http_response& r) override {
        co_await io("send", r.body);
        sent = r;
    }
    net::awaitable<void> begin_stream(const http::header_list& extra) override {
        co_await io("begin", "");
        stream_headers = extra;
    }
    net::awaitable<void> write(std::string_view bytes) override { co_await io("write", bytes); }
    net::awaitable<void> end_stream() override { co_await io("end", ""); }

    void stop(http::stop_reason why) override {
        if (reason_ != http::stop_reason::none) return;
        reason_ = why;
        if (writing_ > 0)
            cancel_pending_ = true;
        else
            signal.emit(net::cancellation_type::terminal);
    }
    http::stop_reason stopped() const noexcept override { return reason_; }

    std::vector<std::string> ops() const {
        std::vector<std::string> out;
        for (const auto& c : calls)
            out.push_back(c.op);
        return out;
    }

    net::cancellation_signal signal;
    std::vector<call> calls; // the calls that succeeded
    std::optional<http::http_response> sent;
    http::header_list stream_headers;
    int fail_at = 0;
    int block_at = 0;
    milliseconds block_for{0};
    std::function<void(std::string_view)> on_write; // runs as a write() starts
    std::string failed_bytes;                       // what the failed call tried to write
    clock_type::time_point failed_at;
    int attempts_after_failure = 0;

private:
    struct write_scope {
        fake_stream& s;
        explicit write_scope(fake_stream& st) : s(st) { ++s.writing_; }
        ~write_scope() {
            if (--s.writing_ == 0 && s.cancel_pending_) {
                s.cancel_pending_ = false;
                s.signal.emit(net::cancellation_type::terminal);
            }
        }
    };

    net::awaitable<void> io(std::string_view op, std::string_view bytes) {
        // A real write is an async operation: a cancellation already signalled makes it throw.
        co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
        const write_scope scope(*this);
        const int n = ++count_;
        if (failed_) ++attempts_after_failure;
        if (op == "write" && on_write) on_write(bytes);
        if (n == block_at) {
            net::steady_timer pause(co_await net::this_coro::executor, block_for);
            (void)co_await pause.async_wait(net::as_tuple(net::use_awaitable));
        }
        if (n == fail_at) {
            failed_ = true;
            failed_bytes = std::string(bytes);
            failed_at = clock_type::now();
            throw boost::system::system_error(net::error::broken_pipe);
        }
        calls.push_back({std::string(op), std::string(bytes), clock_type::now()});
    }

    int count_ = 0;
    int writing_ = 0;
    bool failed_ = false;
    bool cancel_pending_ = false;
    http::stop_reason reason_ = http::stop_reason::none;
};

const std::string owner_id = "owner-1";
const std::string conversation_id = "conv_test1";

std::string body_for(bool stream, bool with_conversation = false) {
    json b = {{"model", "fake-1"}, {"messages", json::array({{{"role", "user"}, {"content", "hello"}}})}, {"stream", stream}};
    if (with_conversation) b["conversation_id"] = conversation_id;
    return b.dump();
}

/// An io_context that can drop its pending handlers (and the coroutine frames they own) while
/// the objects those frames use still exist: a handler that hung is then a failure, not a crash.
struct test_context : net::io_context {
    using net::io_context::shutdown;
};

/// One handler call with its fakes, on one io_context.
struct harness {
    explicit harness(script s) {
        auto p = std::make_unique<fake_provider>(std::move(s));
        provider = p.get();
        models.add_provider(std::move(p));
        models.add_model({"fake-1", "fake", "up-1", config::reasoning_mode::split, {}});
    }
    ~harness() {
        worker.stop();
        ioc.shutdown();
    }

    void create_conversation() {
        store::conversation c;
        c.id = conversation_id;
        c.owner = owner_id;
        c.created_at = c.updated_at = static_cast<std::int64_t>(std::time(nullptr));
        store->create(c);
    }
    std::vector<store::item> stored_items() {
        return store->list_items(owner_id, conversation_id, 100, true, std::nullopt).items;
    }
    bool lock_is_free() { return locks.try_lock(conversation_id).has_value(); }

    /// Starts the handler now; `at(delay, f)` schedules test actions on the same context.
    void start(const std::string& body) {
        req.method = "POST";
        req.target = "/v1/chat/completions";
        req.body = body;
        req.request_id = "req_test";
        started_at = clock_type::now();
        net::co_spawn(ioc, api::handle_chat_completions(req, out, ctx),
                      net::bind_cancellation_slot(out.signal.slot(), [this](std::exception_ptr e) {
                          done = true;
                          failure = e;
                          done_at = clock_type::now();
                      }));
    }
    void at(milliseconds delay, std::function<void()> f) {
        auto t = std::make_shared<net::steady_timer>(ioc, delay);
        t->async_wait([t, f = std::move(f)](boost::system::error_code ec) {
            if (!ec) f();
        });
    }
    /// Calls `f` as soon as `ready()` holds (checked every millisecond): for steps that must
    /// follow what the handler has done, not a guess of how long that takes on a loaded machine.
    void once(std::function<bool()> ready, std::function<void()> f) {
        auto t = std::make_shared<net::steady_timer>(ioc, 1ms);
        t->async_wait([this, t, ready = std::move(ready), f = std::move(f)](boost::system::error_code ec) mutable {
            if (ec) return;
            if (ready()) return f();
            once(std::move(ready), std::move(f));
        });
    }
    /// Runs until the handler ends, at most `limit`; true when it ended.
    bool run(milliseconds limit = 2000ms) {
        const auto deadline = clock_type::now() + limit;
        while (!done && clock_type::now() < deadline)
            ioc.run_one_for(10ms);
        ioc.poll();
        return done;
    }

    test_context ioc;
    config::stream_settings stream{50ms, 30ms};
    config::continuation_settings continuation;
    std::unique_ptr<store::conversation_store> store = store::make_memory_store();
    store::store_worker worker{*store};
    api::conversation_locks locks;
    upstream::http_client http{ioc.get_executor(), config::upstream_settings{}};
    providers::registry models;
    fake_provider* provider = nullptr;
    std::function<std::string()> owner = [] { return owner_id; };
    api::handler_context ctx{models, stream, continuation, http, worker, locks, owner};
    fake_stream out;
    http::http_request req;

    bool done = false;
    std::exception_ptr failure;
    clock_type::time_point started_at, done_at;
};

json event_json(const std::string& frame) {
    EXPECT_EQ(frame.rfind("data: ", 0), 0u) << frame;
    EXPECT_GE(frame.size(), 2u);
    EXPECT_EQ(frame.substr(frame.size() - 2), "\n\n") << frame;
    return json::parse(frame.substr(6));
}

std::string delta_content(const std::string& frame) {
    const auto j = event_json(frame);
    return j["choices"][0]["delta"].value("content", std::string("<none>"));
}

std::string error_code_of(const std::string& json_text) { return json::parse(json_text)["error"]["code"].get<std::string>(); }

std::string header(const http::header_list& h, std::string_view name) {
    for (const auto& [k, v] : h)
        if (k == name) return v;
    return "<absent>";
}

const std::string done_frame(api::sse_writer::done_event);
const std::string keepalive(api::sse_writer::keepalive_comment);

/// The writes between begin_stream and end_stream of a stream that ended normally with `text`:
/// the end (finish chunk, then `[DONE]`) is one write.
void expect_normal_stream(const fake_stream& out, const std::vector<std::string>& texts) {
    const auto& c = out.calls;
    ASSERT_GE(c.size(), 4u + texts.size());
    EXPECT_EQ(c.front().op, "begin");
    EXPECT_EQ(c.back().op, "end");
    const auto role = event_json(c[1].bytes);
    EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
    std::vector<std::string> seen;
    for (std::size_t i = 2; i + 2 < c.size(); ++i)
        if (c[i].bytes != keepalive) seen.push_back(delta_content(c[i].bytes));
    EXPECT_EQ(seen, texts);
    const std::string& closing = c[c.size() - 2].bytes;
    ASSERT_TRUE(closing.ends_with(done_frame)) << closing;
    const auto finish = event_json(closing.substr(0, closing.size() - done_frame.size()));
    EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
}

/// One write: an error event with `code`, then `[DONE]`.
void expect_in_band_error(const std::string& bytes, const std::string& code) {
    ASSERT_TRUE(bytes.starts_with("data: ") && bytes.ends_with(done_frame)) << bytes;
    EXPECT_EQ(error_code_of(bytes.substr(6, bytes.size() - 6 - done_frame.size())), code);
}

// 1. The commit point.

TEST(ChatHandler, HeadGoesOutWithTheFirstTextNotBefore) {
    harness h(says({{20ms, "Hi"}}));
    h.start(body_for(true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.failure);
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"begin", "write", "write", "write", "end"}));
    expect_normal_stream(h.out, {"Hi"});
    ASSERT_EQ(h.provider->emitted_at.size(), 1u);
    EXPECT_GE(h.out.calls[0].at, h.provider->emitted_at[0]);    // no head before the first text
    EXPECT_LT(ms_between(h.started_at, h.out.calls[0].at), 45); // and not held until commit_hold
    EXPECT_EQ(header(h.out.stream_headers, "x-switchyard-usage"), "estimated");
}

TEST(ChatHandler, ErrorBeforeAnyTextIsAPlainJsonResponse) {
    providers::provider_error e{providers::failure_reason::rate_limited, "Slow down.", 3, std::nullopt};
    harness h(says({}, e));
    h.start(body_for(true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.failure);
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"send"}));
    ASSERT_TRUE(h.out.sent);
    EXPECT_EQ(h.out.sent->status, 429);
    EXPECT_EQ(h.out.sent->content_type, "application/json");
    EXPECT_EQ(header(h.out.sent->headers, "retry-after"), "3");
    EXPECT_EQ(h.out.sent->body,
              R"({"error":{"code":"rate_limit_exceeded","message":"Slow down.","param":null,"type":"requests"}})");
}

TEST(ChatHandler, ErrorBeforeTextOfANonStreamedRequestIsPlainJsonToo) {
    providers::provider_error e{providers::failure_reason::rate_limited, "Slow down.", 3, std::nullopt};
    harness h(says({{5ms, "partial"}}, e));
    h.start(body_for(false));
    ASSERT_TRUE(h.run());
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"send"}));
    EXPECT_EQ(h.out.sent->status, 429);
    EXPECT_EQ(error_code_of(h.out.sent->body), "rate_limit_exceeded");
}

// 2. Commit hold and keep-alive.

TEST(ChatHandler, SilentProviderGetsTheHeadAfterCommitHoldThenKeepAlives) {
    harness h(says({{200ms, "Hi"}}));
    h.start(body_for(true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.failure);
    const auto& c = h.out.calls;
    ASSERT_GE(c.size(), 7u);
    EXPECT_EQ(c[0].op, "begin");
    EXPECT_GE(ms_between(h.started_at, c[0].at), 50);
    EXPECT_LT(ms_between(h.started_at, c[0].at), 120);
    // role, then only keep-alive comments until the text, each after >= keepalive of silence
    std::size_t i = 2, keepalives = 0;
    for (; i < c.size() && c[i].bytes == keepalive; ++i, ++keepalives)
        EXPECT_GE(ms_between(c[i - 1].at, c[i].at), 29) << "keep-alive " << keepalives;
    EXPECT_GE(keepalives, 2u);
    EXPECT_LE(keepalives, 6u);
    ASSERT_LT(i, c.size());
    EXPECT_EQ(delta_content(c[i].bytes), "Hi");
    EXPECT_GE(ms_between(h.started_at, c[i].at), 200);
    EXPECT_EQ(c.size(), i + 3); // text, finish with [DONE], end
    expect_normal_stream(h.out, {"Hi"});
}

// 3. In-band error after the commit.

TEST(ChatHandler, ErrorAfterTextIsOneInBandEventThenDone) {
    providers::provider_error e{providers::failure_reason::timeout, "The upstream took too long.", std::nullopt, std::nullopt};
    harness h(says({{5ms, "Hi"}}, e));
    h.start(body_for(true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.failure);
    const auto& c = h.out.calls;
    ASSERT_EQ(h.out.ops(), (std::vector<std::string>{"begin", "write", "write", "write", "end"}));
    EXPECT_EQ(delta_content(c[2].bytes), "Hi");
    EXPECT_EQ(c[3].bytes,
              api::sse_writer::error_event({api::error_kind::upstream_timeout, e.message, std::nullopt, std::nullopt}) +
                  done_frame);
    EXPECT_EQ(c[3].bytes.rfind(R"(data: {"error":{)", 0), 0u);

    for (const auto& w : c)
        EXPECT_EQ(w.bytes.find(R"(finish_reason":"stop")"), std::string::npos) << w.bytes;
}

// 4. A provider that throws.

TEST(ChatHandler, ProviderThrowingBeforeTextIsA502) {
    script s;
    s.steps = {{5ms, ""}}; // an empty delta is no text: still before the commit
    s.throws = true;
    harness h(s);
    h.start(body_for(true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.failure);
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"send"}));
    EXPECT_EQ(h.out.sent->status, 502);
    EXPECT_EQ(error_code_of(h.out.sent->body), "upstream_error");
}

TEST(ChatHandler, ProviderThrowingAfterTextIsAnInBandUpstreamError) {
    script s;
    s.steps = {{5ms, "Hi"}};
    s.throws = true;
    harness h(s);
    h.start(body_for(true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.failure);
    ASSERT_EQ(h.out.ops(), (std::vector<std::string>{"begin", "write", "write", "write", "end"}));
    const std::string& failure = h.out.calls[3].bytes;
    ASSERT_TRUE(failure.ends_with(done_frame));
    EXPECT_EQ(error_code_of(failure.substr(6, failure.size() - 6 - done_frame.size())), "upstream_error");
}

// 5. The client is gone at each step.

struct gone_case {
    int fail_at;
    bool conversation;
};
void PrintTo(const gone_case& c, std::ostream* os) { *os << "write " << c.fail_at << (c.conversation ? ", turn" : ", one-shot"); }

class ChatHandlerClientGone : public testing::TestWithParam<gone_case> {};

// begin(1), role(2), "Hel"(3), "lo"(4), [turn saved], finish and [DONE](5), end(6)
TEST_P(ChatHandlerClientGone, HandlerEndsPromptlyAndWritesNothingMore) {
    const auto [n, conversation] = GetParam();
    harness h(says({{5ms, "Hel"}, {5ms, "lo"}}));
    if (conversation) h.create_conversation();
    h.out.fail_at = n;
    h.start(body_for(true, conversation));
    ASSERT_TRUE(h.run(500ms)) << "the handler hung";
    EXPECT_LT(ms_between(h.out.failed_at, h.done_at), 50);
    EXPECT_TRUE(h.provider->returned);
    if (n <= 4) {
        EXPECT_TRUE(h.provider->told_to_stop);
    } // the failed write ended the provider
    EXPECT_EQ(h.out.calls.size(), static_cast<std::size_t>(n - 1));
    EXPECT_EQ(h.out.attempts_after_failure, 0);
    if (conversation) {
        EXPECT_TRUE(h.provider->had_conversation);
        EXPECT_TRUE(h.lock_is_free());
        // The turn is made durable before the finish chunk, so only earlier failures lose it.
        EXPECT_EQ(h.stored_items().size(), n <= 4 ? 0u : 2u);
    }
}

std::vector<gone_case> gone_cases() {
    std::vector<gone_case> out;
    for (int n = 1; n <= 6; ++n) {
        out.push_back({n, false});
        out.push_back({n, true});
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(EveryWrite, ChatHandlerClientGone, testing::ValuesIn(gone_cases()),
                         [](const testing::TestParamInfo<gone_case>& i) {
                             return "Write" + std::to_string(i.param.fail_at) + (i.param.conversation ? "Turn" : "OneShot");
                         });

TEST(ChatHandler, ClientGoneAtTheHeldHeadCancelsTheSilentProvider) {
    script s;
    s.wait_forever = true;
    harness h(s);
    h.create_conversation();
    h.out.fail_at = 1; // the begin_stream of the commit hold
    h.start(body_for(true, true));
    ASSERT_TRUE(h.run(500ms)) << "the handler hung";
    EXPECT_TRUE(h.provider->saw_cancellation);
    EXPECT_LT(ms_between(h.out.failed_at, h.provider->returned_at), 100);
    EXPECT_TRUE(h.out.calls.empty());
    EXPECT_EQ(h.out.attempts_after_failure, 0);
    EXPECT_TRUE(h.lock_is_free());
    EXPECT_TRUE(h.stored_items().empty());
}

TEST(ChatHandler, ClientGoneSignalledFromOutsideCancelsTheProvider) {
    script s;
    s.steps = {{5ms, "Hi"}};
    s.wait_forever = true;
    harness h(s);
    h.create_conversation();
    h.start(body_for(true, true));
    clock_type::time_point stopped_at{};
    h.once([&] { return h.out.ops().size() == 3; }, // the head, the role, "Hi"
           [&] {
               stopped_at = clock_type::now();
               h.out.stop(http::stop_reason::client_gone);
           });
    ASSERT_TRUE(h.run(2000ms)) << "the handler hung";
    EXPECT_TRUE(h.failure); // the exchange is over; the session logs it
    EXPECT_TRUE(h.provider->saw_cancellation);
    EXPECT_LT(ms_between(stopped_at, h.done_at), 40);
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"begin", "write", "write"}));
    EXPECT_TRUE(h.lock_is_free());
    EXPECT_TRUE(h.stored_items().empty());
}

// 6. A client that stops reading.

TEST(ChatHandler, BlockedThenFailedKeepAliveCancelsTheWaitingProvider) {
    script s;
    s.steps = {{0ms, "Hi"}};
    s.wait_forever = true;
    harness h(s);
    h.out.block_at = 4; // begin, role, "Hi", then the first keep-alive
    h.out.fail_at = 4;
    h.out.block_for = 80ms;
    h.start(body_for(true));
    ASSERT_TRUE(h.run(1000ms)) << "the handler hung";
    EXPECT_EQ(h.out.failed_bytes, keepalive);
    EXPECT_TRUE(h.provider->saw_cancellation);
    EXPECT_LT(ms_between(h.out.failed_at, h.provider->returned_at), 100);
    EXPECT_LT(ms_between(h.out.failed_at, h.done_at), 100);
    EXPECT_EQ(h.out.calls.size(), 3u);
    EXPECT_EQ(h.out.attempts_after_failure, 0);
    EXPECT_EQ(h.out.stopped(), http::stop_reason::client_gone);
}

// 7. Shutdown.

TEST(ChatHandler, ShutdownMidStreamIsAnInBandErrorThenDone) {
    script s;
    s.steps = {{5ms, "Hi"}};
    s.wait_forever = true;
    harness h(s);
    h.start(body_for(true));
    h.at(25ms, [&] { h.out.stop(http::stop_reason::shutdown); });
    ASSERT_TRUE(h.run(500ms)) << "the handler hung";
    EXPECT_FALSE(h.failure);
    EXPECT_TRUE(h.provider->saw_cancellation);
    ASSERT_EQ(h.out.ops(), (std::vector<std::string>{"begin", "write", "write", "write", "end"}));
    EXPECT_EQ(delta_content(h.out.calls[2].bytes), "Hi");
    expect_in_band_error(h.out.calls[3].bytes, "server_shutting_down");
}

TEST(ChatHandler, ShutdownDuringAWriteWaitsForItThenEndsInBand) {
    script s;
    s.steps = {{5ms, "Hi"}};
    s.wait_forever = true;
    harness h(s);
    h.out.block_at = 3; // the text
    h.out.block_for = 40ms;
    h.start(body_for(true));
    h.at(20ms, [&] { h.out.stop(http::stop_reason::shutdown); });
    ASSERT_TRUE(h.run(500ms)) << "the handler hung";
    EXPECT_FALSE(h.failure);
    ASSERT_EQ(h.out.ops(), (std::vector<std::string>{"begin", "write", "write", "write", "end"}));
    EXPECT_EQ(delta_content(h.out.calls[2].bytes), "Hi"); // never a frame cut in half
    expect_in_band_error(h.out.calls[3].bytes, "server_shutting_down");
}

TEST(ChatHandler, ShutdownBeforeTheCommitIsA503) {
    script s;
    s.wait_forever = true;
    harness h(s);
    h.start(body_for(true));
    h.at(20ms, [&] { h.out.stop(http::stop_reason::shutdown); });
    ASSERT_TRUE(h.run(500ms)) << "the handler hung";
    EXPECT_FALSE(h.failure);
    EXPECT_TRUE(h.provider->saw_cancellation);
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"send"}));
    EXPECT_EQ(h.out.sent->status, 503);
    EXPECT_EQ(error_code_of(h.out.sent->body), "server_shutting_down");
}

TEST(ChatHandler, ShutdownOfANonStreamedRequestIsA503) {
    script s;
    s.wait_forever = true;
    harness h(s);
    h.start(body_for(false));
    h.at(20ms, [&] { h.out.stop(http::stop_reason::shutdown); });
    ASSERT_TRUE(h.run(500ms)) << "the handler hung";
    EXPECT_FALSE(h.failure);
    EXPECT_TRUE(h.provider->saw_cancellation);
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"send"}));
    ASSERT_TRUE(h.out.sent);
    EXPECT_EQ(h.out.sent->status, 503);
    EXPECT_EQ(error_code_of(h.out.sent->body), "server_shutting_down");
}

// 8. Persistence of a conversation turn.

TEST(ChatHandler, TurnIsStoredAndUnlockedBeforeTheEndIsWritten) {
    harness h(says({{5ms, "Hi"}}));
    h.create_conversation();
    std::optional<std::size_t> items_at_finish, items_at_done;
    std::optional<bool> free_at_done;
    h.out.on_write = [&](std::string_view bytes) {
        if (bytes.find(R"("finish_reason":"stop")") != std::string_view::npos) items_at_finish = h.stored_items().size();
        if (bytes.ends_with(done_frame)) {
            items_at_done = h.stored_items().size();
            free_at_done = h.lock_is_free();
        }
    };
    h.start(body_for(true, true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.failure);
    expect_normal_stream(h.out, {"Hi"});
    EXPECT_EQ(items_at_finish, 2u);
    EXPECT_EQ(items_at_done, 2u);
    EXPECT_EQ(free_at_done, true);
    const auto items = h.stored_items();
    ASSERT_EQ(items.size(), 2u);
    const auto first = json::parse(items[0].body), second = json::parse(items[1].body);
    EXPECT_EQ(first["role"], "user");
    EXPECT_EQ(first["content"][0]["text"], "hello");
    EXPECT_EQ(second["role"], "assistant");
    EXPECT_EQ(second["content"][0], json({{"type", "output_text"}, {"text", "Hi"}}));
    EXPECT_EQ(h.store->get(owner_id, conversation_id)->provider, "fake");
}

TEST(ChatHandler, SecondTurnWhileOneIsInProgressIsA409) {
    harness h(says({{5ms, "Hi"}}));
    h.create_conversation();
    const auto held = h.locks.try_lock(conversation_id);
    ASSERT_TRUE(held);
    h.start(body_for(true, true));
    ASSERT_TRUE(h.run());
    EXPECT_FALSE(h.provider->started);
    EXPECT_EQ(h.out.ops(), (std::vector<std::string>{"send"}));
    EXPECT_EQ(h.out.sent->status, 409);
    EXPECT_EQ(error_code_of(h.out.sent->body), "conversation_busy");
}

} // namespace
