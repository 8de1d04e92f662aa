// An OpenAI-compatible upstream: answers of configurable length and pacing, streamed as
// chat.completion.chunk events or whole. Answers restate the request (last user text, model,
// message count and an extra field) so tests can check what the gateway forwarded.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "emulator.hpp"

namespace switchyard::emulator {
namespace {

using nlohmann::json;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view models_json =
    R"({"object":"list","data":[{"id":"emu-small","object":"model","created":1700000000,"owned_by":"emulator"},)"
    R"({"id":"emu-large","object":"model","created":1700000000,"owned_by":"emulator"}]})";

std::string last_user_text(const json& messages) {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
        if (!it->is_object() || it->value("role", "") != "user") continue;
        const json& c = (*it)["content"];
        if (c.is_string()) return c.get<std::string>();
        if (c.is_array() && !c.empty() && c[0].is_object()) return c[0].value("text", "");
    }
    return {};
}

std::string error_json(std::string_view message, std::string_view code) {
    return json{{"error", {{"message", message}, {"type", "invalid_request_error"}, {"param", nullptr}, {"code", code}}}}.dump();
}

/// The `[call:a,b]` marker of the question, or "".
std::string wanted_calls(const std::string& question) {
    const auto at = question.find("[call:");
    const auto end = at == std::string::npos ? at : question.find(']', at);
    return end == std::string::npos ? std::string() : question.substr(at + 6, end - at - 6);
}

} // namespace

// A model with native tools: `[call:a,b]` in the question calls those offered tools (arguments
// {"city":"Paris"}), a tool result is answered "Tool said: …", and `[reasoning]` thinks aloud
// first (`reasoning_content`). Streams as OpenAI does: id and name first, then argument pieces.
net::awaitable<bool> openai_emulator::native_tools(const json& body, const std::string& question, bool streaming,
                                                   beast::tcp_stream& stream, bool keep_alive) {
    const json& last = body["messages"].back();
    const bool offered = body.contains("tools") && body["tools"].is_array() && !body["tools"].empty();
    const bool tool_result = last.is_object() && last.value("role", "") == "tool";
    const std::string wanted = offered && !tool_result ? wanted_calls(question) : "";
    const bool reasoning = question.find("[reasoning]") != std::string::npos;
    if (wanted.empty() && !tool_result && !reasoning) co_return false;

    std::vector<std::string> names;
    for (std::size_t start = 0; !wanted.empty() && start <= wanted.size();) {
        const auto comma = std::min(wanted.find(',', start), wanted.size());
        names.push_back(wanted.substr(start, comma - start));
        start = comma + 1;
    }
    const std::string arguments = R"({"city":"Paris"})";
    const std::string text = tool_result ? "Tool said: " + last.value("content", std::string()) : names.empty() ? "Sunny." : "";
    const std::string finish = names.empty() ? "stop" : "tool_calls";
    const std::string head = R"({"id":"chatcmpl-emulator","created":1700000000,"model":")" + body.value("model", "") + "\",";
    if (!streaming) {
        json message = {{"role", "assistant"}, {"content", text.empty() ? json() : json(text)}};
        if (reasoning) message["reasoning_content"] = "Thinking about it.";
        for (std::size_t i = 0; i < names.size(); ++i)
            message["tool_calls"].push_back({{"id", "call_emu" + std::to_string(i)},
                                             {"type", "function"},
                                             {"function", {{"name", names[i]}, {"arguments", arguments}}}});
        const json reply = {{"id", "chatcmpl-emulator"},
                            {"object", "chat.completion"},
                            {"created", 1700000000},
                            {"model", body.value("model", "")},
                            {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", finish}}})},
                            {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}, {"total_tokens", 15}}}};
        co_await send_text(stream, bhttp::status::ok, "application/json", reply.dump());
        co_return true;
    }
    const auto chunk = [&](const json& delta, const json& finish_reason) {
        return "data: " + head + R"("object":"chat.completion.chunk","choices":[{"index":0,"delta":)" + delta.dump() +
               R"(,"finish_reason":)" + finish_reason.dump() + "}]}\n\n";
    };
    std::string out = chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
    if (reasoning) {
        out += chunk({{"reasoning_content", "Thinking "}}, nullptr);
        out += chunk({{"reasoning_content", "about it."}}, nullptr);
    }
    if (!text.empty()) out += chunk({{"content", text}}, nullptr);
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += chunk({{"tool_calls",
                       {{{"index", i},
                         {"id", "call_emu" + std::to_string(i)},
                         {"type", "function"},
                         {"function", {{"name", names[i]}, {"arguments", ""}}}}}}},
                     nullptr);
        out += chunk({{"tool_calls", {{{"index", i}, {"function", {{"arguments", arguments.substr(0, 5)}}}}}}}, nullptr);
        out += chunk({{"tool_calls", {{{"index", i}, {"function", {{"arguments", arguments.substr(5)}}}}}}}, nullptr);
    }
    out += chunk(json::object(), finish);
    out += "data: [DONE]\n\n";
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/event-stream");
    res.keep_alive(keep_alive);
    res.body() = std::move(out);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, use_tuple);
    co_return true;
}

