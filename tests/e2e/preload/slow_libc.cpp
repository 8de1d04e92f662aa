// An LD_PRELOAD library that makes two libc calls slow on demand, so end-to-end tests can show
// what the gateway does when the system, not the network, is slow. Both are off unless asked:
//   SLOW_LIBC_DNS_SUFFIX=.hang.test  getaddrinfo for names ending so blocks for
//   SLOW_LIBC_DNS_MS (default 30000), then fails with EAI_AGAIN, as a resolver that gets no answer.
//   SLOW_LIBC_FSYNC_MS=N             fsync and fdatasync (SQLite's commit) sleep N ms first.
// Built without sanitizers; a sanitized gateway needs ASAN_OPTIONS=verify_asan_link_order=0.
#include <dlfcn.h>
#include <netdb.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

namespace {

long env_number(const char* name, long fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

void sleep_ms(long ms) {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

template <class F> F next(const char* name) { return reinterpret_cast<F>(dlsym(RTLD_NEXT, name)); }

} // namespace

extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
    static const auto real = next<int (*)(const char*, const char*, const addrinfo*, addrinfo**)>("getaddrinfo");
    const char* suffix = std::getenv("SLOW_LIBC_DNS_SUFFIX");
    if (node && suffix && *suffix && std::string_view(node).ends_with(suffix)) {
        sleep_ms(env_number("SLOW_LIBC_DNS_MS", 30000));
        return EAI_AGAIN;
    }
    return real(node, service, hints, res);
}

extern "C" int fsync(int fd) {
    static const auto real = next<int (*)(int)>("fsync");
    sleep_ms(env_number("SLOW_LIBC_FSYNC_MS", 0));
    return real(fd);
}

extern "C" int fdatasync(int fd) {
    static const auto real = next<int (*)(int)>("fdatasync");
    sleep_ms(env_number("SLOW_LIBC_FSYNC_MS", 0));
    return real(fd);
}
