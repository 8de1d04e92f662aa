#pragma once
// Transparent continuation. Most chat front-ends resend the whole history with every turn. When
// that history is one switchyard answered before (same caller, same model, the answer as it was
// sent), the web upstream still remembers it: the gateway continues that upstream conversation
// with only the new turn instead of injecting everything again. The store keeps, under the
// fingerprint of each answered history, where its upstream conversation stands.
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/api/chat_request.hpp"

namespace switchyard::turn {

/// A running SHA-256 over normalised messages: role, text without surrounding whitespace,
/// images, tool calls (arguments re-serialised when they are JSON, since clients such as
/// LangChain send back parsed arguments) and tool_call_id. Names and unmodelled fields are left
/// out. Keyed by the caller (an owner digest) and the model.
class history_fingerprint {
public:
    history_fingerprint(std::string_view owner, std::string_view model);
    history_fingerprint(const history_fingerprint&) = delete;
    history_fingerprint& operator=(const history_fingerprint&) = delete;

    void add(const api::chat_message& m);
    /// Hex digest of everything added so far; more may be added after.
    std::string key() const;

private:
    void field(std::string_view bytes);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

/// Where the new turn of a resent history starts: just after its last assistant message. 0 when
/// there is none (a first turn) and messages.size() when the history ends with the assistant.
std::size_t new_turn_start(const std::vector<api::chat_message>& messages);

/// Whether the messages from `start` on reach a continued upstream conversation whole: it takes
/// one message a turn, so the new turn must be one user message or one round of tool results
/// (which tool emulation sends as one message). Anything else is injected in full.
bool new_turn_is_one_message(const std::vector<api::chat_message>& messages, std::size_t start);

/// Moves the messages before `start` out of `req` and returns them, leaving only the new turn.
/// Tool results keep the name of the call they answer, which was in the part moved out.
std::vector<api::chat_message> split_off_history(api::chat_request& req, std::size_t start);

} // namespace switchyard::turn
