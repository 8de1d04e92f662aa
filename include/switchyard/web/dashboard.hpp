#pragma once
// The dashboard and chat page: a small web app compiled into the binary (src/web/assets), with
// no CDN and no request to anywhere but this gateway. The page itself holds no data; what it
// shows it fetches from the API with the key the user signs in with.
#include <optional>
#include <string_view>
#include <vector>

#include "switchyard/http/message.hpp"

namespace switchyard::web {

struct asset {
    std::string_view name; // "index.html", "app.js", …
    std::string_view bytes;
};

/// Every embedded file (generated from src/web/assets at build time).
const std::vector<asset>& assets();

/// GET / and /ui/{file}: the file with its type and a strict Content-Security-Policy, or
/// nullopt for any other path.
std::optional<http::http_response> dashboard_file(std::string_view path);

} // namespace switchyard::web