net::awaitable<bool> openai_emulator::handle(request& req, beast::tcp_stream& stream) {
    const std::string_view target = req.target();
    if (target != "/v1/chat/completions" && target != "/v1/models") co_return false;
    const std::string auth(req[bhttp::field::authorization]);
    if (!opts_.openai_keys.empty() && (auth.rfind("Bearer ", 0) != 0 || !opts_.openai_keys.contains(auth.substr(7)))) {
        log_.add("openai_auth_rejected");
        const std::string body = error_json("Incorrect API key provided.", "invalid_api_key");
        co_await send_text(stream, bhttp::status::unauthorized, "application/json", body);
        co_return true;
    }
    if (target == "/v1/models") {
        co_await send_text(stream, bhttp::status::ok, "application/json", models_json);
        co_return true;
    }
    const json body = json::parse(req.body(), nullptr, false);
    if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array()) {
        const std::string err = error_json("messages is required", "missing_required_parameter");
        co_await send_text(stream, bhttp::status::bad_request, "application/json", err);
        co_return true;
    }
    const std::string model = body.value("model", "");
    if (model != "emu-small" && model != "emu-large") {
        const std::string err = error_json("The model `" + model + "` does not exist.", "model_not_found");
        co_await send_text(stream, bhttp::status::not_found, "application/json", err);
        co_return true;
    }
    const std::string question = last_user_text(body["messages"]);
    const std::string scenario = scenario_of(question, opts_.scenario);
    if (scenario == "429") {
        bhttp::response<bhttp::string_body> res{bhttp::status::too_many_requests, 11};
        res.set(bhttp::field::content_type, "application/json");
        res.set(bhttp::field::retry_after, "3");
        res.body() = error_json("Rate limit reached.", "rate_limit_exceeded");
        res.prepare_payload();
        co_await bhttp::async_write(stream, res, use_tuple);
        co_return true;
    }
    const bool streaming = body.value("stream", false);
    const bool include_usage = streaming && body.contains("stream_options") && body["stream_options"].is_object() &&
                               body["stream_options"].value("include_usage", false);
    if (log_.enabled)
        log_.add("openai_chat", json{{"model", model},
                                     {"stream", streaming},
                                     {"include_usage", include_usage},
                                     {"messages", body["messages"].size()},
                                     {"tools", body.contains("tools") ? body["tools"].size() : 0},
                                     {"tool_choice", body.value("tool_choice", json())},
                                     {"last", body["messages"].back()}});
    if (co_await native_tools(body, question, streaming, stream, req.keep_alive())) co_return true;

    // The answer: a restatement of the request, then filler tokens up to the configured length.
    std::vector<std::string> tokens;
    tokens.push_back("echo: " + question + " | model " + model + " | messages " + std::to_string(body["messages"].size()) +
                     " | top_k " + (body.contains("top_k") ? body["top_k"].dump() : "none"));
    for (std::size_t i = 1; i < opts_.openai_tokens; ++i)
        tokens.push_back(" tok" + std::to_string(i));
    const std::size_t prompt_tokens = 10 * body["messages"].size();
    const std::string usage = R"({"prompt_tokens":)" + std::to_string(prompt_tokens) + R"(,"completion_tokens":)" +
                              std::to_string(tokens.size()) + R"(,"total_tokens":)" +
                              std::to_string(prompt_tokens + tokens.size()) + "}";
    const std::string head = R"({"id":"chatcmpl-emulator","created":1700000000,"model":")" + model + "\",";

    if (!streaming) {
        std::string text;
        for (const auto& t : tokens)
            text += t;
        const std::string reply = head +
                                  R"("object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":)" +
                                  json(text).dump() + R"(},"finish_reason":"stop"}],"usage":)" + usage + "}";
        co_await send_text(stream, bhttp::status::ok, "application/json", reply);
        co_return true;
    }

    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/event-stream");
    res.chunked(true);
    res.keep_alive(req.keep_alive());
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    if (auto [ec, n] = co_await bhttp::async_write_header(stream, sr, use_tuple); ec) co_return true;
    const std::string chunk_head = "data: " + head + R"("object":"chat.completion.chunk","choices":[{"index":0,"delta":)";
    std::string body_out = chunk_head + R"({"role":"assistant","content":""},"finish_reason":null}]})" + "\n\n";
    std::vector<std::size_t> cuts{body_out.size()};
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (scenario == "disconnect" && i == tokens.size() / 2) {
            co_await write_chunks(stream, body_out, cuts, opts_.openai_token_delay);
            stream.socket().close();
            co_return true;
        }
        body_out += chunk_head + R"({"content":)" + json(tokens[i]).dump() + R"(},"finish_reason":null}]})" + "\n\n";
        cuts.push_back(body_out.size());
    }
    body_out += chunk_head + R"({},"finish_reason":"stop"}]})" + "\n\n";
    if (include_usage)
        body_out += "data: " + head + R"("object":"chat.completion.chunk","choices":[],"usage":)" + usage + "}\n\n";
    body_out += "data: [DONE]\n\n";
    cuts.push_back(body_out.size());
    if (!co_await write_chunks(stream, body_out, cuts, opts_.openai_token_delay)) co_return true;
    auto last = bhttp::make_chunk_last();
    co_await net::async_write(stream, last, use_tuple);
    co_return true;
}

} // namespace switchyard::emulator
