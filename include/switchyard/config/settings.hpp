#pragma once
// Everything the gateway is configured with: command line, environment (.env included) and
// the JSON config file, resolved once at start-up into plain values.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "switchyard/config/dotenv.hpp"

namespace switchyard::config {

using std::chrono::milliseconds;

struct listen_address {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8088;
};

struct server_limits {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 32 * 1024 * 1024; // base64 images are large
    milliseconds header_timeout{30'000};
    milliseconds idle_timeout{75'000};
    milliseconds write_timeout{60'000};
    std::size_t max_connections = 10'000;
    milliseconds shutdown_grace{10'000};
};

struct stream_settings {
    milliseconds commit_hold{3'000};         // how long the 200 head may wait for the first event
    milliseconds keepalive_interval{15'000}; // `: keep-alive` comment cadence while idle
};

struct upstream_settings {
    milliseconds connect_timeout{10'000};
    milliseconds request_timeout{120'000}; // time to the first byte of the answer
    milliseconds idle_timeout{60'000};     // longest silence inside a streamed body
    std::string ca_file;
    bool tls_verify = true;
    std::string https_proxy;
    std::string http_proxy;
    std::size_t pool_max_idle_per_host = 32;
    milliseconds pool_idle_timeout{4'000}; // pooled connections idle longer are not reused
    std::string no_proxy;                  // NO_PROXY as given; see upstream::bypasses_proxy
};

enum class signature_scheme { v1, v2, v3, none };

struct flowgpt_settings {
    std::string base_url = "https://prod-backend-k8s.flowgpt.com";
    std::vector<std::string> tokens; // without the "Bearer " prefix
    std::string device_id;
    signature_scheme signature = signature_scheme::v2;
    std::string upstream_model = "FlowGPT-Ares";
    std::size_t prefix_lookahead = 150;
    milliseconds token_cooldown{300'000};
    /// How /v3/chat gets the context: "conversation" (seeded by /conversation/create, which the
    /// upstream then remembers) or "history" (sent inline with every question).
    std::string mode = "conversation";
    bool anonymous = false; // FLOWGPT_ANONYMOUS: /v3/chat-anonymous, no account, for requests without a token
    std::vector<std::string> anonymous_models{
        "gpt-3.5-turbo", "gpt-3.5-long",  "gpt-4-turbo",   "google-gemini",      "claude-instant", "claude-v1",       "claude-v2",
        "llama2-13b",    "mythalion-13b", "pygmalion-13b", "chronos-hermes-13b", "Mixtral-8x7B",   "Dolphin-2.6-8x7B"};
    milliseconds prompt_ttl{3'600'000}; // how long a prompt looked up by its slug (flowgpt/<slug>) is kept
};

/// One WordPress site running the AIPKit chat plugin (upstreams.md part B); each is a provider
/// of its own, named after the site. chatgptfree.ai is the default one.
struct aipkit_site {
    std::string name = "chatgptfree"; // the provider's name, and the prefix of the bots found on its pages
    std::string base_url = "https://chatgptfree.ai";
    std::vector<std::string> pages{"/chat/", "/"}; // chat pages read for their bots; none: no discovery
    std::string cookie;                            // COOKIE, sent as Cookie
    std::string ajax_nonce;                        // AJAX_NONCE; fetched and refreshed automatically when absent or rejected
    std::string session_id;                        // SESSION_ID, the guest identity; a random one per process when absent
    std::string post_id;                           // POST_ID
    milliseconds quota_cooldown{600'000};          // how long the guest session rests once its quota is used up
};

/// One OpenAI-compatible upstream (llama.cpp, vLLM, another gateway, the emulator's OpenAI mode).
struct openai_upstream {
    std::string name = "openai";       // the provider's name, shown as owned_by
    std::string base_url;              // up to and including /v1
    std::vector<std::string> api_keys; // a pool, used round-robin
    std::vector<std::string> models;   // upstream model ids; empty with all_models: ask /models
    bool all_models = false;           // models: "*"
    std::string prefix;                // exposed ids are prefix + upstream id
    std::chrono::milliseconds key_cooldown{60'000};
};

/// How every provider treats its upstream credentials (providers/credential_pool.hpp).
struct credential_settings {
    unsigned max_concurrent = 0; // exchanges at once per credential; 0: no limit
    unsigned dead_after = 3;     // refusals in a row before a credential is out of use
};

/// Transparent continuation: a stateless client's resent history continues the upstream
/// conversation that answered it (turn/continuation.hpp).
struct continuation_settings {
    bool enabled = true; // SWITCHYARD_CONTINUATION
    std::chrono::seconds ttl{24 * 3600};
    std::size_t limit = 100'000; // entries kept; the oldest go first
};

struct conversation_settings {
    std::string data_dir = "./data";                  // SWITCHYARD_DATA_DIR / --data-dir
    std::string store = "sqlite";                     // "sqlite", "redis" (shared by several instances), or "memory" (tests)
    std::string redis_url = "redis://127.0.0.1:6379"; // REDIS_URL, for the redis store
    std::chrono::seconds idle_ttl{30 * 24 * 3600};
    continuation_settings continuation;
};

/// How a model's reasoning reaches the client.
enum class reasoning_mode {
    split,   // as `reasoning_content`, apart from the answer (the default)
    inline_, // in the content, inside <think>…</think>, for front-ends that render the tags
    drop,    // not at all
};

/// Where a model's requests go: a provider and the upstream's id for the model there.
struct route_entry {
    std::string provider;    // "flowgpt", "chatgptfree", an OpenAI-compatible upstream's name
    std::string upstream_id; // FlowGPT promptId, AIPKit bot_id, an upstream model id
};

struct model_entry {
    std::string id;
    std::string provider;    // the first route: "flowgpt"
    std::string upstream_id; // FlowGPT promptId
    reasoning_mode reasoning = reasoning_mode::split;
    std::vector<std::string> aliases;     // other ids that name this model (a client's Claude model names)
    std::vector<route_entry> fallbacks{}; // tried in order when the first route fails before an answer starts
};

/// A named client key with its limits (the config file's `keys`). Keys from API_MASTER_KEY are
/// named key1, key2, … and have none. 0 means no limit.
struct client_key {
    std::string name;
    std::string key;        // the key itself, or
    std::string key_sha256; // its SHA-256 in hex, so the file need not hold the key
    long rpm = 0;           // requests per minute
    long tpm = 0;           // (estimated) tokens per minute, prompt and completion
    long max_concurrent = 0;
    std::vector<std::string> models; // the models it may use (ids or aliases); empty: all

    bool limited() const noexcept { return rpm > 0 || tpm > 0 || max_concurrent > 0 || !models.empty(); }
};

struct settings {
    listen_address listen;
    unsigned threads = 0; // 0: one per core
    std::string log_level = "info";
    std::string log_format = "text"; // or "json"
    std::vector<std::string> api_keys;
    std::vector<client_key> keys; // named keys with limits, beside api_keys
    std::string admin_key;        // for /metrics; empty: loopback callers only
    bool metrics = true;
    bool allow_no_auth = false;
    server_limits limits;
    stream_settings stream;
    upstream_settings upstream;
    flowgpt_settings flowgpt;
    aipkit_site chatgptfree;                      // the default AIPKit site, where the AIPKit variables apply
    std::vector<aipkit_site> aipkit_sites;        // more AIPKit sites (providers.aipkit.sites)
    milliseconds aipkit_discovery_ttl{3'600'000}; // how often the sites' chat pages are read again
    std::vector<openai_upstream> openai;
    credential_settings credentials;
    conversation_settings conversations;
    std::vector<model_entry> models;
    std::vector<std::string> cors_origins; // web pages that may call while auth is off (http/cors.hpp)
};

/// The command line, read but not yet validated: option values are checked by load_settings.
struct cli_options {
    std::string config_file = "config/switchyard.json";
    bool config_file_given = false;
    std::string env_file = ".env";
    bool env_file_given = false;
    bool show_version = false;
    bool show_help = false;
    std::vector<std::pair<std::string, std::string>> values; // (flag, value) in command-line order
};

/// Thrown for a bad flag, a bad file or a bad value; the message is meant for the operator.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Reads flags; throws config_error for an unknown flag (naming the closest known one) or a
/// missing value.
cli_options parse_command_line(int argc, const char* const* argv);
/// `--help`, generated from the option table (options.hpp).
std::string usage_text();

/// Parses "HOST:PORT" (IPv6 hosts in brackets).
listen_address parse_listen_address(const std::string& text);

/// Resolves the final settings. Precedence: command line, then environment (the real one wins
/// over `.env`), then the config file, then built-in defaults. Every value is validated: a bad
/// value, or an unknown key in the config file, throws config_error naming it.
settings load_settings(const cli_options& cli, const environment& env);

/// "v1", "v2", "v3" or "none"; throws config_error otherwise.
signature_scheme parse_signature_scheme(const std::string& name);

/// Splits a comma-separated list, trimming blanks and dropping empty items.
std::vector<std::string> split_list(const std::string& text);

} // namespace switchyard::config
