#include "switchyard/config/settings.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

namespace switchyard::config {
namespace {

using nlohmann::json;

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

unsigned long parse_unsigned(const std::string& text, const std::string& what) {
    unsigned long value = 0;
    const auto* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || p != end) throw config_error(what + ": expected a non-negative integer, got '" + text + "'");
    return value;
}

milliseconds seconds_value(const std::string& text, const std::string& what) {
    try {
        std::size_t used = 0;
        const double s = std::stod(text, &used);
        if (used != text.size() || s <= 0) throw std::invalid_argument(text);
        return milliseconds(static_cast<long long>(s * 1000));
    } catch (const std::logic_error&) {
        throw config_error(what + ": expected a positive number of seconds, got '" + text + "'");
    }
}

template <class T> void read(const json& obj, const char* key, T& out) {
    if (auto it = obj.find(key); it != obj.end() && !it->is_null()) out = it->get<T>();
}

void read_ms(const json& obj, const char* key, milliseconds& out) {
    if (auto it = obj.find(key); it != obj.end() && it->is_number()) out = milliseconds(it->get<long long>());
}

void apply_config_file(const json& doc, settings& s) {
    if (auto it = doc.find("server"); it != doc.end()) {
        const json& j = *it;
        read(j, "max_header_bytes", s.limits.max_header_bytes);
        read(j, "max_body_bytes", s.limits.max_body_bytes);
        read(j, "max_connections", s.limits.max_connections);
        read_ms(j, "header_timeout_ms", s.limits.header_timeout);
        read_ms(j, "idle_timeout_ms", s.limits.idle_timeout);
        read_ms(j, "write_timeout_ms", s.limits.write_timeout);
        read_ms(j, "shutdown_grace_ms", s.limits.shutdown_grace);
        if (auto l = j.find("listen"); l != j.end() && l->is_string()) s.listen = parse_listen_address(*l);
        read(j, "threads", s.threads);
    }
    if (auto it = doc.find("stream"); it != doc.end()) {
        read_ms(*it, "commit_hold_ms", s.stream.commit_hold);
        read_ms(*it, "keepalive_interval_ms", s.stream.keepalive_interval);
    }
    if (auto it = doc.find("upstream"); it != doc.end()) {
        const json& j = *it;
        read_ms(j, "connect_timeout_ms", s.upstream.connect_timeout);
        read_ms(j, "request_timeout_ms", s.upstream.request_timeout);
        read_ms(j, "idle_timeout_ms", s.upstream.idle_timeout);
        read(j, "ca_file", s.upstream.ca_file);
        read(j, "tls_verify", s.upstream.tls_verify);
        read(j, "pool_max_idle_per_host", s.upstream.pool_max_idle_per_host);
    }
    if (auto p = doc.find("providers"); p != doc.end()) {
        if (auto it = p->find("flowgpt"); it != p->end()) {
            const json& j = *it;
            read(j, "base_url", s.flowgpt.base_url);
            read(j, "upstream_model", s.flowgpt.upstream_model);
            read(j, "prefix_lookahead", s.flowgpt.prefix_lookahead);
            read_ms(j, "token_cooldown_ms", s.flowgpt.token_cooldown);
            if (auto sig = j.find("signature"); sig != j.end() && sig->is_string())
                s.flowgpt.signature = parse_signature_scheme(sig->get<std::string>());
        }
    }
    if (auto it = doc.find("conversations"); it != doc.end()) {
        read(*it, "data_dir", s.conversations.data_dir);
        read(*it, "store", s.conversations.store);
        if (auto ttl = it->find("idle_ttl_s"); ttl != it->end() && ttl->is_number_integer())
            s.conversations.idle_ttl = std::chrono::seconds(ttl->get<long long>());
    }
    if (auto p = doc.find("providers"); p != doc.end()) {
        if (auto it = p->find("openai"); it != p->end() && it->is_array()) {
            for (const auto& j : *it) {
                openai_upstream u;
                read(j, "name", u.name);
                read(j, "base_url", u.base_url);
                read(j, "prefix", u.prefix);
                read(j, "api_keys", u.api_keys);
                read_ms(j, "key_cooldown_ms", u.key_cooldown);
                if (auto m = j.find("models"); m != j.end()) {
                    if (m->is_string() && *m == "*")
                        u.all_models = true;
                    else
                        read(j, "models", u.models);
                }
                s.openai.push_back(std::move(u));
            }
        }
        if (auto it = p->find("chatgptfree"); it != p->end()) {
            read(*it, "base_url", s.chatgptfree.base_url);
            read(*it, "post_id", s.chatgptfree.post_id);
        }
    }
    if (auto it = doc.find("models"); it != doc.end()) {
        s.models.clear();
        for (const auto& m : *it) {
            model_entry e;
            e.id = m.at("id").get<std::string>();
            e.provider = m.at("provider").get<std::string>();
            e.upstream_id = m.value("upstream_id", std::string());
            s.models.push_back(std::move(e));
        }
    }
}

std::string strip_bearer(std::string token) {
    token = trim(std::move(token));
    if (token.size() > 7 && (token.compare(0, 7, "Bearer ") == 0 || token.compare(0, 7, "bearer ") == 0))
        token = trim(token.substr(7));
    return token;
}

} // namespace

