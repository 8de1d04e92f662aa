#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <type_traits>
#include <limits>

#include "switchyard/api/chat_format.hpp"
#include "switchyard/api/conversation_items.hpp"
#include "switchyard/api/conversations.hpp"
#include "switchyard/api/failure_mapping.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/api/text_shaper.hpp"
#include "switchyard/ops/key_limits.hpp"
#include "switchyard/providers/attempts.hpp"
#include "switchyard/store/store_worker.hpp"
#include "switchyard/turn/continuation.hpp"
#include "switchyard/turn/reasoning.hpp"
#include "switchyard/turn/tool_emulation.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::api {
namespace {

using boost::system::error_code;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const api_error shutting_down{error_kind::server_shutting_down, "The server is shutting down; retry the request.", std::nullopt,
                              std::nullopt};

/// Validation that needs the chosen provider.
std::optional<api_error> check_against_provider(const chat_request& req, const providers::provider& p) {
    if (!p.caps().images) {
        for (const auto& m : req.messages)
            if (!m.images.empty())
                return api_error{error_kind::unsupported_value, "The model's provider cannot take images.",
                                 m.images.front().param + ".type", std::nullopt};
    }
    if (auto err = p.check_ready()) return error_for(*err);
    return std::nullopt;
}

/// `prompt_tokens`: the estimate of the whole prompt the client sent, taken before a continued
/// chat keeps only its new turn.
usage_counts usage_for(long prompt_tokens, const text_shaper& answer, const std::optional<providers::usage_report>& reported) {
    if (reported) return {reported->prompt_tokens, reported->completion_tokens};
    return {prompt_tokens, estimate_tokens(answer.emitted_code_points())};
}

/// Puts the answer's token counts in the exchange's facts (metrics, the access log).
void record_usage(http::exchange_facts& facts, const usage_counts& usage, bool estimated) {
    facts.prompt_tokens = usage.prompt_tokens;
    facts.completion_tokens = usage.completion_tokens;
    facts.tokens_estimated = estimated;
}

/// Why the answer ended. Tool calls win: they are what the client must act on, unless the
/// upstream ran out of tokens in the middle of one. Then a cut the gateway made (a stop sequence,
/// max_tokens), then what the upstream reported.
answer_end end_of(const text_shaper& shaper, bool tool_calls, std::optional<providers::finish_cause> upstream,
                  const usage_counts& usage) {
    answer_end end{finish_kind::stop, {}, usage};
    if (tool_calls && upstream == providers::finish_cause::length) {
        end.finish = finish_kind::length;
    } else if (tool_calls) {
        end.finish = finish_kind::tool_calls;
    } else if (shaper.finished()) {
        end.finish = shaper.finish_reason() == "length" ? finish_kind::length : finish_kind::stop_sequence;
        if (end.finish == finish_kind::stop_sequence) end.stop_sequence = shaper.stop_matched();
    } else if (upstream == providers::finish_cause::length) {
        end.finish = finish_kind::length;
    } else if (upstream == providers::finish_cause::content_filter) {
        end.finish = finish_kind::content_filter;
    } // a tool_calls finish without calls is a plain end
    return end;
}

/// Stores a finished turn before the client sees its end; returns an error when it could not be
/// made durable.
using persist_fn = std::function<net::awaitable<std::optional<api_error>>(const finished_answer& answer)>;

/// The provider seam. `run_attempts` rotates credentials and retries before the commit point;
/// the failure reason it ends with becomes the client's error here (`error_for`). Whatever a
/// provider throws ends here too: an exchange stopped from outside (client gone, shutdown) is
/// told apart by `out.stopped()`, never guessed; anything else is a provider fault, logged with
/// its cause and answered as a 502.
net::awaitable<std::optional<api_error>> call_provider(providers::provider& p, const chat_request& req,
                                                       const providers::model_route& route, providers::event_sink& sink,
                                                       providers::call_context ctx, http::response_stream& out) {
    try {
        std::optional<providers::provider_error> failed;
        if (!p.caps().native_tools && turn::needs_emulation(req, ctx.conversation))
            failed = co_await turn::run_with_emulated_tools(p, req, route, sink, ctx);
        else if (turn::needs_reasoning_policy(p, route.reasoning))
            failed = co_await turn::run_with_reasoning_policy(p, req, route, sink, ctx);
        else
            failed = co_await providers::run_attempts(p, req, route, sink, ctx);
        if (!failed) co_return std::nullopt;
        out.facts().upstream_failure = providers::reason_name(failed->reason);
        co_return error_for(*failed);
    } catch (const std::exception& e) {
        if (out.stopped() == http::stop_reason::client_gone) throw;
        if (out.stopped() != http::stop_reason::shutdown) {
            spdlog::warn("[{}] the {} provider failed: {}", ctx.request_id, p.name(), e.what());
            out.facts().upstream_failure = "provider_fault";
        }
    }
    if (out.stopped() == http::stop_reason::shutdown) {
        co_await net::this_coro::reset_cancellation_state(); // so the error can still be written
        co_return shutting_down;
    }
    co_return api_error{error_kind::upstream_error, "The upstream failed unexpectedly.", std::nullopt, std::nullopt};
}

/// Which provider a conversation's upstream state belongs to, and which one answered: a turn and
/// its continuation are kept under the provider that answered.
struct route_outcome {
    std::string_view state_owner;            // "" when there is no state yet
    providers::provider* answered = nullptr; // set once a route has answered
};

/// Failures of the request itself: no other route would do better.
bool ends_failover(const api_error& e) noexcept {
    return e.kind == error_kind::invalid_value || e.kind == error_kind::unsupported_value ||
           e.kind == error_kind::tool_arguments_invalid || e.kind == error_kind::server_shutting_down;
}

/// The model's routes in order: a route that cannot take the request (its provider not configured,
/// or the request has images it cannot see) is passed over, and a failure before any output moves
/// on to the next route unless it is the request's own. Another provider than the one whose
/// upstream state the conversation holds starts afresh from the history. `attempting` is told of
/// each provider before it is called.
net::awaitable<std::optional<api_error>> call_routes(const providers::model_binding& m, const chat_request& req,
                                                     providers::event_sink& sink, providers::call_context ctx,
                                                     http::response_stream& out, route_outcome& outcome,
                                                     const std::function<void(const providers::provider&)>& attempting) {
    std::optional<api_error> err;
    auto& facts = out.facts();
    // The upstream state belongs to its owner: another provider starts from the history alone, and
    // what a failed attempt wrote is undone before the next.
    const std::string original = ctx.conversation ? ctx.conversation->upstream_state : std::string();
    for (std::size_t i = 0; i < m.route_count(); ++i) {
        const auto r = m.at(i);
        if (auto refused = check_against_provider(req, *r.target)) {
            if (!err) err = std::move(refused);
            continue;
        }
        if (ctx.conversation) {
            const bool owners = outcome.state_owner.empty() || outcome.state_owner == r.target->name();
            ctx.conversation->upstream_state = owners ? original : std::string();
        }
        facts.provider = r.target->name();
        if (attempting) attempting(*r.target);
        err = co_await call_provider(*r.target, req, r.route, sink, ctx, out);
        if (!err) {
            outcome.answered = r.target;
            facts.upstream_failure = {}; // a route failed before, but the exchange did not
            co_return std::nullopt;
        }
        if (ctx.conversation) ctx.conversation->upstream_state = original;
        if (sink.output_seen() || ends_failover(*err) || out.stopped() != http::stop_reason::none) co_return err;
        if (facts.upstream_failure.empty()) continue;
        spdlog::warn("[{}] model {}: route {} ({}) failed before answering ({})", ctx.request_id, m.route.model_id, i + 1,
                     r.target->name(), facts.upstream_failure);
        facts.route_failures.emplace_back(facts.provider, facts.upstream_failure);
        facts.upstream_failure = {};
    }
    // The last failure is the exchange's own.
    if (err && !facts.route_failures.empty()) {
        std::tie(facts.provider, facts.upstream_failure) = facts.route_failures.back();
        facts.route_failures.pop_back();
    }
    co_return err;
}

/// Collects the whole answer for a non-streaming request.
class collecting_sink final : public providers::event_sink {
public:
    explicit collecting_sink(text_shaper& shaper) : shaper_(shaper) {}
    std::optional<providers::usage_report> usage;
    std::optional<providers::finish_cause> finish;
    std::string reasoning;
    std::vector<tool_call> calls;

private:
    net::awaitable<bool> deliver(providers::provider_event&& ev) override {
        std::visit(
            [this](auto&& e) {
                using event = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<event, providers::text_delta>)
                    shaper_.push(e.text);
                else if constexpr (std::is_same_v<event, providers::reasoning_delta>)
                    reasoning += e.text;
                else if constexpr (std::is_same_v<event, providers::tool_call_begin>)
                    calls.push_back({std::move(e.id), std::move(e.name), {}});
                else if constexpr (std::is_same_v<event, providers::tool_call_arguments>) {
                    if (e.index < calls.size()) calls[e.index].arguments += e.fragment;
                } else if constexpr (std::is_same_v<event, providers::usage_report>)
                    usage = e;
                else if constexpr (std::is_same_v<event, providers::finish_report>)
                    finish = e.cause;
            },
            std::move(ev));
        co_return !shaper_.finished();
    }

