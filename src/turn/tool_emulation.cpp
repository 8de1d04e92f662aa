#include "switchyard/turn/tool_emulation.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <type_traits>

#include "switchyard/providers/attempts.hpp"
#include "switchyard/turn/json_schema.hpp"
#include "switchyard/turn/reasoning.hpp"
#include "switchyard/turn/tool_call_parser.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::turn {

namespace net = boost::asio;

namespace {

using api::message_role;
using api::tool_choice_mode;
using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Rendered JSON keeps its keys in order ("name" before "arguments"), as models are shown it.
using ordered = nlohmann::ordered_json;

std::string dump(const ordered& j) { return j.dump(-1, ' ', false, ordered::error_handler_t::replace); }

/// A call as the model should write it: arguments as a JSON object when they are one.
std::string call_block_text(const api::tool_call& c) {
    const ordered args = ordered::parse(c.arguments, nullptr, false);
    ordered call = {{"name", c.name}, {"arguments", args.is_discarded() ? ordered(c.arguments) : args}};
    return "<tool_call>" + dump(call) + "</tool_call>";
}

std::string tool_name_of(const std::vector<api::chat_message>& messages, const api::chat_message& result) {
    if (!result.name.empty()) return result.name;
    for (const auto& m : messages)
        for (const auto& c : m.tool_calls)
            if (c.id == result.tool_call_id) return c.name;
    return "tool";
}

// Bounds on what one answer may hold back: text held for a required call, the raw answer kept
// for a repair prompt.
constexpr std::size_t max_held_text = 1024 * 1024;
constexpr std::size_t max_raw_answer = 64 * 1024;

/// Sits between the provider and the client's sink: passes text on, turns calls into events.
class emulating_sink final : public providers::event_sink {
public:
    emulating_sink(const api::chat_request& req, providers::event_sink& client, bool may_repair)
        : req_(req), client_(client), may_repair_(may_repair),
          hold_text_(req.tool_choice.mode == tool_choice_mode::required || req.tool_choice.mode == tool_choice_mode::named),
          parser_([&req](std::string_view name) { return req.find_tool(name) != nullptr; }) {}

    std::optional<std::string> repair_problem; // the answer needs a repair round
    std::optional<std::string> strict_failure; // a strict tool's call is invalid and cannot be repaired
    std::string raw_answer;                    // what the model wrote, for the repair prompt
    std::size_t calls = 0;

    /// The end of the answer: decides what the parser still holds.
    net::awaitable<void> finish() {
        if (stopped_) co_return;
        std::vector<parsed_piece> pieces;
        parser_.finish(pieces);
        co_await handle(pieces);
    }

    /// Whether the model answered without a call although one was required.
    bool missed_required_call() const { return hold_text_ && calls == 0 && !stopped_; }

    /// Sends the text held back while a call was required.
    net::awaitable<void> release_held_text() {
        if (held_.empty()) co_return;
        providers::provider_event ev{providers::text_delta{std::move(held_)}};
        held_.clear();
        co_await client_.emit(std::move(ev));
    }

private:
    net::awaitable<bool> deliver(providers::provider_event&& ev) override {
        if (stopped_) co_return false;
        auto* text = std::get_if<providers::text_delta>(&ev);
        if (!text) co_return co_await client_.emit(std::move(ev)); // reasoning, usage and finish pass on
        if (raw_answer.size() < max_raw_answer) raw_answer.append(text->text, 0, max_raw_answer - raw_answer.size());
        std::vector<parsed_piece> pieces;
        parser_.push(text->text, pieces);
        co_return co_await handle(pieces);
    }

    net::awaitable<bool> handle(std::vector<parsed_piece>& pieces) {
        for (auto& piece : pieces) {
            bool more = true;
            if (auto* t = std::get_if<text_piece>(&piece))
                more = co_await text_out(t->text);
            else if (auto* block = std::get_if<call_block>(&piece))
                more = co_await calls_out(*block);
            else
                more = co_await broken_out(std::get<broken_call>(piece));
            if (!more) {
                stopped_ = true;
                co_return false;
            }
        }
        co_return true;
    }

    /// Takes `text` by reference, moving from it: a by-value string argument of a coroutine is a
    /// temporary inside the co_await operand, which GCC 12 destroys twice.
    net::awaitable<bool> text_out(std::string& text) {
        if (hold_text_ && held_.size() + text.size() <= max_held_text) {
            held_ += text;
            co_return true;
        }
        providers::provider_event ev{providers::text_delta{std::move(text)}};
        co_return co_await client_.emit(std::move(ev));
    }