signature_scheme parse_signature_scheme(const std::string& s) {
    if (s == "v1") return signature_scheme::v1;
    if (s == "v2") return signature_scheme::v2;
    if (s == "v3") return signature_scheme::v3;
    if (s == "none") return signature_scheme::none;
    throw config_error("FLOWGPT_SIGNATURE: expected v1, v2, v3 or none, got '" + s + "'");
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item = trim(item);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

listen_address parse_listen_address(const std::string& text) {
    listen_address out;
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw config_error("listen address: expected [HOST]:PORT, got '" + text + "'");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) throw config_error("listen address: expected HOST:PORT, got '" + text + "'");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    const auto p = parse_unsigned(port, "listen port");
    if (p > 65535) throw config_error("listen port out of range: " + port);
    out.host = host.empty() ? "0.0.0.0" : host;
    out.port = static_cast<std::uint16_t>(p);
    return out;
}

std::string usage_text() {
    return "usage: switchyard [--listen HOST:PORT] [--config FILE] [--env-file FILE] [--threads N]\n"
           "                  [--log-level L] [--data-dir DIR] [--allow-no-auth] [--version] [--help]\n"
           "\n"
           "  --listen HOST:PORT  address to serve on (default 127.0.0.1:8088, env LISTEN)\n"
           "  --config FILE       JSON config with models and limits (default config/switchyard.json)\n"
           "  --env-file FILE     .env file to read (default ./.env when present)\n"
           "  --threads N         I/O threads (default: one per core)\n"
           "  --log-level L       trace, debug, info, warn, error, off (env LOG_LEVEL)\n"
           "  --data-dir DIR      where conversations are stored (default ./data, env SWITCHYARD_DATA_DIR)\n"
           "  --allow-no-auth     permit a non-loopback listen address without API_MASTER_KEY\n";
}

cli_options parse_command_line(int argc, const char* const* argv) {
    cli_options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_inline = false;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_inline = true;
        }
        auto next = [&]() -> std::string {
            if (has_inline) return value;
            if (i + 1 >= argc) throw config_error(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--listen")
            o.listen = next();
        else if (arg == "--config") {
            o.config_file = next();
            o.config_file_given = true;
        } else if (arg == "--env-file") {
            o.env_file = next();
            o.env_file_given = true;
        } else if (arg == "--threads") {
            const auto n = parse_unsigned(next(), "--threads");
            if (n == 0 || n > 1024) throw config_error("--threads must be between 1 and 1024");
            o.threads = static_cast<unsigned>(n);
        } else if (arg == "--log-level")
            o.log_level = next();
        else if (arg == "--data-dir")
            o.data_dir = next();
        else if (arg == "--allow-no-auth")
            o.allow_no_auth = true;
        else if (arg == "--version")
            o.show_version = true;
        else if (arg == "--help" || arg == "-h")
            o.show_help = true;
        else
            throw config_error("unknown option: " + arg);
    }
    return o;
}