    text_shaper& shaper_;
};

/// One streamed completion. The handler's coroutine owns the client side: provider events
/// are written from `emit`, on the provider's own call stack, so the upstream read and the
/// client write are one chain and end together. A timer covers the silences (the commit hold
/// and `: keep-alive` comments): a plain completion handler, not a second coroutine, so an idle
/// stream holds one timer wait. Only when a tick has something to write does it start a short
/// coroutine for that write; it writes only while nothing else does, and when the write fails
/// it stops the exchange, which cancels the upstream wait.
class streamed_completion final : public providers::event_sink {
public:
    streamed_completion(const chat_request& req, long prompt_tokens, answer_encoder& encoder, http::response_stream& out,
                        const config::stream_settings& st, const persist_fn& persist)
        : req_(req), prompt_tokens_(prompt_tokens), encoder_(encoder), out_(out), settings_(st), persist_(persist),
          shaper_(req.stop, req.max_tokens, persist != nullptr) {}

    net::awaitable<void> run(const providers::model_binding& m, route_outcome& outcome, providers::call_context ctx) {
        const std::function<void(const providers::provider&)> attempting = [this](const providers::provider& p) {
            reports_usage_ = p.caps().reports_usage;
        };
        const auto executor = co_await net::this_coro::executor;
        net::steady_timer tick_timer(executor), ticks_over(executor, clock::time_point::max());
        ticks_ = {&tick_timer, &ticks_over, clock::now()};
        arm_tick();
        std::optional<api_error> err;
        std::exception_ptr thrown;
        try {
            err = co_await call_routes(m, req_, *this, ctx, out_, outcome, attempting);
        } catch (...) {
            thrown = std::current_exception();
        }
        // The tick handlers use this object, so they must be done before it is gone, however the
        // exchange ended.
        finished_ = true;
        tick_timer.cancel();
        co_await net::this_coro::reset_cancellation_state();
        while (ticks_.waiting || ticks_.writing)
            co_await ticks_over.async_wait(net::as_tuple(net::use_awaitable));
        if (thrown) std::rethrow_exception(thrown);
        if (write_failure_) std::rethrow_exception(write_failure_); // the client is gone: nothing more to say
        if (err) co_return co_await fail(*err);
        if (const std::string rest = shaper_.flush(); !rest.empty()) {
            const std::string chunk = encoder_.text(rest);
            co_await relay(chunk);
        }
        co_await finish();
    }

private:
    /// Called by the provider for every event; false tells it to stop.
    net::awaitable<bool> deliver(providers::provider_event&& ev) override {
        if (write_failure_ || shaper_.finished()) co_return false;
        std::string chunk;
        if (auto* t = std::get_if<providers::text_delta>(&ev)) {
            const std::string text = shaper_.push(t->text);
            if (!text.empty()) chunk = encoder_.text(text);
        } else if (auto* r = std::get_if<providers::reasoning_delta>(&ev)) {
            if (!r->text.empty()) chunk = encoder_.reasoning(r->text);
        } else if (auto* b = std::get_if<providers::tool_call_begin>(&ev)) {
            // Text held back for a possible stop sequence is content that came before the call.
            if (const std::string held = shaper_.flush(); !held.empty()) chunk = encoder_.text(held);
            chunk += encoder_.tool_call_begin(b->index, b->id, b->name);
            if (persist_) calls_.push_back({b->id, b->name, {}});
            ++tool_calls_;
        } else if (auto* a = std::get_if<providers::tool_call_arguments>(&ev)) {
            if (!a->fragment.empty()) chunk = encoder_.tool_call_arguments(a->index, a->fragment);
            if (persist_ && a->index < calls_.size()) calls_[a->index].arguments += a->fragment;
        } else if (auto* u = std::get_if<providers::usage_report>(&ev)) {
            usage_ = *u;
        } else if (auto* f = std::get_if<providers::finish_report>(&ev)) {
            upstream_finish_ = f->cause;
        }
        if (chunk.empty()) co_return true;
        try {
            co_await relay(chunk);
        } catch (const std::exception&) {
            if (out_.stopped() == http::stop_reason::shutdown) throw; // call_provider answers it
            write_failure_ = std::current_exception();
            co_return false;
        }
        co_return !shaper_.finished();
    }