    /// What is wrong with one call, or nullopt.
    std::optional<std::string> problem_of(const found_call& c) const {
        if (req_.tool_choice.mode == tool_choice_mode::named && c.name != req_.tool_choice.name)
            return "the function '" + req_.tool_choice.name + "' must be called, not '" + c.name + "'";
        if (!c.arguments_are_json) return "the arguments of '" + c.name + "' are not a JSON object";
        const auto* tool = req_.find_tool(c.name);
        if (!tool || tool->parameters.is_null()) return std::nullopt;
        const json args = json::parse(c.arguments, nullptr, false);
        if (auto why = schema_violation(tool->parameters, args)) return "the arguments of '" + c.name + "' are invalid: " + *why;
        return std::nullopt;
    }

    net::awaitable<bool> calls_out(const call_block& block) {
        for (const auto& c : block.calls) {
            const auto problem = problem_of(c);
            if (!problem) continue;
            if (may_repair_ && !client_.output_seen()) {
                repair_problem = *problem;
                co_return false;
            }
            const auto* tool = req_.find_tool(c.name);
            if (tool && tool->strict) {
                strict_failure = *problem;
                co_return false;
            }
        }
        // Valid, or not strict and past repair: returned as the model wrote them.
        for (const auto& c : block.calls) {
            const std::size_t index = calls++;
            providers::provider_event begin{providers::tool_call_begin{index, "call_" + ids::alphanumeric(24), c.name}};
            if (!co_await client_.emit(std::move(begin))) co_return false;
            providers::provider_event args{providers::tool_call_arguments{index, c.arguments}};
            if (!co_await client_.emit(std::move(args))) co_return false;
            providers::provider_event end{providers::tool_call_end{index}};
            if (!co_await client_.emit(std::move(end))) co_return false;
        }
        co_return true;
    }

    net::awaitable<bool> broken_out(broken_call& broken) {
        if (may_repair_ && !client_.output_seen()) {
            repair_problem = broken.problem;
            co_return false;
        }
        co_return co_await text_out(broken.raw); // what the model wrote is its answer
    }

    const api::chat_request& req_;
    providers::event_sink& client_;
    bool may_repair_;
    bool hold_text_;
    bool stopped_ = false;
    tool_call_parser parser_;
    std::string held_;
};

/// The rendered request plus the model's unusable answer and a note on what to fix.
api::chat_request with_correction(const api::chat_request& rendered, const std::string& answer, const std::string& note) {
    api::chat_request next = rendered;
    api::chat_message said;
    said.role = message_role::assistant;
    said.text = answer;
    api::chat_message fix;
    fix.role = message_role::user;
    fix.text = note;
    next.messages.push_back(std::move(said));
    next.messages.push_back(std::move(fix));
    return next;
}

std::string forced_call_note(const api::chat_request& req) {
    if (req.tool_choice.mode == tool_choice_mode::named) return "You must call the function `" + req.tool_choice.name + "` now.";
    return "You must call at least one function now.";
}

} // namespace

bool needs_emulation(const api::chat_request& req, const providers::conversation_turn* conversation) {
    if (!req.tools.empty()) return true;
    const auto has_tool_turns = [](const std::vector<api::chat_message>& messages) {
        return std::any_of(messages.begin(), messages.end(),
                           [](const api::chat_message& m) { return m.role == message_role::tool || !m.tool_calls.empty(); });
    };
    return has_tool_turns(req.messages) || (conversation && has_tool_turns(conversation->history));
}

std::string tool_instructions(const api::chat_request& req) {
    if (req.tools.empty() || req.tool_choice.mode == tool_choice_mode::none) return {};
    std::string out = "# Tools\nYou can call these functions. Each one's arguments follow its JSON Schema.\n<tools>\n";
    for (const auto& t : req.tools) {
        ordered line = {{"name", t.name}};
        if (!t.description.empty()) line["description"] = t.description;
        line["parameters"] = t.parameters.is_null() ? ordered::object() : ordered::parse(dump(t.parameters));
        out += dump(line);
        out += '\n';
    }
    out += "</tools>\nTo call a function, reply with this block and nothing else, one block per call:\n"
           "<tool_call>{\"name\": \"<function name>\", \"arguments\": {<arguments as JSON>}}</tool_call>\n"
           "Results come back in <tool_response> blocks; answer the user from them.\n";
    if (req.tool_choice.mode == tool_choice_mode::automatic)
        out += "Call a function only when it helps; otherwise answer directly.\n";
    else
        out += forced_call_note(req) + '\n';
    return out;
}

