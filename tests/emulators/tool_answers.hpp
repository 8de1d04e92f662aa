#pragma once
// How the model behind a web chat answers when the gateway offers it tools (a "# Tools" block
// with <tools> in the message). Real models decide for themselves; the emulator decides by
// markers in the user's text, so tests can ask for each behaviour:
//   [call:a,b]        call these tools (arguments made from each tool's schema)
//   [arg:KEY=VALUE]   give the required argument KEY this string value
//   [format:fence]    write the calls as a ```json block; [format:bare] as a bare JSON object
//   [preamble]        write a sentence before the calls
//   [args:bad]        first answer misses required arguments; the repair round fixes them
//   [args:always-bad] never fixes them
//   [prose]           answer in prose until reminded that a call is required
// A turn that carries <tool_response> blocks is answered from them: "Tool said: …".
#include <optional>
#include <string>

namespace switchyard::emulator {

/// The answer when tools are in play, or nullopt for an ordinary answer. `latest` is what the
/// newest turn says; `context` is everything the model has seen, `latest` included.
std::optional<std::string> tool_answer(const std::string& latest, const std::string& context);

} // namespace switchyard::emulator
