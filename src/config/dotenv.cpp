#include "switchyard/config/dotenv.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace switchyard::config {
namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

bool valid_key(std::string_view key) {
    if (key.empty()) return false;
    for (char c : key) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
    }
    return true;
}

std::string unescape_dollars(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        out.push_back(v[i]);
        if (v[i] == '$' && i + 1 < v.size() && v[i + 1] == '$') ++i;
    }
    return out;
}

std::string double_quoted(std::string_view body) {
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\\' && i + 1 < body.size()) {
            const char n = body[++i];
            switch (n) {
            case 'n': out.push_back('\n'); break;
            case 't': out.push_back('\t'); break;
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            default: out.push_back('\\'); out.push_back(n);
            }
        } else {
            out.push_back(body[i]);
        }
    }
    return unescape_dollars(out);
}

} // namespace

env_map parse_dotenv(std::string_view text) {
    env_map out;
    // Windows editors start files with a UTF-8 byte order mark; left in, it would make the first
    // key invalid and drop it (an API_MASTER_KEY on line 1 would silently turn auth off).
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = trim(text.substr(pos, eol - pos));
        pos = eol + 1;
        if (line.empty() || line.front() == '#') continue;
        if (line.starts_with("export ")) line = trim(line.substr(7));
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = trim(line.substr(0, eq));
        if (!valid_key(key)) continue;
        std::string_view raw = trim(line.substr(eq + 1));

        std::string value;
        if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
            const char q = raw.front();
            const auto close = raw.find(q, 1);
            const std::string_view body = raw.substr(1, close == std::string_view::npos ? raw.size() - 1 : close - 1);
            value = q == '"' ? double_quoted(body) : unescape_dollars(body);
        } else {
            // An unquoted value ends at " #" (inline comment).
            const auto hash = raw.find(" #");
            value = unescape_dollars(trim(raw.substr(0, hash)));
        }
        out.insert_or_assign(std::string(key), std::move(value));
    }
    return out;
}

std::optional<env_map> load_dotenv_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_dotenv(ss.str());
}

std::optional<std::string> environment::get(std::string_view name) const {
    if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
    if (auto it = dotenv_.find(name); it != dotenv_.end()) return it->second;
    return std::nullopt;
}

std::string environment::get_or(std::string_view name, std::string fallback) const {
    auto v = get(name);
    return v && !v->empty() ? *v : std::move(fallback);
}

} // namespace switchyard::config
