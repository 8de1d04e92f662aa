#include "switchyard/turn/continuation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <stdexcept>

#include "switchyard/util/secrets.hpp"

namespace switchyard::turn {
namespace {

std::string_view trimmed(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

/// Arguments as compact JSON with sorted keys, so `{"a": 1}` and `{"a":1}` match.
std::string canonical_arguments(std::string_view arguments) {
    const auto doc = nlohmann::json::parse(arguments, nullptr, false);
    if (doc.is_discarded()) return std::string(trimmed(arguments));
    return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

history_fingerprint::history_fingerprint(std::string_view owner, std::string_view model)
    : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!ctx_ || !md || EVP_DigestInit_ex2(ctx_.get(), md, nullptr) != 1) throw std::runtime_error("SHA-256 is unavailable");
    field(owner);
    field(model);
}

// Every field is length-prefixed, so no two different histories hash the same bytes.
void history_fingerprint::field(std::string_view bytes) {
    const auto size = static_cast<std::uint64_t>(bytes.size());
    EVP_DigestUpdate(ctx_.get(), &size, sizeof size);
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

void history_fingerprint::add(const api::chat_message& m) {
    field(api::role_name(m.role));
    field(trimmed(m.text));
    field(std::to_string(m.images.size()));
    for (const auto& image : m.images)
        field(image.url);
    field(std::to_string(m.tool_calls.size()));
    for (const auto& call : m.tool_calls) {
        field(call.id);
        field(call.name);
        field(canonical_arguments(call.arguments));
    }
    field(m.tool_call_id);
}

std::string history_fingerprint::key() const {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> copy(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    secrets::sha256_digest digest{};
    unsigned int len = 0;
    if (!copy || EVP_MD_CTX_copy_ex(copy.get(), ctx_.get()) != 1 || EVP_DigestFinal_ex(copy.get(), digest.data(), &len) != 1)
        throw std::runtime_error("SHA-256 failed");
    return secrets::to_hex(digest);
}

std::size_t new_turn_start(const std::vector<api::chat_message>& messages) {
    for (std::size_t i = messages.size(); i > 0; --i)
        if (messages[i - 1].role == api::message_role::assistant) return i;
    return 0;
}

bool new_turn_is_one_message(const std::vector<api::chat_message>& messages, std::size_t start) {
    if (start >= messages.size()) return false;
    if (messages.size() - start == 1 && messages[start].role == api::message_role::user) return true;
    return std::all_of(messages.begin() + static_cast<std::ptrdiff_t>(start), messages.end(),
                       [](const api::chat_message& m) { return m.role == api::message_role::tool; });
}

std::vector<api::chat_message> split_off_history(api::chat_request& req, std::size_t start) {
    start = std::min(start, req.messages.size());
    for (std::size_t i = start; i < req.messages.size(); ++i) {
        auto& m = req.messages[i];
        if (m.role != api::message_role::tool || !m.name.empty()) continue;
        for (std::size_t j = 0; j < start && m.name.empty(); ++j)
            for (const auto& call : req.messages[j].tool_calls)
                if (call.id == m.tool_call_id) m.name = call.name;
    }
    std::vector<api::chat_message> history(std::make_move_iterator(req.messages.begin()),
                                           std::make_move_iterator(req.messages.begin() + static_cast<std::ptrdiff_t>(start)));
    req.messages.erase(req.messages.begin(), req.messages.begin() + static_cast<std::ptrdiff_t>(start));
    return history;
}

} // namespace switchyard::turn
