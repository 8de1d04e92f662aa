#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <map>

#include "switchyard/api/failure_mapping.hpp"
#include "switchyard/providers/attempts.hpp"
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/upstream/http_client.hpp"

using namespace switchyard;
using providers::failure_reason;
using providers::provider_error;
namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

/// What the fake does with one credential: emit some text first, then fail (or not).
struct scripted {
    std::string text; // emitted before the outcome, when not empty
    std::optional<failure_reason> failure;
};

/// A provider that answers each credential as scripted and records what it was given.
class fake_provider final : public providers::provider {
public:
    fake_provider(std::vector<std::string> keys, std::map<std::string, scripted> script)
        : pool_(std::move(keys), {}), script_(std::move(script)) {}

    std::string_view name() const noexcept override { return "fake"; }
    providers::capabilities caps() const noexcept override { return {}; }
    std::optional<provider_error> check_ready() const override { return std::nullopt; }
    providers::credential_pool* credentials() noexcept override { return keyless_ ? nullptr : &pool_; }
    net::awaitable<std::optional<provider_error>> complete(const api::chat_request&, const providers::model_route&,
                                                           providers::event_sink& sink, providers::call_context ctx) override {
        const std::string credential(ctx.credential);
        tried.push_back(credential);
        const scripted step = script_[credential];
        if (!step.text.empty()) {
            providers::provider_event ev{providers::text_delta{step.text}};
            co_await sink.emit(std::move(ev));
        }
        if (!step.failure) co_return std::nullopt;
        co_return provider_error{*step.failure, "fake failed: " + credential, std::nullopt, std::nullopt};
    }

    std::vector<std::string> tried;
    bool keyless_ = false;
    providers::credential_pool pool_;

private:
    std::map<std::string, scripted> script_;
};

class recording_sink final : public providers::event_sink {
public:
    net::awaitable<bool> deliver(providers::provider_event&& ev) override {
        if (auto* t = std::get_if<providers::text_delta>(&ev)) text += t->text;
        co_return true;
    }
    std::string text;
};

/// Runs the loop once over `p` on a fresh io_context.
std::optional<provider_error> run(fake_provider& p, recording_sink& sink) {
    net::io_context ioc;
    upstream::http_client http(ioc.get_executor(), config::upstream_settings{});
    const api::chat_request req;
    const providers::model_route route{"m", "up"};
    providers::call_context ctx{http, "req-1"};
    auto body = [&]() -> net::awaitable<std::optional<provider_error>> {
        co_return co_await providers::run_attempts(p, req, route, sink, ctx);
    };
    auto done = net::co_spawn(ioc, body(), net::use_future);
    ioc.run();
    return done.get();
}

} // namespace

TEST(RunAttempts, ARejectedKeyRestsAndTheNextAnswers) {
    fake_provider p({"key-one", "key-two"},
                    {{"key-one", {"", failure_reason::credential_rejected}}, {"key-two", {"hello", std::nullopt}}});
    recording_sink sink;
    EXPECT_FALSE(run(p, sink));
    EXPECT_EQ(p.tried, (std::vector<std::string>{"key-one", "key-two"}));
    EXPECT_EQ(sink.text, "hello");
    // key-one is failing now: the next exchanges start with key-two.
    EXPECT_EQ(p.pool_.report()[0].state, providers::credential_state::failing);
    EXPECT_EQ(p.pool_.report()[1].state, providers::credential_state::healthy);
    p.tried.clear();
    recording_sink again;
    EXPECT_FALSE(run(p, again));
    EXPECT_EQ(p.tried, (std::vector<std::string>{"key-two"}));
}

TEST(RunAttempts, EveryKeyRejectedIsA502UpstreamAuthFailed) {
    fake_provider p({"a-key", "b-key", "c-key"}, {{"a-key", {"", failure_reason::credential_rejected}},
                                                  {"b-key", {"", failure_reason::credential_rejected}},
                                                  {"c-key", {"", failure_reason::credential_rejected}}});
    recording_sink sink;
    const auto err = run(p, sink);
    ASSERT_TRUE(err);
    EXPECT_EQ(p.tried, (std::vector<std::string>{"a-key", "b-key", "c-key"}));
    EXPECT_FALSE(sink.output_seen());
    const auto e = api::error_for(*err);
    EXPECT_EQ(e.kind, api::error_kind::upstream_auth_failed);
    EXPECT_EQ(api::traits_of(e.kind).status, 502);
    EXPECT_FALSE(api::traits_of(e.kind).retryable);
}

TEST(RunAttempts, NoRetryOnceTextWasEmitted) {
    fake_provider p({"key-one", "key-two"},
                    {{"key-one", {"partial", failure_reason::credential_rejected}}, {"key-two", {"whole", std::nullopt}}});
    recording_sink sink;
    const auto err = run(p, sink);
    ASSERT_TRUE(err);
    EXPECT_TRUE(sink.output_seen());
    EXPECT_EQ(p.tried, (std::vector<std::string>{"key-one"}));
    EXPECT_EQ(sink.text, "partial");
}

TEST(RunAttempts, ARateLimitedKeyCoolsAndTheNextAnswers) {
    fake_provider p({"key-one", "key-two"},
                    {{"key-one", {"", failure_reason::rate_limited}}, {"key-two", {"whole", std::nullopt}}});
    recording_sink sink;
    EXPECT_FALSE(run(p, sink));
    EXPECT_EQ(p.tried, (std::vector<std::string>{"key-one", "key-two"}));
    EXPECT_EQ(p.pool_.report()[0].state, providers::credential_state::cooling);
}

TEST(RunAttempts, TheUpstreamsOwnFailuresAreNotRetried) {
    fake_provider p({"key-one", "key-two"},
                    {{"key-one", {"", failure_reason::upstream_failed}}, {"key-two", {"whole", std::nullopt}}});
    recording_sink sink;
    const auto err = run(p, sink);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->reason, failure_reason::upstream_failed);
    EXPECT_EQ(p.tried, (std::vector<std::string>{"key-one"}));
}

TEST(RunAttempts, NothingIsSentWhenEveryKeyCools) {
    fake_provider p({"key-one"}, {{"key-one", {"", failure_reason::rate_limited}}});
    recording_sink sink;
    ASSERT_TRUE(run(p, sink));
    p.tried.clear();
    recording_sink again;
    const auto err = run(p, again);
    ASSERT_TRUE(err);
    EXPECT_TRUE(p.tried.empty());
    EXPECT_EQ(err->reason, failure_reason::rate_limited);
    EXPECT_TRUE(err->retry_after_seconds);
}

TEST(RunAttempts, WithoutCredentialsThereIsOneAttempt) {
    fake_provider keyless({}, {{"", {"", failure_reason::credential_rejected}}});
    recording_sink sink;
    const auto err = run(keyless, sink);
    ASSERT_TRUE(err);
    EXPECT_EQ(keyless.tried, (std::vector<std::string>{""}));
    EXPECT_EQ(api::error_for(*err).kind, api::error_kind::upstream_auth_failed);

    fake_provider none({"unused"}, {{"", {"text", std::nullopt}}});
    none.keyless_ = true;
    recording_sink other;
    EXPECT_FALSE(run(none, other));
    EXPECT_EQ(none.tried, (std::vector<std::string>{""}));
    EXPECT_EQ(other.text, "text");
}