    /// The timer behind the commit hold and the keep-alive comments.
    struct tick_state {
        net::steady_timer* timer = nullptr;
        net::steady_timer* over = nullptr; // cancelled when a tick handler ends after `finished_`
        clock::time_point started;
        bool waiting = false; // a timer wait is pending
        bool writing = false; // a tick's write is under way
    };

    void arm_tick() {
        const auto interval = std::max(std::min(settings_.commit_hold, settings_.keepalive_interval) / 2, milliseconds(10));
        ticks_.timer->expires_after(interval);
        ticks_.waiting = true;
        ticks_.timer->async_wait([this](error_code ec) {
            ticks_.waiting = false;
            if (ec || finished_ || write_failure_) {
                ticks_.over->cancel();
                return;
            }
            on_tick();
        });
    }

    void on_tick() {
        if (writing_) return arm_tick(); // the provider's events are on their way
        const auto now = clock::now();
        if (!committed_ && now - ticks_.started >= settings_.commit_hold)
            start_tick_write(true);
        else if (committed_ && now - last_write_ >= settings_.keepalive_interval)
            start_tick_write(false);
        else
            arm_tick();
    }

    void start_tick_write(bool commit_now) {
        ticks_.writing = true;
        net::co_spawn(ticks_.timer->get_executor(), tick_write(commit_now), [this](std::exception_ptr failed) {
            ticks_.writing = false;
            if (failed) {
                write_failure_ = failed;
                out_.stop(http::stop_reason::client_gone); // ends the upstream wait at once
            }
            if (finished_ || write_failure_) {
                ticks_.over->cancel();
                return;
            }
            arm_tick();
        });
    }

