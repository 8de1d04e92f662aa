#include <gtest/gtest.h>

#include <cstdlib>

#include "switchyard/config/dotenv.hpp"
#include "switchyard/config/settings.hpp"

using namespace switchyard::config;

TEST(Dotenv, ParsesTheShapesSeedProjectsUse) {
    struct row {
        const char* line;
        const char* key;
        const char* value;
    };
    const row rows[] = {
        {"A=plain", "A", "plain"},
        {"export B=exported", "B", "exported"},
        {"C = spaced  ", "C", "spaced"},
        {"D=\"double quoted # not a comment\"", "D", "double quoted # not a comment"},
        {"E='single $HOME'", "E", "single $HOME"},
        {"F=value # trailing comment", "F", "value"},
        {"G=pa$word", "G", "pa$word"},  // `$` is literal
        {"H=pa$$word", "H", "pa$word"}, // `$$` is an escaped `$`
        {"I=\"x$$y$z\"", "I", "x$y$z"},
        {"J='$$'", "J", "$"},
        {"K=\"line\\nnext\"", "K", "line\nnext"},
        {"L=", "L", ""},
        {"M=a=b=c", "M", "a=b=c"},
        {"N=tok1,Bearer tok2", "N", "tok1,Bearer tok2"},
    };
    for (const auto& r : rows) {
        const auto env = parse_dotenv(r.line);
        ASSERT_TRUE(env.contains(r.key)) << r.line;
        EXPECT_EQ(env.at(r.key), r.value) << r.line;
    }
}

TEST(Dotenv, SkipsCommentsBlanksAndMalformedLines) {
    const auto env = parse_dotenv("# comment\n\n  \nnot a pair\n=nokey\nBAD KEY=x\nOK=1\r\n");
    EXPECT_EQ(env.size(), 1u);
    EXPECT_EQ(env.at("OK"), "1");
}

TEST(Dotenv, RealEnvironmentWinsOverDotenv) {
    ::setenv("SWITCHYARD_TEST_VAR", "from-env", 1);
    environment env(parse_dotenv("SWITCHYARD_TEST_VAR=from-file\nONLY_IN_FILE=file"));
    EXPECT_EQ(env.get("SWITCHYARD_TEST_VAR"), "from-env");
    EXPECT_EQ(env.get("ONLY_IN_FILE"), "file");
    EXPECT_FALSE(env.get("SWITCHYARD_NOT_SET_ANYWHERE").has_value());
    ::unsetenv("SWITCHYARD_TEST_VAR");
}

TEST(Settings, EnvironmentContractIsRead) {
    cli_options cli;
    cli.config_file = "/nonexistent/switchyard.json";
    environment env(parse_dotenv(
        "API_MASTER_KEY=k1, k2\nFLOWGPT_BEARER_TOKEN=Bearer t1,t2\nFLOWGPT_DEVICE_ID=dev\n"
        "FLOWGPT_BASE_URL=http://127.0.0.1:9/\nFLOWGPT_SIGNATURE=v3\nAPI_REQUEST_TIMEOUT=2.5\nLISTEN=0.0.0.0:9000\n"));
    const auto s = load_settings(cli, env);
    EXPECT_EQ(s.api_keys, (std::vector<std::string>{"k1", "k2"}));
    EXPECT_EQ(s.flowgpt.tokens, (std::vector<std::string>{"t1", "t2"}));
    EXPECT_EQ(s.flowgpt.device_id, "dev");
    EXPECT_EQ(s.flowgpt.signature, signature_scheme::v3);
    EXPECT_EQ(s.upstream.request_timeout.count(), 2500);
    EXPECT_EQ(s.listen.host, "0.0.0.0");
    EXPECT_EQ(s.listen.port, 9000);
    ASSERT_EQ(s.models.size(), 16u);
    EXPECT_EQ(s.models[0].upstream_id, "uzNcMUGo4sOwl4GFvRpm8");
    EXPECT_EQ(s.models[4].provider, "chatgptfree");
}

TEST(Settings, ChatgptfreeVariablesAreRead) {
    cli_options cli;
    cli.config_file = "/nonexistent/switchyard.json";
    const auto s = load_settings(
        cli, environment(parse_dotenv("CHATGPTFREE_BASE_URL=http://127.0.0.1:9\nCOOKIE=\"cf_clearance=abc; a=b\"\n"
                                      "AJAX_NONCE=0123456789\nSESSION_ID=guest-1\nPOST_ID=261\nSWITCHYARD_STORE=memory\n")));
    EXPECT_EQ(s.chatgptfree.base_url, "http://127.0.0.1:9");
    EXPECT_EQ(s.chatgptfree.cookie, "cf_clearance=abc; a=b");
    EXPECT_EQ(s.chatgptfree.ajax_nonce, "0123456789");
    EXPECT_EQ(s.chatgptfree.session_id, "guest-1");
    EXPECT_EQ(s.chatgptfree.post_id, "261");
    EXPECT_EQ(s.conversations.store, "memory");
}

TEST(Settings, RejectsBadValuesWithAClearMessage) {
    cli_options cli;
    cli.config_file = "/nonexistent/switchyard.json";
    EXPECT_THROW(load_settings(cli, environment(parse_dotenv("FLOWGPT_SIGNATURE=v9"))), config_error);
    EXPECT_THROW(load_settings(cli, environment(parse_dotenv("REQUEST_TIMEOUT=soon"))), config_error);
    EXPECT_THROW(parse_listen_address("nohost"), config_error);
    EXPECT_THROW(parse_listen_address("127.0.0.1:70000"), config_error);
    const char* argv[] = {"switchyard", "--bogus"};
    EXPECT_THROW(parse_command_line(2, argv), config_error);
}

TEST(Settings, CommandLineWins) {
    const char* argv[] = {"switchyard",  "--listen", "[::1]:1234", "--threads=3",
                          "--log-level", "debug",    "--config",   "/nonexistent"};
    const auto cli = parse_command_line(8, argv);
    EXPECT_THROW(load_settings(cli, environment()), config_error); // an explicit config file must exist
    auto cli2 = cli;
    cli2.config_file_given = false;
    const auto s = load_settings(cli2, environment(parse_dotenv("LISTEN=127.0.0.1:1")));
    EXPECT_EQ(s.listen.host, "::1");
    EXPECT_EQ(s.listen.port, 1234);
    EXPECT_EQ(s.threads, 3u);
    EXPECT_EQ(s.log_level, "debug");
}
