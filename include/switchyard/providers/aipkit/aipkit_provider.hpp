#pragma once
// A WordPress site running the AIPKit chat plugin (upstreams.md part B), chatgptfree.ai by
// default: a shared nonce, a cache step that turns the user's message into a single-use key,
// and an SSE stream that answers it. Upstream memory is keyed by (bot_id, conversation_uuid,
// session_id). Each configured site is one provider, named after the site; the bots on its chat
// pages are found by `bot_discovery` and offered as models `<site>/<model>`.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "switchyard/config/settings.hpp"
#include "switchyard/providers/aipkit/bot_discovery.hpp"
#include "switchyard/providers/aipkit/shared_nonce.hpp"
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/providers/provider.hpp"
#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers::aipkit {

class aipkit_provider final : public provider {
public:
    /// A request waits for another request's nonce refresh as long as for an upstream answer
    /// (`upstream.request_timeout`). `discovery_ttl` 0: the chat pages are not read.
    explicit aipkit_provider(config::aipkit_site site, const config::upstream_settings& upstream = {},
                             std::chrono::milliseconds discovery_ttl = {}, config::credential_settings credentials = {});

    std::string_view name() const noexcept override { return settings_.name; }
    capabilities caps() const noexcept override {
        return {.images = true, .web_search = true, .reasoning_in_text = true, .upstream_memory = true};
    }
    std::optional<provider_error> check_ready() const override { return std::nullopt; } // guests need no account
    /// "<site>/<model>": the bots found on the site's chat pages.
    bool finds(std::string_view model_id) const noexcept override;
    net::awaitable<std::variant<found_model, provider_error>> find_model(std::string_view model_id, call_context ctx) override;
    std::vector<found_model> found_models() const override;
    std::string health_note() const override;
    /// One credential: the guest session (SESSION_ID), which the site's quota is counted against.
    credential_pool* credentials() noexcept override { return &guests_; }
    /// Shares the guest's state and the nonce with the other instances.
    void share_through(store::shared_state& shared) override;
    /// Fetches a nonce as the guest: the site answers, and no quota is spent.
    net::awaitable<std::optional<provider_error>> probe(const model_route& route, call_context ctx) override;
    /// One exchange. A rejected nonce or a lost cache key is a protocol step, retried once here
    /// with a fresh one; there are no credentials to rotate.
    net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) override;

private:
    struct identity; // session, conversation and last response id of one upstream memory
    struct outcome;  // what one cache + stream attempt ended with

    net::awaitable<std::string> nonce(const model_route& route, call_context ctx);
    net::awaitable<std::string> fetch_nonce(const model_route& route, call_context ctx);
    /// A nonce another instance fetched, else one fetched now (and offered to the others).
    net::awaitable<std::string> fetch_shared_nonce(const model_route& route, call_context ctx);
    /// The upstream refused `rejected`: no instance uses it again.
    void forget_nonce(const std::string& rejected);
    net::awaitable<outcome> attempt(const std::string& message, const std::string& images, const api::chat_request& req,
                                    const model_route& route, identity& who, event_sink& sink, call_context ctx);
    upstream::header_list headers() const;

    config::aipkit_site settings_;
    std::string label_;  // how messages name the site: "chatgptfree.ai", or the site's name
    std::string base_;   // without trailing slash
    std::string origin_; // the site's own Origin, the only one it accepts
    std::chrono::milliseconds nonce_wait_;
    shared_nonce nonce_; // shared by every request, like a browser's page config
    credential_pool guests_;
    std::unique_ptr<bot_discovery> discovery_; // null when the site's pages are not read
    store::shared_state* shared_ = nullptr;    // set before the first request, when instances share state
    std::string shared_nonce_name_;
    std::mutex rejected_mutex_;
    std::string rejected_nonce_; // the last one refused, never taken back from the others
};

/// The text that starts an upstream conversation: the message itself, or, when there are earlier
/// turns (in the request or a stored `history`), a transcript ending with the last user message
/// (AIPKit takes one message).
std::string one_shot_message(const api::chat_request& req, const std::vector<api::chat_message>& history = {});

/// `image_inputs` JSON for the last user message's data: URL images; a `request_rejected` (more
/// than 4, not JPEG/PNG/WEBP) or `request_unsupported` (not a data: URL) provider_error naming the part.
std::variant<std::string, provider_error> image_inputs(const api::chat_request& req);

} // namespace switchyard::providers::aipkit