std::vector<api::chat_message> render_messages(const std::vector<api::chat_message>& messages) {
    std::vector<api::chat_message> out;
    for (const auto& m : messages) {
        if (m.role == message_role::tool) {
            std::string block = "<tool_response name=\"" + tool_name_of(messages, m) + "\"";
            if (!m.tool_call_id.empty()) block += " id=\"" + m.tool_call_id + "\"";
            block += ">\n" + m.text + "\n</tool_response>";
            // Results of one round of calls go upstream as one message.
            if (!out.empty() && out.back().role == message_role::user && out.back().text.ends_with("</tool_response>")) {
                out.back().text += "\n" + block;
            } else {
                api::chat_message results;
                results.role = message_role::user;
                results.text = std::move(block);
                out.push_back(std::move(results));
            }
            continue;
        }
        api::chat_message plain;
        plain.role = m.role;
        plain.text = m.text;
        plain.images = m.images;
        for (const auto& c : m.tool_calls) {
            if (!plain.text.empty()) plain.text += '\n';
            plain.text += call_block_text(c);
        }
        out.push_back(std::move(plain));
    }
    return out;
}

api::chat_request render_for_emulation(const api::chat_request& req) {
    api::chat_request out = req;
    out.messages = render_messages(req.messages);
    if (const std::string tools = tool_instructions(req); !tools.empty()) {
        for (auto it = out.messages.rbegin(); it != out.messages.rend(); ++it)
            if (it->role == message_role::user) {
                it->text = tools + "\n" + it->text;
                break;
            }
    }
    return out;
}

net::awaitable<std::optional<providers::provider_error>>
run_with_emulated_tools(providers::provider& p, const api::chat_request& req, const providers::model_route& route,
                        providers::event_sink& client, providers::call_context ctx) {
    api::chat_request rendered = render_for_emulation(req);
    // The history of a continued conversation reaches the upstream only when it must start
    // again (it forgot, or its memory is full); it is rendered the same way.
    std::vector<api::chat_message> rendered_history;
    std::optional<providers::conversation_turn> rendered_turn;
    if (ctx.conversation && !ctx.conversation->history.empty()) {
        rendered_history = render_messages(ctx.conversation->history);
        rendered_turn.emplace(providers::conversation_turn{rendered_history, ctx.conversation->upstream_state});
        ctx.conversation = &*rendered_turn;
    }
    if (req.tools.empty() || req.tool_choice.mode == tool_choice_mode::none) { // no tools offered: history only
        if (needs_reasoning_policy(p, route.reasoning))
            co_return co_await run_with_reasoning_policy(p, rendered, route, client, ctx);
        co_return co_await providers::run_attempts(p, rendered, route, client, ctx);
    }
    const bool policy = needs_reasoning_policy(p, route.reasoning);
    for (int round = 0; round < 2; ++round) {
        const bool last_round = round == 1;
        // provider → reasoning policy → tool-call parser → client: a <think> block is never
        // read for calls.
        emulating_sink sink(req, client, !last_round);
        reasoning_sink thinking(sink, route.reasoning);
        auto failed = co_await providers::run_attempts(p, rendered, route,
                                                       policy ? static_cast<providers::event_sink&>(thinking) : sink, ctx);
        if (failed) co_return failed;
        if (policy) co_await thinking.finish();
        co_await sink.finish();
        if (sink.strict_failure)
            co_return providers::provider_error{providers::failure_reason::tool_call_invalid,
                                                "The model's tool call does not match the tool's schema after a repair "
                                                "round: " +
                                                    *sink.strict_failure,
                                                std::nullopt, std::nullopt};
        if (sink.repair_problem && !last_round) {
            rendered = with_correction(rendered, sink.raw_answer,
                                       "Your last reply had a problem: " + *sink.repair_problem +
                                           ". Reply again with only the corrected <tool_call> block(s).");
            continue;
        }
        if (sink.missed_required_call() && !last_round && !client.output_seen()) {
            rendered = with_correction(rendered, sink.raw_answer,
                                       "You did not call a function. " + forced_call_note(req) +
                                           " Reply with only <tool_call> block(s).");
            continue;
        }
        co_await sink.release_held_text();
        co_return std::nullopt;
    }
    co_return std::nullopt;
}

} // namespace switchyard::turn
