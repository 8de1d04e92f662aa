#include "switchyard/http/message.hpp"

namespace switchyard::http {

std::string_view http_request::header(std::string_view lowercase_name) const noexcept {
    for (const auto& [name, value] : headers)
        if (name == lowercase_name) return value;
    return {};
}

std::string_view http_request::path() const noexcept {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::optional<std::string> http_request::query_param(std::string_view name) const {
    const auto q = target.find('?');
    if (q == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name)
            return std::string(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

} // namespace switchyard::http
