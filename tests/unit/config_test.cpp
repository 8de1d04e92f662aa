// The option table and the loader: validation, precedence, the new settings, and the README.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "switchyard/config/dotenv.hpp"
#include "switchyard/config/options.hpp"
#include "switchyard/config/settings.hpp"

using namespace switchyard::config;

namespace {

/// A config file in a scratch directory, removed with the object.
struct config_file {
    explicit config_file(const std::string& json) {
        path = (std::filesystem::temp_directory_path() /
                ("switchyard-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".json"))
                   .string();
        std::ofstream(path) << json;
    }
    ~config_file() { std::filesystem::remove(path); }
    std::string path;
    static inline int counter = 0;
};

settings load(const std::string& json, const std::string& dotenv = "") {
    config_file file(json);
    cli_options cli;
    cli.config_file = file.path;
    cli.config_file_given = true;
    return load_settings(cli, environment(parse_dotenv(dotenv)));
}

/// The config_error message of loading, or "" when loading succeeds.
std::string error_of(const std::string& json, const std::string& dotenv = "") {
    try {
        load(json, dotenv);
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

std::string flag_error(std::vector<const char*> args) {
    args.insert(args.begin(), "switchyard");
    try {
        auto cli = parse_command_line(static_cast<int>(args.size()), args.data());
        cli.config_file = "/nonexistent/switchyard.json";
        load_settings(cli, environment());
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(ConfigValidation, TimeoutsMustBeFinitePositiveNumbers) {
    struct row {
        const char* value;
        bool ok;
    };
    const row rows[] = {
        {"nan", false},  {"NaN", false},  {"inf", false}, {"-inf", false}, {"infinity", false}, {"-1", false}, {"0", false},
        {"0.01", false}, {"soon", false}, {"5s", false},  {"1e9", false},  {"2.5", true},       {"120", true}, {" 7 ", true},
    };
    for (const auto& r : rows) {
        const auto error = error_of("{}", std::string("REQUEST_TIMEOUT=") + r.value);
        if (r.ok) {
            EXPECT_EQ(error, "") << r.value;
        } else {
            EXPECT_NE(error.find("REQUEST_TIMEOUT"), std::string::npos) << r.value << ": " << error;
        }
    }
    EXPECT_NE(error_of("{}", "API_REQUEST_TIMEOUT=nan").find("API_REQUEST_TIMEOUT"), std::string::npos);
    EXPECT_EQ(load("{}", "API_REQUEST_TIMEOUT=0.5").upstream.request_timeout.count(), 500);
}

TEST(ConfigValidation, UnknownLogLevelIsRefused) {
    EXPECT_NE(error_of("{}", "LOG_LEVEL=verbose").find("LOG_LEVEL"), std::string::npos);
    EXPECT_NE(flag_error({"--log-level", "loud"}).find("--log-level"), std::string::npos);
    EXPECT_EQ(load("{}", "LOG_LEVEL=debug").log_level, "debug");
}

TEST(ConfigValidation, UnknownConfigKeysAreRefusedWithTheClosestKnownOne) {
    const auto e = error_of(R"({"server":{"idle_timeout":5000}})");
    EXPECT_NE(e.find("server.idle_timeout: unknown key"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean server.idle_timeout_ms?"), std::string::npos) << e;
    EXPECT_NE(error_of(R"({"upstrem":{"idle_timeout_ms":5000}})").find("upstrem"), std::string::npos);
    EXPECT_NE(error_of(R"({"stream":{"commit_hold":1}})").find("stream.commit_hold_ms"), std::string::npos);
    EXPECT_NE(
        error_of(R"({"providers":{"openai":[{"base_url":"http://h/v1","modles":"*"}]}})").find("providers.openai[0].modles"),
        std::string::npos);
    EXPECT_NE(error_of(R"({"models":[{"id":"a","provider":"flowgpt","upstream":"x"}]})").find("models[0].upstream"),
              std::string::npos);
    EXPECT_NE(error_of("[1, 2]").find("expected a JSON object"), std::string::npos);
}

TEST(ConfigValidation, WrongJsonTypesNameTheKey) {
    const char* docs[][2] = {
        {R"({"server":{"idle_timeout_ms":"5000"}})", "server.idle_timeout_ms"},
        {R"({"server":{"idle_timeout_ms":-5}})", "server.idle_timeout_ms"},
        {R"({"server":{"idle_timeout_ms":1.5}})", "server.idle_timeout_ms"},
        {R"({"server":{"idle_timeout_ms":true}})", "server.idle_timeout_ms"},
        {R"({"upstream":{"tls_verify":"false"}})", "upstream.tls_verify"},
        {R"({"upstream":{"ca_file":3}})", "upstream.ca_file"},
        {R"({"server":{"cors_origins":"https://a"}})", "server.cors_origins"},
        {R"({"server":{"cors_origins":[1]}})", "server.cors_origins"},
        {R"({"server":5})", "server"},
        {R"({"models":{"id":"a"}})", "models"},
        {R"({"models":[{"id":"a"}]})", "models[0]"},
        {R"({"providers":{"openai":[{"base_url":"http://h/v1","models":"all"}]}})", "providers.openai[0].models"},
        {R"({"providers":{"flowgpt":{"signature":"v9"}}})", "providers.flowgpt.signature"},
        {R"({"conversations":{"store":"postgres"}})", "conversations.store"},
        {R"({"models":[{"id":"a","routes":[]}]})", "models[0].routes"},
        {R"({"models":[{"id":"a","routes":[{"upstream_id":"x"}]}]})", "models[0].routes[0]"},
        {R"({"models":[{"id":"a","routes":[{"provider":"flowgpt","weight":2}]}]})", "models[0].routes[0].weight"},
        {R"({"models":[{"id":"a","provider":"flowgpt","routes":[{"provider":"flowgpt"}]}]})", "models[0]"},
    };
    for (const auto& [doc, key] : docs) {
        const auto e = error_of(doc);
        EXPECT_NE(e.find(key), std::string::npos) << doc << " -> " << e;
    }
}

TEST(ConfigValidation, CountsAndDurationsAreRangeChecked) {
    EXPECT_NE(error_of(R"({"server":{"threads":0}})").find("server.threads"), std::string::npos);
    EXPECT_NE(error_of(R"({"server":{"threads":257}})").find("server.threads"), std::string::npos);
    EXPECT_EQ(load(R"({"server":{"threads":256}})").threads, 256u);
    EXPECT_NE(flag_error({"--threads", "300"}).find("--threads"), std::string::npos);
    EXPECT_NE(flag_error({"--threads", "0"}).find("--threads"), std::string::npos);
    EXPECT_NE(flag_error({"--threads=-2"}).find("--threads"), std::string::npos);
    EXPECT_NE(error_of(R"({"conversations":{"idle_ttl_s":0}})").find("conversations.idle_ttl_s"), std::string::npos);
    EXPECT_NE(error_of(R"({"upstream":{"request_timeout_ms":0}})").find("upstream.request_timeout_ms"), std::string::npos);
    EXPECT_NE(error_of(R"({"upstream":{"pool_idle_timeout_ms":99}})").find("upstream.pool_idle_timeout_ms"), std::string::npos);
    EXPECT_NE(error_of(R"({"upstream":{"pool_idle_timeout_ms":3600001}})").find("upstream.pool_idle_timeout_ms"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"server":{"max_connections":1e30}})").find("server.max_connections"), std::string::npos);
    EXPECT_NE(error_of("{}", "SWITCHYARD_TLS_VERIFY=maybe").find("SWITCHYARD_TLS_VERIFY"), std::string::npos);
    EXPECT_NE(error_of("{}", "LISTEN=nohost").find("LISTEN"), std::string::npos);
}

TEST(ConfigValidation, UnknownFlagsSuggestTheClosestOne) {
    EXPECT_NE(flag_error({"--thread", "2"}).find("did you mean --threads?"), std::string::npos);
    EXPECT_NE(flag_error({"--allow-no-auth=yes"}).find("takes no value"), std::string::npos);
    EXPECT_NE(flag_error({"--listen"}).find("needs a value"), std::string::npos);
}

TEST(ConfigNewSettings, PoolIdleTimeoutNoProxyAndCorsOrigins) {
    const settings d = load("{}");
    EXPECT_EQ(d.upstream.pool_idle_timeout.count(), 4000);
    EXPECT_EQ(d.upstream.no_proxy, "");
    EXPECT_TRUE(d.cors_origins.empty());

    const settings s =
        load(R"({"upstream":{"pool_idle_timeout_ms":2500},"server":{"cors_origins":["https://a.test"," https://b.test"]}})",
             "no_proxy=localhost,.internal\n");
    EXPECT_EQ(s.upstream.pool_idle_timeout.count(), 2500);
    EXPECT_EQ(s.upstream.no_proxy, "localhost,.internal");
    EXPECT_EQ(s.cors_origins, (std::vector<std::string>{"https://a.test", "https://b.test"}));

    const settings e = load(R"({"server":{"cors_origins":["https://a.test"]}})", "CORS_ORIGINS=https://x.test, https://y.test\n"
                                                                                 "NO_PROXY=10.0.0.0/8\nno_proxy=ignored\n");
    EXPECT_EQ(e.cors_origins, (std::vector<std::string>{"https://x.test", "https://y.test"}));
    EXPECT_EQ(e.upstream.no_proxy, "10.0.0.0/8");
}

TEST(ConfigPrecedence, FlagThenEnvironmentThenDotenvThenFileThenDefault) {
    const std::string file = R"({"server":{"listen":"127.0.0.1:1001","threads":3},"conversations":{"data_dir":"/file"}})";
    EXPECT_EQ(load("{}").listen.port, 8088);
    EXPECT_EQ(load(file).listen.port, 1001);
    EXPECT_EQ(load(file, "LISTEN=127.0.0.1:1002").listen.port, 1002);
    ::setenv("LISTEN", "127.0.0.1:1003", 1);
    EXPECT_EQ(load(file, "LISTEN=127.0.0.1:1002").listen.port, 1003);
    ::unsetenv("LISTEN");

    config_file f(file);
    const char* argv[] = {"switchyard", "--listen", "127.0.0.1:1004", "--data-dir=/flag", "--config", f.path.c_str()};
    const auto s =
        load_settings(parse_command_line(6, argv), environment(parse_dotenv("LISTEN=127.0.0.1:1002\nSWITCHYARD_DATA_DIR=/env")));
    EXPECT_EQ(s.listen.port, 1004);
    EXPECT_EQ(s.conversations.data_dir, "/flag");
    EXPECT_EQ(s.threads, 3u);
}

TEST(ConfigPrecedence, EnvironmentOpenAiUpstreamIsAddedAfterTheFileOnes) {
    const auto s = load(R"({"providers":{"openai":[{"name":"a","base_url":"http://a/v1/","models":["m"]}]}})",
                        "OPENAI_BASE_URL=http://b/v1\nOPENAI_API_KEY=k1,k2\n");
    ASSERT_EQ(s.openai.size(), 2u);
    EXPECT_EQ(s.openai[0].base_url, "http://a/v1");
    EXPECT_FALSE(s.openai[0].all_models);
    EXPECT_EQ(s.openai[1].name, "openai");
    EXPECT_TRUE(s.openai[1].all_models);
    EXPECT_EQ(s.openai[1].api_keys, (std::vector<std::string>{"k1", "k2"}));
    EXPECT_TRUE(load("{}", "OPENAI_API_KEY=k").openai.empty());
}

TEST(ConfigDotenv, ByteOrderMarkDoesNotHideTheFirstVariable) {
    const auto env = parse_dotenv("\xEF\xBB\xBF"
                                  "API_MASTER_KEY=sk-1\nLOG_LEVEL=warn\n");
    ASSERT_TRUE(env.contains("API_MASTER_KEY"));
    EXPECT_EQ(env.at("API_MASTER_KEY"), "sk-1");
    EXPECT_EQ(load("{}", "\xEF\xBB\xBF"
                         "API_MASTER_KEY=sk-1\n")
                  .api_keys,
              (std::vector<std::string>{"sk-1"}));
}

TEST(ConfigTable, EveryOptionHasASourceHelpAndAUniqueName) {
    std::set<std::string_view> seen;
    for (const auto& o : options()) {
        EXPECT_FALSE(o.help.empty()) << o.flag << o.key;
        EXPECT_FALSE(o.flag.empty() && o.env.empty() && o.key.empty()) << o.help;
        std::vector<std::string_view> names(o.env.begin(), o.env.end());
        if (!o.flag.empty()) names.push_back(o.flag);
        if (!o.key.empty()) names.push_back(o.key);
        for (auto name : names)
            EXPECT_TRUE(seen.insert(name).second) << name;
    }
    const std::string usage = usage_text();
    for (auto name : seen)
        EXPECT_NE(usage.find(name), std::string::npos) << name;
}

TEST(ConfigTable, TheShippedConfigFileLoads) {
    cli_options cli;
    cli.config_file = SWITCHYARD_SOURCE_DIR "/config/switchyard.json";
    cli.config_file_given = true;
    const auto s = load_settings(cli, environment());
    EXPECT_EQ(s.models.size(), 16u);
}

namespace {

std::string cell(std::string_view s) {
    std::string out;
    for (char c : s)
        if (c != '`') out.push_back(c);
    return out;
}

/// The README table whose header starts with `| <first> |`, as its rows' cells.
std::vector<std::vector<std::string>> readme_table(const std::string& readme, std::string_view first) {
    std::vector<std::vector<std::string>> rows;
    const auto section = readme.find("\n## Configuration");
    const auto end = readme.find("\n## ", section + 1);
    std::istringstream in(readme.substr(section, end - section));
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("| " + std::string(first) + " |")) {
            inside = true;
            continue;
        }
        if (!inside) continue;
        if (!line.starts_with("|")) break;
        if (line.starts_with("|---")) continue;
        std::vector<std::string> cells;
        std::size_t pos = 1;
        for (auto bar = line.find(" | ", pos); pos < line.size(); bar = line.find(" | ", pos)) {
            if (bar == std::string::npos) bar = line.size() - 1;
            std::string c = line.substr(pos, bar - pos);
            while (!c.empty() && c.front() == ' ')
                c.erase(0, 1);
            while (!c.empty() && c.back() == ' ')
                c.pop_back();
            cells.push_back(c);
            pos = bar + 3;
        }
        rows.push_back(cells);
    }
    return rows;
}

std::string markdown_default(const option& o) {
    return o.default_text == "none" || o.default_text.find(' ') != std::string::npos ? o.default_text
                                                                                     : "`" + o.default_text + "`";
}

std::string expected_table(bool variables) {
    std::string out =
        variables ? "| Variable | Meaning | Default |\n|---|---|---|\n" : "| Key | Meaning | Default |\n|---|---|---|\n";
    for (const auto& o : options()) {
        std::string names;
        if (variables)
            for (auto e : o.env)
                names += (names.empty() ? "`" : " / `") + std::string(e) + "`";
        else if (!o.key.empty())
            names = "`" + std::string(o.key) + "`";
        if (!names.empty()) out += "| " + names + " | " + std::string(o.help) + " | " + markdown_default(o) + " |\n";
    }
    return out;
}

} // namespace

// The README's two tables are checked against the option table, so they cannot drift. When this
// fails, the expected tables are in build/readme_configuration_tables.md.
TEST(ConfigTable, ReadmeTablesMatchTheOptionTable) {
    std::ofstream(SWITCHYARD_BINARY_DIR "/readme_configuration_tables.md") << expected_table(true) << "\n"
                                                                           << expected_table(false);
    std::ifstream in(SWITCHYARD_SOURCE_DIR "/README.md");
    ASSERT_TRUE(in) << "README.md not found";
    const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (bool variables : {true, false}) {
        std::vector<std::vector<std::string>> expected;
        for (const auto& o : options()) {
            if (variables && o.env.empty()) continue;
            if (!variables && o.key.empty()) continue;
            std::string names;
            if (variables)
                for (auto e : o.env)
                    names += (names.empty() ? "" : " / ") + std::string(e);
            else
                names = o.key;
            expected.push_back({names, std::string(o.help), o.default_text});
        }
        auto actual = readme_table(readme, variables ? "Variable" : "Key");
        for (auto& row : actual) {
            ASSERT_EQ(row.size(), 3u) << (row.empty() ? "" : row[0]);
            row[0] = cell(row[0]);
            row[2] = cell(row[2]);
        }
        EXPECT_EQ(actual, expected) << (variables ? "variables" : "keys") << " table";
    }
}

TEST(ConfigValidation, NamedKeysAreReadAndCheckedWithTheirLimits) {
    const auto s = load(R"({"keys":[{"name":"team-a","key":"sk-a","rpm":60,"tpm":10000,"max_concurrent":2,"models":["default"]},
        {"name":"hashed","key_sha256":"EF078E2F81A14AC6E29122C29799F8568BABCE0ED8C21DF3019EA0F35BFBAFF6"}]})");
    ASSERT_EQ(s.keys.size(), 2u);
    EXPECT_EQ(s.keys[0].rpm, 60);
    EXPECT_EQ(s.keys[0].tpm, 10000);
    EXPECT_EQ(s.keys[0].max_concurrent, 2);
    EXPECT_EQ(s.keys[0].models, std::vector<std::string>{"default"});
    EXPECT_TRUE(s.keys[0].limited());
    EXPECT_EQ(s.keys[1].key_sha256, "ef078e2f81a14ac6e29122c29799f8568babce0ed8c21df3019ea0f35bfbaff6");
    EXPECT_FALSE(s.keys[1].limited());
    EXPECT_NE(error_of(R"({"keys":[{"key":"sk"}]})").find("keys[0]: needs a name"), std::string::npos);
    EXPECT_NE(error_of(R"({"keys":[{"name":"a"}]})").find("needs one of key and key_sha256"), std::string::npos);
    EXPECT_NE(error_of(R"({"keys":[{"name":"a","key":"k","key_sha256":"00"}]})").find("keys[0].key_sha256"), std::string::npos);
    EXPECT_NE(error_of(R"({"keys":[{"name":"a","key":"k","rpm":-1}]})").find("keys[0].rpm"), std::string::npos);
    EXPECT_NE(error_of(R"({"keys":[{"name":"a","key":"k"},{"name":"a","key":"j"}]})").find("names two keys"), std::string::npos);
    EXPECT_NE(error_of(R"({"keys":[{"name":"a","key":"k","burst":1}]})").find("unknown key"), std::string::npos);
}

// Found by fuzz_config_loader: "//" lost its slashes and became an empty base URL.
TEST(ConfigValidation, ABaseUrlOfSlashesIsRefused) {
    EXPECT_NE(error_of("{}", "OPENAI_BASE_URL=//").find("has no base_url"), std::string::npos);
    EXPECT_EQ(load("{}", "OPENAI_BASE_URL=http://127.0.0.1:9/v1//").openai.at(0).base_url, "http://127.0.0.1:9/v1");
}

// Found by fuzz_config_loader: a key "" matched an option that has no file key, and its empty
// std::function ended the process.
TEST(ConfigValidation, AnEmptyKeyIsUnknown) {
    EXPECT_NE(error_of(R"({"": 1})").find("unknown key"), std::string::npos);
    EXPECT_NE(error_of(R"({"server": {"": 1}})").find("unknown key"), std::string::npos);
}

TEST(ConfigModels, RoutesAreTheFirstProviderThenFallbacksInOrder) {
    const auto s = load(
        R"({"models":[{"id":"m","routes":[{"provider":"chatgptfree","upstream_id":"25865"},{"provider":"lab","upstream_id":"x"}]}]})");
    ASSERT_EQ(s.models.size(), 1u);
    EXPECT_EQ(s.models[0].provider, "chatgptfree");
    EXPECT_EQ(s.models[0].upstream_id, "25865");
    ASSERT_EQ(s.models[0].fallbacks.size(), 1u);
    EXPECT_EQ(s.models[0].fallbacks[0].provider, "lab");
    EXPECT_EQ(s.models[0].fallbacks[0].upstream_id, "x");
}