    net::awaitable<void> tick_write(bool commit_now) {
        if (commit_now)
            co_await commit();
        else
            co_await write(encoder_.keepalive());
    }

    net::awaitable<void> commit() {
        if (committed_) co_return;
        committed_ = true;
        http::header_list extra;
        if (!reports_usage_) extra.emplace_back("x-switchyard-usage", "estimated");
        const writing_scope busy(*this);
        co_await out_.begin_stream(extra);
        const std::string opening = encoder_.opening(prompt_tokens_);
        co_await out_.write(opening);
        last_write_ = clock::now();
    }

    /// Marks a write in progress, so a tick stays out of it.
    struct writing_scope {
        streamed_completion& self;
        explicit writing_scope(streamed_completion& s) : self(s) { ++self.writing_; }
        ~writing_scope() { --self.writing_; }
    };

    net::awaitable<void> write(std::string_view bytes) {
        const writing_scope busy(*this);
        co_await out_.write(bytes);
        last_write_ = clock::now();
    }

    net::awaitable<void> finish() {
        // Encoded first, so an API that keeps its answer keeps what the client gets; the turn is
        // durable before the client sees the end of the answer.
        const auto usage = usage_for(prompt_tokens_, shaper_, usage_);
        record_usage(out_.facts(), usage, !usage_);
        const std::string closing = encoder_.closing(end_of(shaper_, tool_calls_ > 0, upstream_finish_, usage));
        if (persist_) {
            const finished_answer answer{shaper_.emitted(), calls_, shaper_.finished()};
            if (const auto err = co_await persist_(answer)) co_return co_await fail(*err);
        }
        co_await commit();
        co_await write(closing);
        co_await out_.end_stream();
    }

    net::awaitable<void> fail(const api_error& e) {
        if (!committed_) {
            const auto response = encoder_.error_response(e);
            co_await out_.send(response);
            co_return;
        }
        const std::string failure = encoder_.failure(e);
        co_await write(failure);
        co_await out_.end_stream();
    }

    /// Writes one or more encoded events, committing first.
    net::awaitable<void> relay(const std::string& chunk) {
        if (chunk.empty()) co_return;
        if (out_.facts().first_token == http::exchange_facts::time_point{}) out_.facts().first_token = clock::now();
        // A tick may be half way through a keep-alive; wait for it (a few microseconds).
        while (writing_) {
            net::steady_timer pause(co_await net::this_coro::executor, milliseconds(1));
            co_await pause.async_wait(net::use_awaitable);
        }
        co_await commit();
        co_await write(chunk);
    }

    const chat_request& req_;
    long prompt_tokens_;
    answer_encoder& encoder_;
    http::response_stream& out_;
    const config::stream_settings& settings_;
    const persist_fn& persist_;
    text_shaper shaper_;
    std::optional<providers::usage_report> usage_;
    std::optional<providers::finish_cause> upstream_finish_;
    std::size_t tool_calls_ = 0;
    std::vector<tool_call> calls_; // kept only for persist_
    bool committed_ = false;
    bool reports_usage_ = false;
    bool finished_ = false;
    int writing_ = 0;
    tick_state ticks_;
    std::exception_ptr write_failure_;
    clock::time_point last_write_ = clock::now();
};

