// switchyard: flags, configuration, logging, then the server. Nothing else lives here.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "switchyard/config/settings.hpp"
#include "switchyard/http/router.hpp"
#include "switchyard/ops/live_config.hpp"
#include "switchyard/ops/metrics.hpp"
#include "switchyard/ops/recent_errors.hpp"
#include "switchyard/ops/usage.hpp"
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/server/server.hpp"
#include "switchyard/store/conversation_store.hpp"
#include "switchyard/store/expiry_sweeper.hpp"
#include "switchyard/store/redis/client.hpp"
#include "switchyard/store/redis/redis_shared_state.hpp"
#include "switchyard/store/redis/redis_store.hpp"
#include "switchyard/util/log_output.hpp"

namespace {

std::unique_ptr<switchyard::store::conversation_store>
open_conversation_store(const switchyard::config::conversation_settings& c) {
    if (c.store == "memory") return switchyard::store::make_memory_store();
    if (c.store == "redis") {
        const auto where = switchyard::store::redis::parse_url(c.redis_url); // the log never shows the password
        spdlog::info("conversations are stored in Redis at {}:{}/{}{}", where.host, where.port, where.db,
                     where.tls ? " over TLS" : "");
        return switchyard::store::open_redis_store(c.redis_url);
    }
    std::filesystem::create_directories(c.data_dir);
    const std::string path = (std::filesystem::path(c.data_dir) / "switchyard.db").string();
    spdlog::info("conversations are stored in {}", path);
    return switchyard::store::open_sqlite_store(path);
}

bool is_loopback(const std::string& host) { return host == "localhost" || host == "::1" || host.starts_with("127."); }

/// The settings from the command line, the environment, `.env` and the config file: at start,
/// and again at each reload.
switchyard::config::settings read_settings(const switchyard::config::cli_options& cli) {
    using namespace switchyard;
    config::env_map dotenv;
    if (auto loaded = config::load_dotenv_file(cli.env_file))
        dotenv = std::move(*loaded);
    else if (cli.env_file_given)
        throw config::config_error("cannot read env file " + cli.env_file);
    auto settings = config::load_settings(cli, config::environment(std::move(dotenv)));
    if (settings.api_keys.empty() && settings.keys.empty() && !is_loopback(settings.listen.host) && !settings.allow_no_auth)
        throw config::config_error("refusing to listen on " + settings.listen.host +
                                   " without API_MASTER_KEY; set it, or pass --allow-no-auth");
    return settings;
}

} // namespace

int main(int argc, char** argv) {
    using namespace switchyard;
    struct flush_log_at_exit {
        ~flush_log_at_exit() { log_output::flush(); }
    } flush_log;
    try {
        const auto cli = config::parse_command_line(argc, argv);
        if (cli.show_help) {
            std::cout << config::usage_text();
            return 0;
        }
        if (cli.show_version) {
            std::cout << "switchyard " << SWITCHYARD_VERSION << "\n";
            return 0;
        }
        const auto settings = read_settings(cli);
        log_output::to_stdout(settings.log_level, "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v", settings.log_format == "json");
        if (settings.api_keys.empty() && settings.keys.empty())
            spdlog::warn("API_MASTER_KEY is not set: client authentication is off");

        auto conversations = open_conversation_store(settings.conversations);
        store::expiry_sweeper sweeper(*conversations, settings.conversations.idle_ttl);
        const auto metrics = settings.metrics ? std::make_unique<ops::metrics>() : nullptr;
        ops::usage_recorder usage(*conversations);
        ops::recent_errors errors;
        // With conversations on Redis, the instances sharing it share the rest too (store/shared_state.hpp).
        const auto shared =
            settings.conversations.store == "redis" ? store::open_redis_shared_state(settings.conversations.redis_url) : nullptr;
        http::router router(settings, ops::live_config::build(settings, shared.get()), *conversations, metrics.get(), &usage,
                            &errors, shared.get());
        server::server srv(settings, router);
        // SIGHUP: keys, credentials and models again from .env and the config file (the process
        // environment is what it was at start). A bad file leaves the running configuration alone.
        ops::reloader reloads([&] {
            try {
                const auto before = router.live();
                auto reread = read_settings(cli);
                // The guest keeps its identity (a random one unless SESSION_ID names it).
                for (auto* old : before->models->providers())
                    if (old->name() == "chatgptfree" && reread.chatgptfree.session_id.empty() && old->credentials())
                        reread.chatgptfree.session_id = old->credentials()->value_at(0);
                auto next = ops::live_config::build(std::move(reread), shared.get());
                // A rate limit or an exhausted quota the upstream announced still holds after a reload.
                for (auto* p : next->models->providers())
                    for (auto* old : before->models->providers())
                        if (p->name() == old->name() && p->credentials() && old->credentials())
                            p->credentials()->keep_cooling_from(*old->credentials());
                const std::size_t keys = next->settings.api_keys.size() + next->settings.keys.size();
                const std::size_t models = next->models->models().size(), credentials = next->models->credential_count();
                router.replace(std::move(next));
                spdlog::info("reloaded: {} client key(s), {} model(s), {} upstream credential(s); open streams keep the "
                             "configuration they started with",
                             keys, models, credentials);
            } catch (const std::exception& e) {
                spdlog::error("reload failed; the running configuration stays: {}", e.what());
            }
        });
        srv.on_hangup([&] { reloads.request(); });
        srv.start();
        // One stable line on stdout so scripts and tests can find the bound port.
        std::printf("switchyard listening on http://%s:%u\n", settings.listen.host.c_str(), static_cast<unsigned>(srv.port()));
        std::fflush(stdout);
        srv.run();
        spdlog::info("stopped");
        return 0;
    } catch (const config::config_error& e) {
        std::cerr << "switchyard: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: " << e.what() << "\n";
        return 1;
    }
}
