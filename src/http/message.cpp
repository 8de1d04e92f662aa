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

} // namespace switchyard::http