net::awaitable<void> complete_collected(const chat_request& req, long prompt_tokens, const providers::model_binding& m,
                                        route_outcome& outcome, answer_encoder& encoder, http::response_stream& out,
                                        providers::call_context ctx, const persist_fn& persist) {
    text_shaper shaper(req.stop, req.max_tokens);
    collecting_sink sink(shaper);
    static const std::function<void(const providers::provider&)> no_one_to_tell;
    const auto err = co_await call_routes(m, req, sink, ctx, out, outcome, no_one_to_tell);
    if (err) {
        // Never a truncated answer with finish_reason "stop": a failure is a failure.
        const auto response = encoder.error_response(*err);
        co_await out.send(response);
        co_return;
    }
    shaper.flush();
    // Encoded before it is stored: an API that keeps its answer (a Responses response) keeps what
    // the client gets.
    const auto usage = usage_for(prompt_tokens, shaper, sink.usage);
    record_usage(out.facts(), usage, !sink.usage);
    auto r =
        encoder.whole({shaper.emitted(), sink.reasoning, sink.calls, end_of(shaper, !sink.calls.empty(), sink.finish, usage)});
    if (!sink.usage) r.headers.emplace_back("x-switchyard-usage", "estimated");
    if (persist) {
        const finished_answer answer{shaper.emitted(), sink.calls, shaper.finished()};
        if (const auto failed = co_await persist(answer)) {
            const auto response = encoder.error_response(*failed);
            co_return co_await out.send(response);
        }
    }
    co_await out.send(r);
}

/// Whether one of the model's routes goes to `provider`.
bool routes_to(const providers::model_binding& m, std::string_view provider) {
    for (std::size_t i = 0; i < m.route_count(); ++i)
        if (m.at(i).target->name() == provider) return true;
    return false;
}

/// A conversation turn in progress: the lock that makes it the only one, and what the
/// provider needs to continue.
struct conversation_turn_state {
    std::string owner;
    store::conversation record;
    std::optional<conversation_locks::guard> lock; // released as soon as the turn is saved
    std::vector<chat_message> history;
    std::string upstream_state;
};

/// Store calls run on the store's own thread (`store_worker`), never on this I/O thread.
net::awaitable<std::variant<conversation_turn_state, api_error>> open_turn(const chat_request& req,
                                                                           const providers::model_binding& binding,
                                                                           const handler_context& ctx, const std::string& param) {
    std::string owner = ctx.owner();
    const std::string& id = *req.conversation_id;
    std::optional<store::conversation> record;
    try {
        record = co_await ctx.conversations.run([&](store::conversation_store& s) { return s.get(owner, id); });
    } catch (const store::store_unavailable& e) {
        spdlog::warn("conversation {}: the store is unavailable: {}", id, e.what());
        co_return api_error{error_kind::store_unavailable, "The conversation store is unavailable; try again shortly.",
                            std::nullopt, std::nullopt};
    }
    if (!record)
        co_return api_error{error_kind::conversation_not_found, "Conversation with id '" + id + "' not found.", param,
                            std::nullopt};
    if (!record->provider.empty() && !routes_to(binding, record->provider))
        co_return api_error{error_kind::invalid_value,
                            "This conversation is bound to the " + record->provider + " provider; model '" + req.model +
                                "' belongs to " + std::string(binding.target->name()) + ". Use a " + record->provider +
                                " model or start a new conversation.",
                            "model", std::nullopt};
    std::optional<conversation_locks::guard> lock;
    try {
        auto got = co_await ctx.locks.lock(record->id);
        if (got) lock.emplace(std::move(*got));
    } catch (const store::store_unavailable& e) {
        spdlog::warn("conversation {}: the shared lock is unavailable: {}", id, e.what());
        co_return api_error{error_kind::store_unavailable, "The conversation store is unavailable; try again shortly.",
                            std::nullopt, std::nullopt};
    }
    if (!lock)
        co_return api_error{error_kind::conversation_busy, "Another turn of this conversation is in progress.", param,
                            std::nullopt};
    // Read under the lock, so no other turn lands between reading the history and saving this one.
    std::vector<store::item> stored;
    try {
        stored = co_await ctx.conversations.run([&](store::conversation_store& s) {
            return s.list_items(owner, id, std::numeric_limits<int>::max(), true, std::nullopt).items;
        });
    } catch (const store::store_unavailable& e) {
        spdlog::warn("conversation {}: the store is unavailable: {}", id, e.what());
        co_return api_error{error_kind::store_unavailable, "The conversation store is unavailable; try again shortly.",
                            std::nullopt, std::nullopt};
    }
    std::vector<chat_message> history;
    for (const auto& it : stored) {
        const auto item = nlohmann::json::parse(it.body, nullptr, false);
        if (item.is_discarded() || items::read_item(item, it.id, history))
            spdlog::warn("skipped an unreadable item {} of conversation {}", it.id, id);
    }
    std::string state = record->upstream_state;
    co_return conversation_turn_state{std::move(owner), std::move(*record), std::move(lock), std::move(history),
                                      std::move(state)};
}

/// The new turn and its answer as the conversation keeps them.
store::turn turn_items(const chat_request& req, const finished_answer& answer, const providers::provider& p,
                       const conversation_turn_state& turn, const turn_keeping& keep) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    store::turn t{{}, std::string(p.name()), turn.upstream_state};
    const auto add = [&](const nlohmann::json& item) {
        t.items.push_back({item.value("id", std::string()), items::dump(item), now});
    };
    if (!keep.input_items.empty()) {
        for (const auto& item : keep.input_items)
            add(item);
    } else {
        for (const auto& m : req.messages)
            for (const auto& item : items::items_of(m))
                add(item);
    }
    for (const auto& item : keep.output_items ? keep.output_items(answer) : items::answer_items(answer.text, answer.calls))
        add(item);
    return t;
}

