#include "switchyard/config/options.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "load_state.hpp"

namespace switchyard::config {

std::string trim_blanks(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

namespace {

using nlohmann::json;

// ---- parsers: one per value type, each accepting text (flag, variable) or JSON (file) -------

std::string shown(const option_value& v) { return v.text ? "'" + *v.text + "'" : v.json->dump(); }

[[noreturn]] void reject(const option_value& v, std::string_view expected) {
    throw config_error(std::string(v.source) + ": expected " + std::string(expected) + ", got " + shown(v));
}

struct integer_range {
    std::uint64_t lo;
    std::uint64_t hi;
};

std::uint64_t parse_integer(const option_value& v, integer_range r) {
    const std::string expected = "an integer from " + std::to_string(r.lo) + " to " + std::to_string(r.hi);
    std::uint64_t n = 0;
    if (v.text) {
        const std::string t = trim_blanks(*v.text);
        const char* end = t.data() + t.size();
        const auto [p, ec] = std::from_chars(t.data(), end, n);
        if (t.empty() || ec != std::errc{} || p != end) reject(v, expected);
    } else if (v.json->is_number_unsigned()) {
        n = v.json->get<std::uint64_t>();
    } else {
        reject(v, expected); // negative, fractional, a string, a boolean…
    }
    if (n < r.lo || n > r.hi) reject(v, expected);
    return n;
}

/// The shortest text that reads back as `d`: 0.1, 120, 2.5.
std::string decimal(double d) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : std::to_string(d);
}

/// A decimal number of seconds (environment only), e.g. REQUEST_TIMEOUT=2.5.
milliseconds parse_decimal_seconds(const option_value& v, double lo, double hi) {
    const std::string expected = "a number of seconds from " + decimal(lo) + " to " + decimal(hi);
    if (!v.text) reject(v, expected);
    const std::string t = trim_blanks(*v.text);
    double seconds = 0;
    const char* end = t.data() + t.size();
    const auto [p, ec] = std::from_chars(t.data(), end, seconds);
    // from_chars reads "nan" and "inf": both are refused here, as is anything out of range.
    if (t.empty() || ec != std::errc{} || p != end || !std::isfinite(seconds) || seconds < lo || seconds > hi)
        reject(v, expected);
    return milliseconds(std::llround(seconds * 1000));
}

std::string parse_string(const option_value& v) {
    if (v.text) return trim_blanks(*v.text);
    if (!v.json->is_string()) reject(v, "a string");
    return v.json->get<std::string>();
}

bool parse_bool(const option_value& v) {
    if (v.json) {
        if (!v.json->is_boolean()) reject(v, "true or false");
        return v.json->get<bool>();
    }
    const std::string t = trim_blanks(*v.text);
    for (const char* yes : {"1", "true", "yes", "on"})
        if (t == yes) return true;
    for (const char* no : {"0", "false", "no", "off"})
        if (t == no) return false;
    reject(v, "1, true, yes, on, 0, false, no or off");
}

std::vector<std::string> parse_list(const option_value& v) {
    if (v.text) return split_list(*v.text);
    if (!v.json->is_array()) reject(v, "a list of strings");
    std::vector<std::string> out;
    for (const auto& item : *v.json) {
        if (!item.is_string()) reject(v, "a list of strings");
        if (auto t = trim_blanks(item.get<std::string>()); !t.empty()) out.push_back(std::move(t));
    }
    return out;
}

std::string parse_choice(const option_value& v, const std::vector<std::string_view>& allowed) {
    std::string s = parse_string(v);
    if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
    std::string expected;
    for (auto a : allowed)
        expected += (expected.empty() ? "" : ", ") + std::string(a);
    reject(v, "one of " + expected);
}

std::string strip_bearer(std::string token) {
    token = trim_blanks(token);
    if (token.size() > 7 && (token.compare(0, 7, "Bearer ") == 0 || token.compare(0, 7, "bearer ") == 0))
        token = trim_blanks(token.substr(7));
    return token;
}

// ---- showing a default ----------------------------------------------------------------------

std::string show(const std::string& s) { return s.empty() ? "none" : s; }
std::string show(bool b) { return b ? "true" : "false"; }
std::string show(milliseconds ms) { return std::to_string(ms.count()); }
std::string show(std::chrono::seconds s) { return std::to_string(s.count()); }
std::string show(const listen_address& a) {
    return (a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
}
std::string show(signature_scheme s) {
    switch (s) {
    case signature_scheme::v1: return "v1";
    case signature_scheme::v2: return "v2";
    case signature_scheme::v3: return "v3";
    case signature_scheme::none: return "none";
    }
    return "?";
}
std::string show(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& item : list)
        out += (out.empty() ? "" : ",") + item;
    return show(out);
}
template <class T>
requires std::is_integral_v<T> std::string show(T n) { return std::to_string(n); }

// ---- builders -------------------------------------------------------------------------------

/// Where an option comes from and what it means; the builders below add how it is parsed.
struct names {
    std::string_view flag;
    std::string_view metavar;
    std::vector<std::string_view> env;
    std::string_view key;
    std::string_view help;
    std::string_view default_note = {}; // shown instead of the struct's default when set
};

option declare(names n, std::string default_text, std::function<void(load_state&, const option_value&)> apply) {
    option o{n.flag, n.metavar, std::move(n.env), n.key, n.help, std::string(n.default_note), std::move(apply)};
    if (o.default_text.empty()) o.default_text = std::move(default_text);
    return o;
}

/// A field of `settings`, reached by `get`, set to `parse(value)`; its default is shown from a
/// default-constructed `settings`, so defaults live only in settings.hpp.
template <class Get, class Parse> option field(names n, Get get, Parse parse) {
    settings defaults;
    std::string text = show(get(defaults));
    return declare(std::move(n), std::move(text), [get, parse](load_state& st, const option_value& v) { get(st.s) = parse(v); });
}

template <class Get> option count(names n, Get get, integer_range r) {
    using T = std::remove_reference_t<decltype(get(std::declval<settings&>()))>;
    return field(std::move(n), get, [r](const option_value& v) { return static_cast<T>(parse_integer(v, r)); });
}

template <class Get> option millis(names n, Get get, integer_range r) {
    return field(std::move(n), get, [r](const option_value& v) { return milliseconds(parse_integer(v, r)); });
}

template <class Get> option text(names n, Get get) { return field(std::move(n), get, parse_string); }

template <class Get> option list(names n, Get get) { return field(std::move(n), get, parse_list); }

template <class Get> option boolean(names n, Get get) { return field(std::move(n), get, parse_bool); }

template <class Get> option choice(names n, Get get, std::vector<std::string_view> allowed) {
    return field(std::move(n), get, [allowed](const option_value& v) { return parse_choice(v, allowed); });
}

/// An OPENAI_* variable: it describes the upstream OPENAI_BASE_URL adds.
option env_openai(names n, std::function<void(openai_upstream&, const option_value&)> set) {
    return declare(std::move(n), "none", [set](load_state& st, const option_value& v) { set(st.env_openai, v); });
}

// ---- the structured keys: lists of objects with their own known members ----------------------

/// Calls `member(name, value, source)` for each member of an object, refusing unknown ones.
template <class F>
void each_member(const json& obj, const std::string& where, std::initializer_list<std::string_view> known, F member) {
    if (!obj.is_object()) throw config_error(where + ": expected an object, got " + obj.dump());
    for (const auto& [k, v] : obj.items()) {
        const std::string source = where + "." + k;
        if (std::find(known.begin(), known.end(), k) == known.end()) {
            std::string known_list;
            for (auto name : known)
                known_list += (known_list.empty() ? "" : ", ") + std::string(name);
            throw config_error(source + ": unknown key (known: " + known_list + ")");
        }
        if (!v.is_null()) member(k, v, source);
    }
}

const json& array_of(const option_value& v) {
    if (!v.json || !v.json->is_array()) reject(v, "a list of objects");
    return *v.json;
}

void apply_openai_upstreams(load_state& st, const option_value& v) {
    const json& list = array_of(v);
    for (std::size_t i = 0; i < list.size(); ++i) {
        openai_upstream u;
        const std::string where = std::string(v.source) + "[" + std::to_string(i) + "]";
        each_member(list[i], where, {"name", "base_url", "api_keys", "models", "prefix", "key_cooldown_ms"},
                    [&](const std::string& k, const json& value, const std::string& source) {
                        const option_value item{source, nullptr, &value};
                        if (k == "name")
                            u.name = parse_string(item);
                        else if (k == "base_url")
                            u.base_url = parse_string(item);
                        else if (k == "api_keys")
                            u.api_keys = parse_list(item);
                        else if (k == "prefix")
                            u.prefix = parse_string(item);
                        else if (k == "key_cooldown_ms")
                            u.key_cooldown = milliseconds(parse_integer(item, {0, 86'400'000}));
                        else if (value.is_string() && value == "*")
                            u.all_models = true;
                        else if (value.is_string())
                            reject(item, "\"*\" or a list of model ids");
                        else
                            u.models = parse_list(item);
                    });
        st.s.openai.push_back(std::move(u));
    }
}

/// A site's name is a provider name and a model id prefix: short, plain, and not taken.
std::string parse_site_name(const option_value& v) {
    const std::string name = parse_string(v);
    const bool plain = !name.empty() && name.size() <= 40 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
    if (!plain) reject(v, "a name of lowercase letters, digits, '-', '_' or '.'");
    if (name == "chatgptfree" || name == "flowgpt" || name == "flowgpt-anonymous")
        reject(v, name == "chatgptfree" ? "another name: chatgptfree is configured under providers.chatgptfree"
                                        : "another name: " + name + " is taken");
    return name;
}

void apply_aipkit_sites(load_state& st, const option_value& v) {
    const json& list = array_of(v);
    for (std::size_t i = 0; i < list.size(); ++i) {
        aipkit_site site;
        site.name.clear();
        site.base_url.clear();
        const std::string where = std::string(v.source) + "[" + std::to_string(i) + "]";
        each_member(list[i], where, {"name", "base_url", "pages", "post_id", "cookie", "session_id", "quota_cooldown_ms"},
                    [&](const std::string& k, const json& value, const std::string& source) {
                        const option_value item{source, nullptr, &value};
                        if (k == "name")
                            site.name = parse_site_name(item);
                        else if (k == "base_url")
                            site.base_url = parse_string(item);
                        else if (k == "pages")
                            site.pages = parse_list(item);
                        else if (k == "post_id")
                            site.post_id = parse_string(item);
                        else if (k == "cookie")
                            site.cookie = parse_string(item);
                        else if (k == "session_id")
                            site.session_id = parse_string(item);
                        else
                            site.quota_cooldown = milliseconds(parse_integer(item, {0, 86'400'000}));
                    });
        if (site.name.empty() || site.base_url.empty()) throw config_error(where + ": needs a name and a base_url");
        for (const auto& known : st.s.aipkit_sites)
            if (known.name == site.name) throw config_error(where + ": a second site named '" + site.name + "'");
        st.s.aipkit_sites.push_back(std::move(site));
    }
}

/// A model's `routes`: a non-empty list of {provider, upstream_id}.
std::vector<route_entry> parse_routes(const option_value& v) {
    const json& list = array_of(v);
    if (list.empty()) reject(v, "a non-empty list of {provider, upstream_id}");
    std::vector<route_entry> routes;
    for (std::size_t i = 0; i < list.size(); ++i) {
        route_entry r;
        const std::string where = std::string(v.source) + "[" + std::to_string(i) + "]";
        each_member(list[i], where, {"provider", "upstream_id"},
                    [&](const std::string& k, const json& value, const std::string& source) {
                        const option_value item{source, nullptr, &value};
                        (k == "provider" ? r.provider : r.upstream_id) = parse_string(item);
                    });
        if (r.provider.empty()) throw config_error(where + ": needs a provider");
        routes.push_back(std::move(r));
    }
    return routes;
}

void apply_models(load_state& st, const option_value& v) {
    const json& list = array_of(v);
    st.s.models.clear();
    for (std::size_t i = 0; i < list.size(); ++i) {
        model_entry e;
        const std::string where = std::string(v.source) + "[" + std::to_string(i) + "]";
        std::vector<route_entry> routes;
        each_member(list[i], where, {"id", "provider", "upstream_id", "reasoning", "aliases", "routes"},
                    [&](const std::string& k, const json& value, const std::string& source) {
                        const option_value item{source, nullptr, &value};
                        if (k == "aliases") {
                            e.aliases = parse_list(item);
                            return;
                        }
                        if (k == "routes") {
                            routes = parse_routes(item);
                            return;
                        }
                        const std::string s = parse_string(item);
                        if (k == "reasoning") {
                            if (s == "split")
                                e.reasoning = reasoning_mode::split;
                            else if (s == "inline")
                                e.reasoning = reasoning_mode::inline_;
                            else if (s == "drop")
                                e.reasoning = reasoning_mode::drop;
                            else
                                reject(item, "\"split\", \"inline\" or \"drop\"");
                            return;
                        }
                        (k == "id" ? e.id : k == "provider" ? e.provider : e.upstream_id) = s;
                    });
        if (!routes.empty()) {
            if (!e.provider.empty() || !e.upstream_id.empty())
                throw config_error(where + ": give either provider and upstream_id, or routes");
            e.provider = routes.front().provider;
            e.upstream_id = routes.front().upstream_id;
            e.fallbacks.assign(routes.begin() + 1, routes.end());
        }
        if (e.id.empty() || e.provider.empty()) throw config_error(where + ": needs an id and a provider (or routes)");
        st.s.models.push_back(std::move(e));
    }
}

bool is_sha256_hex(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

void apply_keys(load_state& st, const option_value& v) {
    const json& list = array_of(v);
    for (std::size_t i = 0; i < list.size(); ++i) {
        client_key k;
        const std::string where = std::string(v.source) + "[" + std::to_string(i) + "]";
        each_member(list[i], where, {"name", "key", "key_sha256", "rpm", "tpm", "max_concurrent", "models"},
                    [&](const std::string& member, const json& value, const std::string& source) {
                        const option_value item{source, nullptr, &value};
                        if (member == "name")
                            k.name = parse_string(item);
                        else if (member == "key")
                            k.key = parse_string(item);
                        else if (member == "key_sha256") {
                            k.key_sha256 = parse_string(item);
                            if (!is_sha256_hex(k.key_sha256)) reject(item, "64 hexadecimal digits");
                            std::transform(k.key_sha256.begin(), k.key_sha256.end(), k.key_sha256.begin(),
                                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                        } else if (member == "models")
                            k.models = parse_list(item);
                        else
                            (member == "rpm"   ? k.rpm
                             : member == "tpm" ? k.tpm
                                               : k.max_concurrent) = static_cast<long>(parse_integer(item, {0, 1'000'000'000}));
                    });
        if (k.name.empty()) throw config_error(where + ": needs a name");
        if (k.key.empty() == k.key_sha256.empty()) throw config_error(where + ": needs one of key and key_sha256");
        for (const auto& other : st.s.keys)
            if (other.name == k.name) throw config_error(where + ".name: '" + k.name + "' names two keys");
        st.s.keys.push_back(std::move(k));
    }
}

constexpr integer_range timeout_range{100, 3'600'000};

std::vector<option> build_table() {
    std::vector<option> t;
    // Flags parse_command_line handles itself: no `apply`.
    t.push_back(declare({"--config", "FILE", {}, {}, "JSON config file with the models and limits; it must exist when given"},
                        "config/switchyard.json", {}));
    t.push_back(declare({"--env-file", "FILE", {}, {}, "`.env` file to read; it must exist when given"}, ".env", {}));
    t.push_back(declare({"--version", {}, {}, {}, "print the version and exit"}, "", {}));
    t.push_back(declare({"--help", {}, {}, {}, "print this help and exit"}, "", {}));

    t.push_back(field(
        {"--listen", "HOST:PORT", {"LISTEN"}, "server.listen", "Listen address `HOST:PORT` (IPv6 hosts in brackets)"},
        [](settings & s) -> auto& { return s.listen; },
        [](const option_value& v) {
            try {
                return parse_listen_address(parse_string(v));
            } catch (const config_error&) {
                reject(v, "HOST:PORT");
            }
        }));
    t.push_back(count({"--threads", "N", {}, "server.threads", "I/O threads", "one per core"},
                      [](settings & s) -> auto& { return s.threads; }, {1, 256}));
    t.push_back(choice(
        {"--log-level", "LEVEL", {"LOG_LEVEL"}, {}, "Log level: `trace`, `debug`, `info`, `warn`, `error`, `critical` or `off`"},
        [](settings & s) -> auto& { return s.log_level; }, {"trace", "debug", "info", "warn", "error", "critical", "off"}));
    t.push_back(choice(
        {{}, {}, {"LOG_FORMAT"}, {}, "Log lines: `text`, or `json` (one object per line, with an access record per exchange)"},
        [](settings & s) -> auto& { return s.log_format; }, {"text", "json"}));
    t.push_back(declare({{},
                         {},
                         {},
                         "keys",
                         "Named client keys with limits: `{name, key or key_sha256, rpm, tpm, max_concurrent, models}`; a "
                         "limit of 0 or none is no limit; models lists the ids or aliases the key may use"},
                        "none", apply_keys));
    t.push_back(text(
        {{},
         {},
         {"ADMIN_KEY"},
         {},
         "Operator key for `/metrics` and `/admin/*`, sent as `Authorization: Bearer <key>`. None: they answer "
         "this machine only (no proxy, no web page but the gateway's own)"},
        [](settings & s) -> auto& { return s.admin_key; }));
    t.push_back(boolean(
        {{},
         {},
         {"SWITCHYARD_METRICS"},
         "server.metrics",
         "`off` (`false` in the file) stops recording metrics; `/metrics` is then a 404"},
        [](settings & s) -> auto& { return s.metrics; }));
    t.push_back(text(
        {"--data-dir",
         "DIR",
         {"SWITCHYARD_DATA_DIR"},
         "conversations.data_dir",
         "Where conversations are stored (`switchyard.db`)"},
        [](settings & s) -> auto& { return s.conversations.data_dir; }));
    t.push_back(boolean(
        {"--allow-no-auth", {}, {}, {}, "Permit a non-loopback listen address without `API_MASTER_KEY`"},
        [](settings & s) -> auto& { return s.allow_no_auth; }));

    t.push_back(field(
        {{},
         {},
         {"API_MASTER_KEY"},
         {},
         "Client API keys, comma-separated. Sent as `Authorization: Bearer <key>` or `x-api-key`. Empty: auth off, "
         "and a non-loopback listen address is refused unless `--allow-no-auth`."},
        [](settings & s) -> auto& { return s.api_keys; }, parse_list));
    t.push_back(list(
        {{},
         {},
         {"CORS_ORIGINS"},
         "server.cors_origins",
         "Origins allowed to call the API from a browser, comma-separated (a list in the file)"},
        [](settings & s) -> auto& { return s.cors_origins; }));
    t.push_back(field(
        {{},
         {},
         {"FLOWGPT_BEARER_TOKEN"},
         {},
         "FlowGPT tokens, comma-separated, with or without `Bearer `; each request takes the least-loaded healthy "
         "one (see Credentials). None: FlowGPT models answer 503"},
        [](settings & s) -> auto& { return s.flowgpt.tokens; },
        [](const option_value& v) {
            auto tokens = parse_list(v);
            for (auto& token : tokens)
                token = strip_bearer(token);
            return tokens;
        }));
    t.push_back(text(
        {{}, {}, {"FLOWGPT_DEVICE_ID"}, {}, "Sent to FlowGPT as `x-flow-device-id`"},
        [](settings & s) -> auto& { return s.flowgpt.device_id; }));
    t.push_back(text(
        {{},
         {},
         {"FLOWGPT_BASE_URL"},
         "providers.flowgpt.base_url",
         "FlowGPT API base; `http://` works (the tests use the emulator)"},
        [](settings & s) -> auto& { return s.flowgpt.base_url; }));
    t.push_back(field(
        {{},
         {},
         {"FLOWGPT_SIGNATURE"},
         "providers.flowgpt.signature",
         "`v2` = md5(ts+nonce+device), `v1` = md5(ts-nonce-authorization), `v3` = md5(ts:nonce:device), or `none`"},
        [](settings & s) -> auto& { return s.flowgpt.signature; },
        [](const option_value& v) {
            return parse_signature_scheme(parse_choice(v, {"v1", "v2", "v3", "none"}));
        }));
    t.push_back(text(
        {{}, {}, {}, "providers.flowgpt.upstream_model", "FlowGPT model the prompts run on"},
        [](settings & s) -> auto& { return s.flowgpt.upstream_model; }));
    t.push_back(count({{}, {}, {}, "providers.flowgpt.prefix_lookahead", "Characters held back to strip a `…Response:**` header"},
                      [](settings & s) -> auto& { return s.flowgpt.prefix_lookahead; }, {0, 100'000}));
    t.push_back(millis({{},
                        {},
                        {},
                        "providers.flowgpt.token_cooldown_ms",
                        "How long a rate-limited FlowGPT token rests when FlowGPT does not say (`Retry-After`)"},
                       [](settings & s) -> auto& { return s.flowgpt.token_cooldown; }, {0, 86'400'000}));
    t.push_back(
        choice({{},
                {},
                {"FLOWGPT_MODE"},
                "providers.flowgpt.mode",
                "`conversation`: the context seeds `/conversation/create`; `history`: it goes inline with every question. "
                "`conversation` falls back to `history` by itself if the upstream drops `/conversation/create`"},
               [](settings & s) -> auto& { return s.flowgpt.mode; }, {"conversation", "history"}));
    t.push_back(boolean(
        {{},
         {},
         {"FLOWGPT_ANONYMOUS"},
         "providers.flowgpt.anonymous",
         "Without a token, use FlowGPT's anonymous endpoint and offer its models as `flowgpt-anonymous/<model>`; "
         "whether the real service still serves it is unknown"},
        [](settings & s) -> auto& { return s.flowgpt.anonymous; }));
    t.push_back(list(
        {{}, {}, {}, "providers.flowgpt.anonymous_models", "The anonymous endpoint's model names"},
        [](settings & s) -> auto& { return s.flowgpt.anonymous_models; }));
    t.push_back(millis(
        {{}, {}, {}, "providers.flowgpt.prompt_ttl_ms", "How long a prompt model (`flowgpt/<slug>`) is kept once looked up"},
        [](settings & s) -> auto& { return s.flowgpt.prompt_ttl; }, {1'000, 86'400'000}));
    t.push_back(text(
        {{},
         {},
         {"CHATGPTFREE_BASE_URL"},
         "providers.chatgptfree.base_url",
         "chatgptfree.ai site; `http://` works (the tests use the emulator)"},
        [](settings & s) -> auto& { return s.chatgptfree.base_url; }));
    t.push_back(text(
        {{}, {}, {"COOKIE"}, {}, "Sent as `Cookie` to chatgptfree.ai (e.g. a Cloudflare clearance cookie)"},
        [](settings & s) -> auto& { return s.chatgptfree.cookie; }));
    t.push_back(text(
        {{},
         {},
         {"AJAX_NONCE"},
         {},
         "chatgptfree.ai nonce to start with; fetched and refreshed automatically when absent or rejected",
         "fetched when needed"},
        [](settings & s) -> auto& { return s.chatgptfree.ajax_nonce; }));
    t.push_back(text(
        {{}, {}, {"SESSION_ID"}, {}, "chatgptfree.ai guest identity (its quota key)", "random per process"},
        [](settings & s) -> auto& { return s.chatgptfree.session_id; }));
    t.push_back(text(
        {{}, {}, {"POST_ID"}, "providers.chatgptfree.post_id", "chatgptfree.ai chat page id, sent as `post_id`"},
        [](settings & s) -> auto& { return s.chatgptfree.post_id; }));
    t.push_back(millis({{},
                        {},
                        {},
                        "providers.chatgptfree.quota_cooldown_ms",
                        "How long the chatgptfree.ai guest session rests once its quota is used up"},
                       [](settings & s) -> auto& { return s.chatgptfree.quota_cooldown; }, {0, 86'400'000}));
    t.push_back(list(
        {{},
         {},
         {},
         "providers.chatgptfree.pages",
         "chatgptfree.ai chat pages whose bots are listed as `chatgptfree/<model>`; an empty list turns discovery off"},
        [](settings & s) -> auto& { return s.chatgptfree.pages; }));
    t.push_back(
        declare({{},
                 {},
                 {},
                 "providers.aipkit.sites",
                 "More AIPKit sites: `{name, base_url, pages, post_id, cookie, session_id, quota_cooldown_ms}`; each is a "
                 "provider named `name`, and its pages' bots are models `<name>/<model>`"},
                "none", apply_aipkit_sites));
    t.push_back(millis(
        {{}, {}, {}, "providers.aipkit.discovery_ttl_ms", "How often the AIPKit sites' chat pages are read again for their bots"},
        [](settings & s) -> auto& { return s.aipkit_discovery_ttl; }, {1'000, 86'400'000}));

    t.push_back(
        env_openai({{}, {}, {"OPENAI_BASE_URL"}, {}, "An OpenAI-compatible upstream (up to `/v1`); adds the `openai` provider"},
                   [](openai_upstream& u, const option_value& v) { u.base_url = parse_string(v); }));
    t.push_back(env_openai({{}, {}, {"OPENAI_API_KEY"}, {}, "Its API keys, comma-separated (a pool)"},
                           [](openai_upstream& u, const option_value& v) { u.api_keys = parse_list(v); }));
    t.push_back(env_openai({{}, {}, {"OPENAI_MODELS"}, {}, "`*` (ask the upstream) or a comma-separated list", "*"},
                           [](openai_upstream& u, const option_value& v) {
                               u.models = parse_list(v);
                               u.all_models = u.models == std::vector<std::string>{"*"};
                               if (u.all_models) u.models.clear();
                           }));
    t.push_back(env_openai({{}, {}, {"OPENAI_MODEL_PREFIX"}, {}, "Prefix for the exposed model ids"},
                           [](openai_upstream& u, const option_value& v) { u.prefix = parse_string(v); }));
    t.push_back(
        declare({{},
                 {},
                 {},
                 "providers.openai",
                 "OpenAI-compatible upstreams: `{name, base_url, api_keys, models (\"*\" or a list), prefix, key_cooldown_ms}`"},
                "none", apply_openai_upstreams));
    t.push_back(declare({{},
                         {},
                         {},
                         "models",
                         "The model map: `{id, provider, upstream_id, reasoning, aliases}`; reasoning is split, inline or drop; "
                         "aliases are other names clients may use (`claude-sonnet-4-5`); `routes` (a list of `{provider, "
                         "upstream_id}`) in place of provider and upstream_id fails over in order",
                         "the built-in list"},
                        "", apply_models));

    t.push_back(millis(
        {{}, {}, {}, "upstream.request_timeout_ms", "Upstream time to first byte (`REQUEST_TIMEOUT` overrides)"},
        [](settings & s) -> auto& { return s.upstream.request_timeout; }, timeout_range));
    t.push_back(field(
        {{}, {}, {"REQUEST_TIMEOUT", "API_REQUEST_TIMEOUT"}, {}, "Seconds to the first byte of an upstream answer (0.1 to 3600)"},
        [](settings & s) -> auto& { return s.upstream.request_timeout; },
        [](const option_value& v) { return parse_decimal_seconds(v, 0.1, 3600); }));
    // The struct keeps milliseconds; the variable is in seconds, so its default is shown in seconds.
    t.back().default_text = decimal(static_cast<double>(upstream_settings{}.request_timeout.count()) / 1000);
    t.push_back(text(
        {{}, {}, {"HTTPS_PROXY", "https_proxy"}, {}, "Outbound proxy for `https://` upstreams (CONNECT)"},
        [](settings & s) -> auto& { return s.upstream.https_proxy; }));
    t.push_back(text(
        {{}, {}, {"HTTP_PROXY", "http_proxy"}, {}, "Outbound proxy for `http://` upstreams"},
        [](settings & s) -> auto& { return s.upstream.http_proxy; }));
    t.push_back(text(
        {{},
         {},
         {"NO_PROXY", "no_proxy"},
         {},
         "Hosts reached without the proxy, comma-separated: names (with their subdomains), IP addresses, CIDR ranges, or `*`"},
        [](settings & s) -> auto& { return s.upstream.no_proxy; }));
    t.push_back(text(
        {{}, {}, {"SWITCHYARD_CA_FILE"}, "upstream.ca_file", "Extra CA bundle for upstream TLS", "system store"},
        [](settings & s) -> auto& { return s.upstream.ca_file; }));
    t.push_back(boolean(
        {{},
         {},
         {"SWITCHYARD_TLS_VERIFY"},
         "upstream.tls_verify",
         "`false` turns upstream certificate checks off (testing only)"},
        [](settings & s) -> auto& { return s.upstream.tls_verify; }));
    t.push_back(millis({{}, {}, {}, "upstream.connect_timeout_ms", "Upstream connect and TLS handshake"},
                       [](settings & s) -> auto& { return s.upstream.connect_timeout; }, {100, 600'000}));
    t.push_back(millis(
        {{}, {}, {}, "upstream.idle_timeout_ms", "Longest silence inside an upstream stream"},
        [](settings & s) -> auto& { return s.upstream.idle_timeout; }, timeout_range));
    t.push_back(
        count({{}, {}, {}, "upstream.pool_max_idle_per_host", "Idle keep-alive connections kept per upstream host and thread"},
              [](settings & s) -> auto& { return s.upstream.pool_max_idle_per_host; }, {0, 4096}));
    t.push_back(millis(
        {{}, {}, {}, "upstream.pool_idle_timeout_ms", "Pooled upstream connections idle longer than this are not reused"},
        [](settings & s) -> auto& { return s.upstream.pool_idle_timeout; }, timeout_range));

    t.push_back(count({{},
                       {},
                       {"CREDENTIAL_MAX_CONCURRENT"},
                       "credentials.max_concurrent",
                       "Exchanges at once per upstream credential (token, key, guest session); 0: no limit"},
                      [](settings & s) -> auto& { return s.credentials.max_concurrent; }, {0, 100'000}));
    t.push_back(count({{},
                       {},
                       {"CREDENTIAL_DEAD_AFTER"},
                       "credentials.dead_after",
                       "Refusals in a row after which a credential is dead (out until a reload or a successful probe); "
                       "0: never"},
                      [](settings & s) -> auto& { return s.credentials.dead_after; }, {0, 1000}));

    t.push_back(choice(
        {{},
         {},
         {"SWITCHYARD_STORE"},
         "conversations.store",
         "`sqlite`, `redis` (shared by several instances, at `REDIS_URL`), or `memory` (nothing survives a restart; for tests)"},
        [](settings & s) -> auto& { return s.conversations.store; }, {"sqlite", "redis", "memory"}));
    t.push_back(text(
        {{},
         {},
         {"REDIS_URL"},
         "conversations.redis_url",
         "The Redis of the `redis` store: `redis://[[user]:password@]host:port[/db]`; `rediss://` for TLS (the "
         "system's CAs, or `SSL_CERT_FILE`)"},
        [](settings & s) -> auto& { return s.conversations.redis_url; }));
    t.push_back(field(
        {{},
         {},
         {},
         "conversations.idle_ttl_s",
         "Conversations idle this long (seconds) are deleted (checked at start-up and hourly)"},
        [](settings & s) -> auto& { return s.conversations.idle_ttl; },
        [](const option_value& v) {
            return std::chrono::seconds(parse_integer(v, {1, 315'360'000}));
        }));

    t.push_back(boolean(
        {{},
         {},
         {"SWITCHYARD_CONTINUATION"},
         "conversations.continuation",
         "`off` stops continuing the upstream conversation of a resent history (every turn injects it all)"},
        [](settings & s) -> auto& { return s.conversations.continuation.enabled; }));
    t.push_back(field(
        {{}, {}, {}, "conversations.continuation_ttl_s", "How long (seconds) an answered history can be continued"},
        [](settings & s) -> auto& { return s.conversations.continuation.ttl; },
        [](const option_value& v) {
            return std::chrono::seconds(parse_integer(v, {1, 31'536'000}));
        }));
    t.push_back(count({{}, {}, {}, "conversations.continuation_limit", "Continuable histories kept; the oldest go first"},
                      [](settings & s) -> auto& { return s.conversations.continuation.limit; }, {1, 100'000'000}));

    t.push_back(count({{}, {}, {}, "server.max_header_bytes", "Request header limit (431-style 413 JSON error)"},
                      [](settings & s) -> auto& { return s.limits.max_header_bytes; }, {1024, 1'048'576}));
    t.push_back(count({{}, {}, {}, "server.max_body_bytes", "Request body limit; larger bodies get a 413 JSON error"},
                      [](settings & s) -> auto& { return s.limits.max_body_bytes; }, {1024, 1'073'741'824}));
    t.push_back(millis(
        {{}, {}, {}, "server.header_timeout_ms", "Time for a new connection to send its request head"},
        [](settings & s) -> auto& { return s.limits.header_timeout; }, timeout_range));
    t.push_back(millis(
        {{}, {}, {}, "server.idle_timeout_ms", "Keep-alive idle limit between requests"},
        [](settings & s) -> auto& { return s.limits.idle_timeout; }, timeout_range));
    t.push_back(millis(
        {{}, {}, {}, "server.write_timeout_ms", "Longest a single write to a client may take"},
        [](settings & s) -> auto& { return s.limits.write_timeout; }, timeout_range));
    t.push_back(count({{}, {}, {}, "server.max_connections", "Open client connections; beyond it a 503 JSON error"},
                      [](settings & s) -> auto& { return s.limits.max_connections; }, {1, 1'000'000}));
    t.push_back(millis({{}, {}, {}, "server.shutdown_grace_ms", "After SIGTERM/SIGINT, how long streams in flight may finish"},
                       [](settings & s) -> auto& { return s.limits.shutdown_grace; }, {0, 600'000}));
    t.push_back(
        millis({{}, {}, {}, "stream.commit_hold_ms", "How long the `200` head waits for the first token (the commit point)"},
               [](settings & s) -> auto& { return s.stream.commit_hold; }, {0, 600'000}));
    t.push_back(
        millis({{}, {}, {}, "stream.keepalive_interval_ms", "`: keep-alive` comment cadence while the upstream is silent"},
               [](settings & s) -> auto& { return s.stream.keepalive_interval; }, {10, 3'600'000}));
    return t;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

} // namespace

const std::vector<option>& options() {
    static const std::vector<option> table = build_table();
    return table;
}

std::string closest_name(std::string_view name, std::string_view option::*field) {
    std::string_view best;
    std::size_t best_distance = std::max<std::size_t>(3, name.size() / 3) + 1;
    for (const auto& o : options()) {
        if ((o.*field).empty()) continue;
        if (const auto d = edit_distance(name, o.*field); d < best_distance) {
            best = o.*field;
            best_distance = d;
        }
    }
    return std::string(best);
}

} // namespace switchyard::config
