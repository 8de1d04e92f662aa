#include "switchyard/web/dashboard.hpp"

namespace switchyard::web {
namespace {

std::string_view content_type_of(std::string_view name) {
    if (name.ends_with(".html")) return "text/html; charset=utf-8";
    if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    return "application/octet-stream";
}

} // namespace

std::optional<http::http_response> dashboard_file(std::string_view path) {
    std::string_view name;
    if (path == "/" || path == "/index.html")
        name = "index.html";
    else if (path.starts_with("/ui/"))
        name = path.substr(4);
    else
        return std::nullopt;
    for (const auto& a : assets()) {
        if (a.name != name) continue;
        http::http_response r;
        r.content_type = content_type_of(a.name);
        r.body = a.bytes;
        // Only this gateway: scripts and styles from its own files, data from its own API. Images
        // the user attaches are read in the page (data: and blob: URLs).
        r.headers.emplace_back("content-security-policy",
                               "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        r.headers.emplace_back("x-content-type-options", "nosniff");
        r.headers.emplace_back("referrer-policy", "no-referrer");
        r.headers.emplace_back("cache-control", "no-cache");
        return r;
    }
    return std::nullopt;
}

} // namespace switchyard::web