net::awaitable<std::optional<api_error>> save_turn(const chat_request& req, const finished_answer& answer,
                                                   const providers::provider& p, const conversation_turn_state& turn,
                                                   const handler_context& ctx, const turn_keeping& keep) {
    const store::turn t = turn_items(req, answer, p, turn, keep);
    std::string failure;
    bool unavailable = false;
    try {
        const bool saved = co_await ctx.conversations.run([&](store::conversation_store& s) {
            if (!s.append_turn(turn.owner, turn.record.id, t)) return false;
            // The turn is saved: a record that fails after it costs only the record.
            if (keep.record) try {
                    keep.record(s, "");
                } catch (const std::exception& e) {
                    spdlog::error("storing the record of a turn of {} failed: {}", turn.record.id, e.what());
                }
            return true;
        });
        if (saved) co_return std::nullopt;
        co_return api_error{error_kind::conversation_not_found, "The conversation was deleted during this turn.",
                            keep.conversation_param, std::nullopt};
    } catch (const store::store_unavailable& e) {
        failure = e.what();
        unavailable = true;
    } catch (const std::exception& e) {
        failure = e.what();
    }
    spdlog::error("storing a turn of {} failed: {}", turn.record.id, failure);
    co_return api_error{unavailable ? error_kind::store_unavailable : error_kind::internal_error,
                        "The answer could not be stored; the turn was not saved.", std::nullopt, std::nullopt};
}

/// Error answers get a coroutine of their own, so the response is held only while it is sent
/// and not in the frame of a handler that may stream for minutes.
net::awaitable<void> send_error(http::response_stream& out, const answer_encoder& encoder, const api_error& e) {
    const auto response = encoder.error_response(e);
    co_await out.send(response);
}

/// What complete() needs besides the request: where the answer goes and what to store.
struct answer_target {
    const providers::model_binding& binding;
    answer_encoder& encoder;
    http::response_stream& out;
    long prompt_tokens; // estimated once, before a continued chat keeps only its new turn
    route_outcome& routing;
};

/// The answer itself, whole or streamed, once what to store is decided.
net::awaitable<void> complete(const chat_request& req, const answer_target& to, const handler_context& ctx,
                              providers::call_context call, const persist_fn& persist) {
    if (!req.stream)
        co_return co_await complete_collected(req, to.prompt_tokens, to.binding, to.routing, to.encoder, to.out, call, persist);
    streamed_completion completion(req, to.prompt_tokens, to.encoder, to.out, ctx.stream, persist);
    co_await completion.run(to.binding, to.routing, call);
}

/// A turn of a stored conversation: locked, continued with its history, saved before the answer ends.
net::awaitable<void> complete_turn(const chat_request& req, const answer_target& to, const handler_context& ctx,
                                   providers::call_context call, const turn_keeping& keep) {
    auto opened = co_await open_turn(req, to.binding, ctx, keep.conversation_param);
    if (auto* err = std::get_if<api_error>(&opened)) co_return co_await send_error(to.out, to.encoder, *err);
    auto& turn = std::get<conversation_turn_state>(opened);
    providers::conversation_turn provider_view{turn.history, turn.upstream_state};
    call.conversation = &provider_view;
    to.routing.state_owner = turn.record.provider;
    // The next turn may start once this one is saved, before the last bytes reach the client.
    const persist_fn persist = [&](const finished_answer& answer) -> net::awaitable<std::optional<api_error>> {
        auto failed = co_await save_turn(req, answer, *to.routing.answered, turn, ctx, keep);
        co_await ctx.locks.release_now(*turn.lock);
        turn.lock.reset();
        co_return failed;
    };
    co_await complete(req, to, ctx, call, persist);
    if (turn.lock) co_await ctx.locks.release_now(*turn.lock); // a turn that failed: free before the next request
}

/// Stores the front-end's record of a turn (keep.record), with the continuation key it is kept under.
net::awaitable<std::optional<api_error>> record_turn(const turn_keeping& keep, const std::string& key, const handler_context& ctx,
                                                     std::string_view request_id) {
    std::string failure;
    bool unavailable = false;
    try {
        co_await ctx.conversations.run([&](store::conversation_store& s) { keep.record(s, key); });
        co_return std::nullopt;
    } catch (const store::store_unavailable& e) {
        failure = e.what();
        unavailable = true;
    } catch (const std::exception& e) {
        failure = e.what();
    }
    spdlog::error("[{}] storing the answer failed: {}", request_id, failure);
    co_return api_error{unavailable ? error_kind::store_unavailable : error_kind::internal_error,
                        "The answer could not be stored.", std::nullopt, std::nullopt};
}

