#include "switchyard/upstream/no_proxy.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

namespace switchyard::upstream {
namespace {

struct ip_address {
    std::array<std::uint8_t, 16> bytes{};
    bool v6 = false;
    unsigned bits() const { return v6 ? 128 : 32; }
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::optional<ip_address> parse_ip(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string z(text); // inet_pton wants a terminated string
    ip_address a;
    if (inet_pton(AF_INET, z.c_str(), a.bytes.data()) == 1) return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, z.c_str(), a.bytes.data()) == 1) return a;
    return std::nullopt;
}

bool same_prefix(const ip_address& a, const ip_address& b, unsigned bits) {
    for (unsigned i = 0; i < bits; ++i) {
        const unsigned mask = 0x80u >> (i % 8);
        if ((a.bytes[i / 8] & mask) != (b.bytes[i / 8] & mask)) return false;
    }
    return true;
}

bool matches_ip(const ip_address& host, std::string_view entry) {
    unsigned bits = host.bits();
    if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
        const auto length = entry.substr(slash + 1);
        const auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), bits);
        if (length.empty() || ec != std::errc{} || p != length.data() + length.size()) return false;
        entry = entry.substr(0, slash);
    }
    const auto network = parse_ip(entry);
    if (!network || network->v6 != host.v6 || bits > host.bits()) return false;
    return same_prefix(host, *network, bits);
}

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool matches_name(std::string_view host, std::string_view entry) {
    if (entry.starts_with('.')) entry.remove_prefix(1);
    if (entry.ends_with('.')) entry.remove_suffix(1);
    if (entry.empty() || entry.size() > host.size()) return false;
    if (!iequal(host.substr(host.size() - entry.size()), entry)) return false;
    return host.size() == entry.size() || host[host.size() - entry.size() - 1] == '.';
}

} // namespace

bool bypasses_proxy(std::string_view host, std::string_view no_proxy) {
    no_proxy = trim(no_proxy);
    if (no_proxy == "*") return true;
    host = trim(host);
    if (host.ends_with('.')) host.remove_suffix(1);
    if (host.empty()) return false;
    const auto host_ip = parse_ip(host);
    while (!no_proxy.empty()) {
        const auto comma = no_proxy.find(',');
        const auto entry = trim(no_proxy.substr(0, comma));
        no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
        if (entry.empty()) continue;
        if (host_ip ? matches_ip(*host_ip, entry) : matches_name(host, entry)) return true;
    }
    return false;
}

} // namespace switchyard::upstream
