#include "switchyard/config/settings.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

#include "load_state.hpp"
#include "switchyard/config/options.hpp"

namespace switchyard::config {
namespace {

using nlohmann::json;

unsigned long parse_unsigned(const std::string& text, const std::string& what) {
    unsigned long value = 0;
    const auto* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || p != end) throw config_error(what + ": expected a non-negative integer, got '" + text + "'");
    return value;
}

std::vector<model_entry> builtin_models() {
    const auto model = [](const char* id, const char* provider, const char* upstream_id) {
        model_entry e;
        e.id = id;
        e.provider = provider;
        e.upstream_id = upstream_id;
        return e;
    };
    return {
        model("default", "flowgpt", "uzNcMUGo4sOwl4GFvRpm8"),
        model("gpt-4-free", "flowgpt", "uzNcMUGo4sOwl4GFvRpm8"),
        model("chatgpt-5-pro", "flowgpt", "vlaOLDN9qTxzIlvzfL_Ty"),
        model("aisuperior", "flowgpt", "lKm5yPE9x-Naf0_0_KI5M"),
        model("gpt-4o-mini", "chatgptfree", "25865"),
        model("qwen3-30b-a3b", "chatgptfree", "25869"),
        model("llama-4-maverick", "chatgptfree", "25870"),
        model("gpt-5-nano", "chatgptfree", "25871"),
        model("grok", "chatgptfree", "25872"),
        model("deepseek", "chatgptfree", "25873"),
        model("gemini", "chatgptfree", "25874"),
        model("claude-sonnet", "chatgptfree", "25875"),
        model("perplexity-sonar", "chatgptfree", "29624"),
        model("gemini-pro", "chatgptfree", "25874"),
        model("claude-3-opus", "chatgptfree", "25875"),
        model("meta-llama-3", "chatgptfree", "25870"),
    };
}

const option* find_option(std::string_view option::*where, std::string_view name) {
    if (name.empty()) return nullptr; // options without a file key or variable have an empty one
    for (const auto& o : options())
        if (o.*where == name) return &o;
    return nullptr;
}

/// True when some key lies below `path` ("server" for "server.threads").
bool is_section(const std::string& path) {
    for (const auto& o : options())
        if (o.key.size() > path.size() && o.key.starts_with(path) && o.key[path.size()] == '.') return true;
    return false;
}

void apply_file_object(load_state& st, const json& obj, const std::string& prefix) {
    for (const auto& [k, v] : obj.items()) {
        const std::string path = prefix.empty() ? k : prefix + "." + k;
        if (const option* o = find_option(&option::key, path)) {
            if (!v.is_null()) o->apply(st, {path, nullptr, &v});
        } else if (is_section(path)) {
            if (!v.is_object()) throw config_error(path + ": expected an object, got " + v.dump());
            apply_file_object(st, v, path);
        } else {
            const std::string near = closest_name(path, &option::key);
            throw config_error(path + ": unknown key" + (near.empty() ? "" : " (did you mean " + near + "?)"));
        }
    }
}

void apply_config_file(load_state& st, const cli_options& cli) {
    std::ifstream in(cli.config_file, std::ios::binary);
    if (!in) {
        if (cli.config_file_given) throw config_error("cannot read config file " + cli.config_file);
        return;
    }
    try {
        const json doc = json::parse(in);
        if (!doc.is_object()) throw config_error("expected a JSON object");
        apply_file_object(st, doc, "");
    } catch (const json::exception& e) {
        throw config_error("config file " + cli.config_file + ": " + e.what());
    } catch (const config_error& e) {
        throw config_error("config file " + cli.config_file + ": " + e.what());
    }
}

void apply_environment(load_state& st, const environment& env) {
    for (const auto& o : options()) {
        if (!o.apply) continue;
        for (auto name : o.env) {
            // An empty variable counts as unset, as it always has.
            if (auto v = env.get(name); v && !v->empty()) {
                o.apply(st, {name, &*v, nullptr});
                break;
            }
        }
    }
}

std::string sources_of(const option& o) {
    std::string out;
    auto add = [&](std::string_view part) { out += (out.empty() ? "" : ", ") + std::string(part); };
    if (!o.flag.empty()) add(o.metavar.empty() ? std::string(o.flag) : std::string(o.flag) + " " + std::string(o.metavar));
    for (auto e : o.env)
        add(std::string("$") + std::string(e));
    if (!o.key.empty()) add(o.key);
    return out;
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
        item = trim_blanks(item);
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
    std::string out = "usage: switchyard [OPTION]...\n"
                      "Every setting below comes from a flag, an environment variable ($NAME; also read from .env)\n"
                      "or a key of the JSON config file. Precedence: flag, environment, .env, config file, default.\n\n";
    for (const auto& o : options()) {
        out += "  " + sources_of(o) + "\n      " + std::string(o.help);
        if (!o.default_text.empty()) out += " (default: " + o.default_text + ")";
        out += "\n";
    }
    return out;
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
        if (arg == "-h") arg = "--help";
        const option* opt = find_option(&option::flag, arg);
        if (!opt) {
            const std::string near = closest_name(arg, &option::flag);
            throw config_error("unknown option: " + arg + (near.empty() ? "" : " (did you mean " + near + "?)"));
        }
        if (opt->metavar.empty()) {
            if (has_inline) throw config_error(arg + " takes no value");
            value = "true";
        } else if (!has_inline) {
            if (i + 1 >= argc) throw config_error(arg + " needs a value");
            value = argv[++i];
        }
        if (arg == "--config") {
            o.config_file = value;
            o.config_file_given = true;
        } else if (arg == "--env-file") {
            o.env_file = value;
            o.env_file_given = true;
        } else if (arg == "--version") {
            o.show_version = true;
        } else if (arg == "--help") {
            o.show_help = true;
        } else {
            o.values.emplace_back(arg, value);
        }
    }
    return o;
}

settings load_settings(const cli_options& cli, const environment& env) {
    load_state st;
    st.s.models = builtin_models();
    st.env_openai.all_models = true; // OPENAI_MODELS defaults to "*"
    apply_config_file(st, cli);
    apply_environment(st, env);
    if (!st.env_openai.base_url.empty()) st.s.openai.push_back(std::move(st.env_openai));
    for (const auto& [flag, value] : cli.values)
        find_option(&option::flag, flag)->apply(st, {flag, &value, nullptr});

    settings& s = st.s;
    for (auto& u : s.openai) {
        while (u.base_url.ends_with('/'))
            u.base_url.pop_back();
        if (u.base_url.empty()) throw config_error("an OpenAI upstream (" + u.name + ") has no base_url");
    }
    return s;
}

} // namespace switchyard::config