/// A request without `conversation_id` to an upstream with memory. When its history is one this
/// gateway answered (same caller and model, the answer as sent), the upstream conversation that
/// answered it is continued with only the new turn; otherwise everything is injected, as for
/// any one-shot request. Either way, where the upstream conversation now stands is kept under
/// the fingerprint of the history plus this answer, for the client's next turn. A previous
/// response names where its conversation was left (`keep.continue_from`) instead.
net::awaitable<void> complete_continuable(chat_request& req, const answer_target& to, const handler_context& ctx,
                                          providers::call_context call, const turn_keeping& keep) {
    const auto& binding = to.binding;
    const std::string owner = ctx.owner();
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto cutoff = now - ctx.continuation.ttl.count();
    // A previous response's chain ends where its new input begins; a resent history ends after
    // its last assistant message.
    const std::size_t start = keep.continue_from ? keep.new_input_at : turn::new_turn_start(req.messages);
    turn::history_fingerprint fingerprint(owner, req.model);
    for (std::size_t i = 0; i < start; ++i)
        fingerprint.add(req.messages[i]);
    std::optional<store::continuation> found;
    const bool look = keep.continue_from ? !keep.continue_from->empty() : ctx.continuation.enabled;
    if (look && start > 0 && turn::new_turn_is_one_message(req.messages, start)) {
        const std::string key = keep.continue_from ? *keep.continue_from : fingerprint.key();
        try {
            found =
                co_await ctx.conversations.run([&](store::conversation_store& s) { return s.take_continuation(key, cutoff); });
        } catch (const std::exception& e) {
            spdlog::warn("[{}] reading a continuation failed: {}", call.request_id, e.what());
        }
        if (found && !routes_to(binding, found->provider)) found.reset();
    }
    for (std::size_t i = start; i < req.messages.size(); ++i)
        fingerprint.add(req.messages[i]);
    std::vector<chat_message> history;
    std::string upstream_state;
    if (found) {
        history = turn::split_off_history(req, start);
        upstream_state = std::move(found->upstream_state);
    }
    providers::conversation_turn provider_view{history, upstream_state};
    call.conversation = &provider_view;
    const std::string state_owner = found ? found->provider : std::string();
    to.routing.state_owner = state_owner;
    const persist_fn remember = [&](const finished_answer& answer) -> net::awaitable<std::optional<api_error>> {
        // Cut: the upstream remembers more than was sent.
        const bool resumable = !answer.cut && !upstream_state.empty() && (ctx.continuation.enabled || keep.record);
        if (!resumable) {
            if (!keep.record) co_return std::nullopt;
            static const std::string nowhere;
            co_return co_await record_turn(keep, nowhere, ctx, call.request_id);
        }
        chat_message said;
        said.role = message_role::assistant;
        said.text = answer.text;
        said.tool_calls = answer.calls;
        fingerprint.add(said);
        const std::string key = fingerprint.key();
        const store::continuation next{std::string(to.routing.answered->name()), upstream_state, now};
        bool kept = false;
        try {
            co_await ctx.conversations.run(
                [&](store::conversation_store& s) { s.put_continuation(key, next, cutoff, ctx.continuation.limit); });
            kept = true;
        } catch (const std::exception& e) { // the answer stands; the next turn injects everything
            spdlog::warn("[{}] keeping a continuation failed: {}", call.request_id, e.what());
        }
        if (!keep.record) co_return std::nullopt;
        const std::string kept_under = kept ? key : std::string();
        co_return co_await record_turn(keep, kept_under, ctx, call.request_id);
    };
    co_await complete(req, to, ctx, call, remember);
}

} // namespace

net::awaitable<void> send_error(http::response_stream& out, const api_error& e, http::http_response (*shape)(const api_error&)) {
    const auto response = shape(e);
    co_await out.send(response);
}

net::awaitable<std::variant<model_handle, api_error>> route_to_model(const chat_request& req, const handler_context& ctx,
                                                                     std::string_view request_id) {
    model_handle binding;
    if (const auto* configured = ctx.models.find(req.model)) {
        binding = model_handle(model_handle(), configured); // the registry's own: nothing to own
    } else if (auto* finder = ctx.models.finder_of(req.model)) {
        // Nothing is looked up upstream for a caller who could not use the answer.
        if (auto err = finder->check_ready()) co_return error_for(*err);
        if (ctx.key && !ctx.key->models.empty() &&
            std::find(ctx.key->models.begin(), ctx.key->models.end(), req.model) == ctx.key->models.end() && ctx.limits) {
            auto refused = ctx.limits->admit(ctx.key, false, 0);
            if (auto* err = std::get_if<api_error>(&refused)) co_return std::move(*err);
        }
        const auto found = co_await finder->find_model(req.model, providers::call_context{ctx.http, request_id});
        if (const auto* failed = std::get_if<providers::provider_error>(&found)) co_return error_for(*failed);
        const auto& m = std::get<providers::found_model>(found);
        binding = std::make_shared<const providers::model_binding>(
            providers::model_binding{m.route, finder, {}, m.title, m.description, m.web_search});
    } else {
        co_return api_error{error_kind::model_not_found,
                            "The model `" + req.model + "` does not exist or you do not have access to it.", "model",
                            std::nullopt};
    }
    // Usable when one of its routes can take the request; else the first route says why not.
    std::optional<api_error> refused;
    for (std::size_t i = 0; i < binding->route_count(); ++i) {
        auto err = check_against_provider(req, *binding->at(i).target);
        if (!err) co_return binding;
        if (!refused) refused = std::move(err);
    }
    co_return *refused;
}