settings load_settings(const cli_options& cli, const environment& env) {
    settings s;
    s.models = {
        {"default", "flowgpt", "uzNcMUGo4sOwl4GFvRpm8"},
        {"gpt-4-free", "flowgpt", "uzNcMUGo4sOwl4GFvRpm8"},
        {"chatgpt-5-pro", "flowgpt", "vlaOLDN9qTxzIlvzfL_Ty"},
        {"aisuperior", "flowgpt", "lKm5yPE9x-Naf0_0_KI5M"},
        {"gpt-4o-mini", "chatgptfree", "25865"},
        {"qwen3-30b-a3b", "chatgptfree", "25869"},
        {"llama-4-maverick", "chatgptfree", "25870"},
        {"gpt-5-nano", "chatgptfree", "25871"},
        {"grok", "chatgptfree", "25872"},
        {"deepseek", "chatgptfree", "25873"},
        {"gemini", "chatgptfree", "25874"},
        {"claude-sonnet", "chatgptfree", "25875"},
        {"perplexity-sonar", "chatgptfree", "29624"},
        {"gemini-pro", "chatgptfree", "25874"},
        {"claude-3-opus", "chatgptfree", "25875"},
        {"meta-llama-3", "chatgptfree", "25870"},
    };

    std::ifstream in(cli.config_file, std::ios::binary);
    if (in) {
        try {
            apply_config_file(json::parse(in), s);
        } catch (const json::exception& e) {
            throw config_error("config file " + cli.config_file + ": " + e.what());
        }
    } else if (cli.config_file_given) {
        throw config_error("cannot read config file " + cli.config_file);
    }

    if (auto v = env.get("LISTEN"); v && !v->empty()) s.listen = parse_listen_address(*v);
    if (auto v = env.get("API_MASTER_KEY")) s.api_keys = split_list(*v);
    if (auto v = env.get("LOG_LEVEL"); v && !v->empty()) s.log_level = *v;
    if (auto v = env.get("FLOWGPT_BEARER_TOKEN")) {
        s.flowgpt.tokens.clear();
        for (auto& t : split_list(*v))
            s.flowgpt.tokens.push_back(strip_bearer(t));
    }
    if (auto v = env.get("FLOWGPT_DEVICE_ID")) s.flowgpt.device_id = trim(*v);
    if (auto v = env.get("FLOWGPT_BASE_URL"); v && !v->empty()) s.flowgpt.base_url = trim(*v);
    if (auto v = env.get("FLOWGPT_SIGNATURE"); v && !v->empty()) s.flowgpt.signature = parse_signature_scheme(trim(*v));
    for (const char* name : {"REQUEST_TIMEOUT", "API_REQUEST_TIMEOUT"}) {
        if (auto v = env.get(name); v && !v->empty()) {
            s.upstream.request_timeout = seconds_value(trim(*v), name);
            break;
        }
    }
    s.upstream.https_proxy = env.get_or("HTTPS_PROXY", env.get_or("https_proxy", ""));
    s.upstream.http_proxy = env.get_or("HTTP_PROXY", env.get_or("http_proxy", ""));
    if (auto v = env.get("SWITCHYARD_CA_FILE"); v && !v->empty()) s.upstream.ca_file = *v;
    if (auto v = env.get("SWITCHYARD_TLS_VERIFY"); v && (*v == "0" || *v == "false")) s.upstream.tls_verify = false;

    if (auto v = env.get("CHATGPTFREE_BASE_URL"); v && !v->empty()) s.chatgptfree.base_url = trim(*v);
    if (auto v = env.get("COOKIE")) s.chatgptfree.cookie = trim(*v);
    if (auto v = env.get("AJAX_NONCE")) s.chatgptfree.ajax_nonce = trim(*v);
    if (auto v = env.get("SESSION_ID")) s.chatgptfree.session_id = trim(*v);
    if (auto v = env.get("POST_ID")) s.chatgptfree.post_id = trim(*v);
    // One OpenAI-compatible upstream straight from the environment, for quick set-ups and benches.
    if (auto v = env.get("OPENAI_BASE_URL"); v && !v->empty()) {
        openai_upstream u;
        u.base_url = trim(*v);
        u.api_keys = split_list(env.get_or("OPENAI_API_KEY", ""));
        const std::string models = env.get_or("OPENAI_MODELS", "*");
        if (models == "*")
            u.all_models = true;
        else
            u.models = split_list(models);
        u.prefix = env.get_or("OPENAI_MODEL_PREFIX", "");
        s.openai.push_back(std::move(u));
    }
    for (auto& u : s.openai) {
        if (u.base_url.empty()) throw config_error("an OpenAI upstream (" + u.name + ") has no base_url");
        while (u.base_url.ends_with('/'))
            u.base_url.pop_back();
    }
    if (auto v = env.get("SWITCHYARD_DATA_DIR"); v && !v->empty()) s.conversations.data_dir = *v;
    if (auto v = env.get("SWITCHYARD_STORE"); v && !v->empty()) s.conversations.store = *v;
    if (s.conversations.store != "sqlite" && s.conversations.store != "memory")
        throw config_error("conversation store must be sqlite or memory, got '" + s.conversations.store + "'");

    if (cli.listen) s.listen = parse_listen_address(*cli.listen);
    if (cli.data_dir) s.conversations.data_dir = *cli.data_dir;
    if (cli.threads) s.threads = *cli.threads;
    if (cli.log_level) s.log_level = *cli.log_level;
    s.allow_no_auth = cli.allow_no_auth;
    return s;
}

} // namespace switchyard::config
