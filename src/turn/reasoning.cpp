#include "switchyard/turn/reasoning.hpp"

#include <algorithm>

#include "switchyard/providers/attempts.hpp"

namespace switchyard::turn {
namespace {

constexpr std::string_view open_tag = "<think>";
constexpr std::string_view close_tag = "</think>";

std::size_t partial_suffix(std::string_view text, std::string_view tag) {
    for (std::size_t k = std::min(text.size(), tag.size() - 1); k > 0; --k)
        if (tag.starts_with(text.substr(text.size() - k))) return k;
    return 0;
}

} // namespace

void think_splitter::emit(bool reasoning, std::string text, std::vector<piece>& out) {
    if (text.empty()) return;
    if (!out.empty() && out.back().reasoning == reasoning) {
        out.back().text += text;
        return;
    }
    out.push_back({reasoning, std::move(text)});
}

void think_splitter::push(std::string_view delta, std::vector<piece>& out) {
    if (state_ == state::answering) return emit(false, std::string(delta), out);
    if (state_ == state::closed) { // the line break after the block is layout, in whatever delta it comes
        const auto first = delta.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos) return;
        state_ = state::answering;
        return emit(false, std::string(delta.substr(first)), out);
    }
    held_.append(delta);
    if (state_ == state::start) {
        const auto first = held_.find_first_not_of(" \t\r\n");
        if (first == std::string::npos) return; // only white space so far
        const std::string_view rest = std::string_view(held_).substr(first);
        if (rest.size() < open_tag.size() && open_tag.starts_with(rest)) return; // "<thi…": undecided
        if (!rest.starts_with(open_tag)) {
            state_ = state::answering;
            emit(false, std::move(held_), out);
            held_.clear();
            return;
        }
        held_.erase(0, first + open_tag.size());
        state_ = state::thinking;
    }
    // thinking: release all but a possible partial close tag
    const auto end = held_.find(close_tag);
    if (end != std::string::npos) {
        emit(true, held_.substr(0, end), out);
        const std::string rest = held_.substr(end + close_tag.size());
        held_.clear();
        state_ = state::closed;
        push(rest, out);
        return;
    }
    const std::size_t hold = partial_suffix(held_, close_tag);
    emit(true, held_.substr(0, held_.size() - hold), out);
    held_.erase(0, held_.size() - hold);
}

void think_splitter::finish(std::vector<piece>& out) {
    emit(state_ == state::thinking, std::move(held_), out);
    held_.clear();
    state_ = state::answering;
}

net::awaitable<bool> reasoning_sink::send(bool reasoning, std::string& text) {
    if (text.empty()) co_return true;
    if (!reasoning) {
        if (inline_open_) {
            inline_open_ = false;
            providers::provider_event close{providers::text_delta{"</think>\n\n"}};
            if (!co_await next_.emit(std::move(close))) co_return false;
        }
        providers::provider_event ev{providers::text_delta{std::move(text)}};
        co_return co_await next_.emit(std::move(ev));
    }
    switch (mode_) {
    case config::reasoning_mode::drop: co_return true;
    case config::reasoning_mode::split: {
        providers::provider_event ev{providers::reasoning_delta{std::move(text)}};
        co_return co_await next_.emit(std::move(ev));
    }
    case config::reasoning_mode::inline_: break;
    }
    std::string shown = inline_open_ ? std::move(text) : "<think>" + text;
    inline_open_ = true;
    providers::provider_event ev{providers::text_delta{std::move(shown)}};
    co_return co_await next_.emit(std::move(ev));
}

net::awaitable<bool> reasoning_sink::pass(std::vector<think_splitter::piece>& pieces) {
    for (auto& p : pieces)
        if (!co_await send(p.reasoning, p.text)) co_return false;
    co_return true;
}

net::awaitable<bool> reasoning_sink::deliver(providers::provider_event&& ev) {
    if (auto* r = std::get_if<providers::reasoning_delta>(&ev)) co_return co_await send(true, r->text);
    if (auto* t = std::get_if<providers::text_delta>(&ev)) {
        std::vector<think_splitter::piece> pieces;
        if (mode_ == config::reasoning_mode::inline_)
            pieces.push_back({false, std::move(t->text)}); // <think> tags stay in the content as written
        else
            splitter_.push(t->text, pieces);
        co_return co_await pass(pieces);
    }
    if (inline_open_ && providers::is_output(ev)) { // a tool call ends the thinking too
        std::string close = "</think>\n\n";
        inline_open_ = false;
        providers::provider_event closing{providers::text_delta{std::move(close)}};
        if (!co_await next_.emit(std::move(closing))) co_return false;
    }
    co_return co_await next_.emit(std::move(ev));
}

net::awaitable<bool> reasoning_sink::finish() {
    std::vector<think_splitter::piece> pieces;
    splitter_.finish(pieces);
    if (!co_await pass(pieces)) co_return false;
    if (!inline_open_) co_return true;
    inline_open_ = false;
    providers::provider_event close{providers::text_delta{"</think>"}};
    co_return co_await next_.emit(std::move(close));
}

bool needs_reasoning_policy(const providers::provider& p, config::reasoning_mode mode) {
    return p.caps().reasoning_in_text || mode != config::reasoning_mode::split;
}

net::awaitable<std::optional<providers::provider_error>>
run_with_reasoning_policy(providers::provider& p, const api::chat_request& req, const providers::model_route& route,
                          providers::event_sink& client, providers::call_context ctx) {
    reasoning_sink policy(client, route.reasoning);
    auto failed = co_await providers::run_attempts(p, req, route, policy, ctx);
    if (!failed) co_await policy.finish();
    co_return failed;
}

} // namespace switchyard::turn