namespace {

/// Whether the caller's key may use the model `binding` serves (by its id or an alias).
bool model_allowed(const config::client_key* key, const providers::model_binding& binding, const providers::registry& models) {
    if (!key || key->models.empty()) return true;
    return std::any_of(key->models.begin(), key->models.end(),
                       [&](const std::string& m) { return models.find(m) == &binding || m == binding.route.model_id; });
}

/// The answer once the caller's limits have let it through.
net::awaitable<void> answer_admitted(chat_request& req, const providers::model_binding& binding, answer_encoder& encoder,
                                     http::response_stream& out, const handler_context& ctx, std::string_view request_id,
                                     const turn_keeping& keep, long prompt_tokens) {
    providers::call_context call{ctx.http, request_id};
    call.masked_credential = &out.facts().credential;
    route_outcome routing;
    const answer_target to{binding, encoder, out, prompt_tokens, routing};
    if (req.conversation_id) co_return co_await complete_turn(req, to, ctx, call, keep);
    const bool stateful = ctx.continuation.enabled || keep.continue_from || keep.record;
    if (stateful && binding.target->caps().upstream_memory) co_return co_await complete_continuable(req, to, ctx, call, keep);
    if (keep.record) {
        static const std::string nowhere;
        const persist_fn record = [&](const finished_answer&) { return record_turn(keep, nowhere, ctx, request_id); };
        co_return co_await complete(req, to, ctx, call, record);
    }
    // One-shot: no upstream memory is shared with any other request.
    static const persist_fn nothing_to_store;
    co_await complete(req, to, ctx, call, nothing_to_store);
}

} // namespace

net::awaitable<void> answer_request(chat_request& req, const providers::model_binding& binding, answer_encoder& encoder,
                                    http::response_stream& out, const handler_context& ctx, std::string_view request_id,
                                    const turn_keeping& keep) {
    const long prompt_tokens = estimate_prompt_tokens(req); // before a continued chat keeps only its new turn
    out.facts().model = req.model;
    out.facts().provider = binding.target->name();
    if (!ctx.limits || !ctx.key)
        co_return co_await answer_admitted(req, binding, encoder, out, ctx, request_id, keep, prompt_tokens);
    auto admitted = co_await ctx.limits->admit_everywhere(ctx.key, model_allowed(ctx.key, binding, ctx.models), prompt_tokens);
    if (const auto* refused = std::get_if<api_error>(&admitted)) co_return co_await send_error(out, encoder, *refused);
    auto& ticket = std::get<ops::key_limits::ticket>(admitted);
    co_await answer_admitted(req, binding, encoder, out, ctx, request_id, keep, prompt_tokens);
    ticket.set_completion_tokens(out.facts().completion_tokens);
}

net::awaitable<void> answer_request(chat_request& req, const providers::model_binding& binding, answer_encoder& encoder,
                                    http::response_stream& out, const handler_context& ctx, std::string_view request_id) {
    static const turn_keeping nothing_more;
    co_await answer_request(req, binding, encoder, out, ctx, request_id, nothing_more);
}

// Every local of a coroutine lives in its frame for as long as the coroutine does (GCC does not
// overlap them), and a stream keeps this frame for its whole life: each path gets its own.
net::awaitable<void> handle_chat_completions(const http::http_request& http_req, http::response_stream& out,
                                             handler_context ctx) {
    auto parsed = parse_chat_request(http_req.body);
    if (const auto* err = std::get_if<api_error>(&parsed)) co_return co_await send_error(out, *err);
    auto& req = std::get<chat_request>(parsed);
    const auto routed = co_await route_to_model(req, ctx, http_req.request_id);
    if (const auto* err = std::get_if<api_error>(&routed)) co_return co_await send_error(out, *err);
    chat_encoder encoder(req.model, req.include_usage);
    co_await answer_request(req, *std::get<model_handle>(routed), encoder, out, ctx, http_req.request_id);
}

} // namespace switchyard::api
