#pragma once
// Where the log goes: standard output, set up once at start.
#include <string>
#include <string_view>

namespace switchyard::log_output {

/// Points spdlog's default logger at standard output with `pattern`. On a terminal, lines are
/// coloured and written one by one. Otherwise (a pipe, a file, journald, a container log) they
/// are written in batches: a console sink makes one write(2) per line, which at 20k requests a
/// second was most of what the access log cost. A batch goes out when 32 KiB have gathered, at
/// once for a warning or worse, at least once a second, and when `flush()` is called.
/// With `json`, every line is one JSON object: {"time", "level", "message"}, or for an access
/// record (access()) its own fields.
void to_stdout(const std::string& level, const std::string& pattern, bool json = false);

/// Whether lines are JSON objects.
bool json_lines();

/// Logs an access record at `info`: `fields` is the inside of a JSON object (`"k":v,…`).
/// Only for JSON lines; text lines are written with spdlog directly.
void access(std::string_view fields);

/// Writes out whatever is still gathered (before exit).
void flush();

} // namespace switchyard::log_output
