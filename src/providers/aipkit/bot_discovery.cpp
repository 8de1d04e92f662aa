#include "switchyard/providers/aipkit/bot_discovery.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers::aipkit {

namespace net = boost::asio;

namespace {

// A page is small and near; one that takes longer than this is as good as unreadable.
constexpr std::chrono::milliseconds page_timeout{10'000};

/// What went wrong, in words fit for /v1/models: the failure's own text is for logs only.
std::string described(const upstream::failure& f) {
    switch (f.kind) {
    case upstream::failure_kind::connect: return "the site could not be reached";
    case upstream::failure_kind::tls: return "the TLS handshake failed";
    case upstream::failure_kind::timeout: return "the site did not answer in time";
    case upstream::failure_kind::protocol: return "the reply was unreadable or too large";
    case upstream::failure_kind::cancelled: return "the read was cancelled";
    }
    return "the read failed";
}

std::string without_trailing_slash(std::string url) {
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    return url;
}

} // namespace

bot_discovery::bot_discovery(const config::aipkit_site& site, const config::upstream_settings& upstream,
                             std::chrono::milliseconds ttl, nonce_found on_nonce)
    : base_(without_trailing_slash(site.base_url)), pages_(site.pages), cookie_(site.cookie), upstream_(upstream), ttl_(ttl),
      on_nonce_(std::move(on_nonce)), current_(std::make_shared<const reading>()) {
    upstream_.connect_timeout = std::min(upstream_.connect_timeout, page_timeout);
    upstream_.request_timeout = std::min(upstream_.request_timeout, page_timeout);
    upstream_.idle_timeout = std::min(upstream_.idle_timeout, page_timeout);
    upstream_.pool_max_idle_per_host = 0;
    if (!pages_.empty()) thread_ = std::thread([this] { run(); });
}

bot_discovery::~bot_discovery() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        // The read's own thread delivers the cancellation, so the read unwinds in order.
        if (reading_now_) net::post(*reading_now_, [signal = cancel_now_] { signal->emit(net::cancellation_type::terminal); });
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const bot_discovery::reading> bot_discovery::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void bot_discovery::run() {
    for (;;) {
        auto before = current();
        reading now;
        try {
            now = read_pages(*before);
        } catch (const std::exception& e) { // e.g. a CA file that cannot be loaded: never the end of the process
            spdlog::warn("AIPKit site {}: reading its chat pages failed: {}", base_, e.what());
            now = {before->bots, "the gateway could not start the read"};
        }
        auto read = std::make_shared<const reading>(std::move(now));
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        current_ = std::move(read);
        wake_.wait_for(lock, ttl_, [this] { return stopping_; });
        if (stopping_) return;
    }
}

bot_discovery::reading bot_discovery::read_pages(const reading& before) {
    net::io_context ioc(1);
    net::cancellation_signal cancel;
    upstream::http_client http(ioc.get_executor(), upstream_);
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return before;
        reading_now_ = &ioc;
        cancel_now_ = &cancel;
    }
    // Every page, in order; the first failure ends the read.
    auto read_all = [&]() -> net::awaitable<reading> {
        reading now;
        for (const auto& page : pages_) {
            const std::string url = base_ + (page.starts_with('/') ? page : "/" + page);
            upstream::header_list headers{
                {"Accept", "text/html,application/xhtml+xml"},
                {"User-Agent",
                 "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"}};
            if (!cookie_.empty()) headers.emplace_back("Cookie", cookie_);
            upstream::request r{"GET", url, std::move(headers), ""};
            auto res = co_await http.send(std::move(r));
            const std::string html = co_await res.read_all(max_page_bytes);
            if (res.status() != 200) {
                now.failure = page + " answered HTTP " + std::to_string(res.status());
                co_return now;
            }
            auto bots = read_chat_page(html);
            if (bots.empty()) {
                now.failure = page + " has no AIPKit bot on it";
                co_return now;
            }
            for (auto& b : bots)
                if (std::none_of(now.bots.begin(), now.bots.end(), [&](const page_bot& k) { return k.bot_id == b.bot_id; }))
                    now.bots.push_back(std::move(b));
        }
        co_return now;
    };
    auto result = net::co_spawn(ioc, read_all(), net::bind_cancellation_slot(cancel.slot(), net::use_future));
    ioc.run();
    {
        std::lock_guard lock(mutex_);
        reading_now_ = nullptr;
        cancel_now_ = nullptr;
    }
    reading now;
    std::string logged;
    try {
        now = result.get();
    } catch (const upstream::failure& f) {
        now.failure = described(f);
        logged = f.what();
    } catch (const std::exception& e) {
        now.failure = "the read failed";
        logged = e.what();
    }
    if (!now.failure.empty()) {
        // The last good list stays; so do the configured models, which never depended on it.
        spdlog::warn("AIPKit site {}: reading its chat pages failed ({}{}{}); keeping {} bot(s) from before", base_, now.failure,
                     logged.empty() ? "" : ": ", logged, before.bots.size());
        now.bots = before.bots;
        return now;
    }
    for (const auto& b : now.bots)
        if (!b.nonce.empty()) {
            on_nonce_(b.nonce);
            break;
        }
    spdlog::info("AIPKit site {}: {} bot(s) on its chat pages", base_, now.bots.size());
    return now;
}

} // namespace switchyard::providers::aipkit
