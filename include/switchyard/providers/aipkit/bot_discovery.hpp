#pragma once
// Reads an AIPKit site's chat pages for their bots (chat_page.hpp): once at start-up and again
// every `ttl`, on a thread of its own, so that neither start-up nor a request ever waits for a
// page. What it read last stays in use until a read succeeds again.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/config/settings.hpp"
#include "switchyard/providers/aipkit/chat_page.hpp"

namespace boost::asio {
class io_context;
class cancellation_signal;
} // namespace boost::asio

namespace switchyard::providers::aipkit {

class bot_discovery {
public:
    /// What the pages said, and whether the last read worked.
    struct reading {
        std::vector<page_bot> bots; // from the last read of every page that worked
        std::string failure;        // why the latest read did not work; empty when it did
    };
    /// Called with the nonce of a page that was read (on the discovery thread).
    using nonce_found = std::function<void(const std::string&)>;

    /// Starts reading at once, unless the site lists no pages.
    bot_discovery(const config::aipkit_site& site, const config::upstream_settings& upstream, std::chrono::milliseconds ttl,
                  nonce_found on_nonce);
    /// Stops a read under way and the thread, without waiting for any upstream.
    ~bot_discovery();
    bot_discovery(const bot_discovery&) = delete;
    bot_discovery& operator=(const bot_discovery&) = delete;

    std::shared_ptr<const reading> current() const;

private:
    void run();
    reading read_pages(const reading& before);

    const std::string base_;
    const std::vector<std::string> pages_;
    const std::string cookie_;
    config::upstream_settings upstream_;
    const std::chrono::milliseconds ttl_;
    const nonce_found on_nonce_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    boost::asio::io_context* reading_now_ = nullptr;         // the read under way, which the destructor cancels
    boost::asio::cancellation_signal* cancel_now_ = nullptr; // with this
    std::shared_ptr<const reading> current_;
    std::thread thread_;
};

} // namespace switchyard::providers::aipkit
