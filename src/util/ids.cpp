#include "switchyard/util/ids.hpp"

#include <random>

namespace switchyard::ids {
namespace {

std::mt19937_64& generator() {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return gen;
}

std::string pick(std::string_view alphabet, std::size_t n) {
    std::uniform_int_distribution<std::size_t> dist(0, alphabet.size() - 1);
    std::string out(n, '\0');
    for (auto& c : out)
        c = alphabet[dist(generator())];
    return out;
}

} // namespace

std::string alphanumeric(std::size_t n) { return pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", n); }

std::string hex(std::size_t n) { return pick("0123456789abcdef", n); }

std::string uuid_v4() {
    std::string h = hex(32);
    h[12] = '4';
    h[16] = "89ab"[std::uniform_int_distribution<int>(0, 3)(generator())];
    return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' + h.substr(20);
}

std::string completion_id() { return "chatcmpl-" + alphanumeric(29); }

std::string request_id() { return "req_" + hex(24); }

} // namespace switchyard::ids
