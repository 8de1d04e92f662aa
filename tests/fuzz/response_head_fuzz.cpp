// The upstream response path: a Beast response_parser<buffer_body> set up as
// src/upstream/http_client.cpp sets it up (no body limit, chunk bodies handed to a callback,
// other bodies read through a transient buffer of at most 16 KB), fed the input in pieces the
// way reads would deliver them. Interim 1xx heads are skipped with a fresh parser, as a client
// must (RFC 9110 15.2); a 101, never asked for, ends the exchange. Checks: parsing ends within a bounded number of steps; the
// parser never asks for more bytes while it holds more than a header's worth; a complete body has exactly the announced length.
// Input: one byte R, then a split header (fuzz_input.hpp). With R > 0 every 0xFF byte of the
// payload stands for R * 64 bytes of 'a', so that small inputs reach the size limits. The wire
// stops at max_wire: past every bound, longer inputs only cost time (a 13 MB wire took 3 s).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <optional>
#include <string>

#include "fuzz_input.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

// As src/upstream/http_client.cpp bounds them: the head, and everything the read buffer may hold
// (framing such as chunk-size lines and trailers, which Beast itself does not bound).
constexpr std::size_t header_limit = 64 * 1024;
constexpr std::size_t max_buffered = 256 * 1024;
constexpr std::size_t max_framing = 16 * 1024; // the buffer's bound once the final head is read
constexpr std::size_t max_interim_heads = 8;
constexpr std::size_t max_wire = max_buffered + header_limit;

/// Writes the payload into `out`, expanded as the header comment says.
void expand(std::string_view payload, std::uint8_t r, std::string& out) {
    out.clear();
    if (r == 0) {
        out.assign(payload);
        return;
    }
    for (char c : payload) {
        if (static_cast<unsigned char>(c) == 0xFF)
            out.append(std::size_t{r} * 64, 'a');
        else
            out.push_back(c);
        if (out.size() >= max_wire) return out.resize(max_wire);
    }
}

// Kept across runs, so an execution does not pay for fresh pages (most of the time it did).
std::string wire, body, window;
beast::flat_buffer buffer{max_buffered}; // like connection::buffer

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    switchyard::fuzz::input in(data, size);
    const std::uint8_t r = in.byte();
    std::vector<std::size_t> lengths(in.byte() % 16);
    for (auto& l : lengths)
        l = in.byte();
    expand(in.rest(), r, wire);
    const auto pieces = switchyard::fuzz::input::cut(wire, lengths);

    buffer.consume(buffer.size());
    std::size_t limit = max_buffered;
    std::size_t next = 0, taken = 0; // the piece being read, and how much of it is read
    // A read appends what fits; with a full buffer it fails (buffer_overflow), ending the parse.
    const auto read_more = [&] {
        if (next == pieces.size() || buffer.size() >= limit) return false;
        const auto piece = pieces[next].substr(taken);
        const std::size_t n = std::min(piece.size(), limit - buffer.size());
        auto space = buffer.prepare(n);
        std::copy(piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n), static_cast<char*>(space.data()));
        buffer.commit(n);
        taken += n;
        if (taken == pieces[next].size()) ++next, taken = 0;
        return true;
    };

    std::uint64_t announced = 0; // sum of chunk sizes
    body.clear();
    auto on_chunk_header = [&](std::uint64_t n, std::string_view, error_code&) { announced += n; };
    auto on_chunk_body = [&](std::uint64_t, std::string_view d, error_code&) {
        body.append(d);
        return d.size();
    };
    std::optional<http::response_parser<http::buffer_body>> parser;
    const auto fresh = [&] {
        parser.emplace();
        parser->header_limit(header_limit);
        parser->body_limit(boost::none);
        parser->on_chunk_header(on_chunk_header);
        parser->on_chunk_body(on_chunk_body);
    };

    std::size_t steps = 0;
    const std::size_t max_steps = 4 * (wire.size() + pieces.size()) + 64;
    // One parse step over what is buffered; false when parsing has ended (done or failed).
    const auto step = [&]() -> bool {
        FUZZ_CHECK(++steps <= max_steps);
        error_code ec;
        // As Beast's read_some: an empty buffer is filled first, and the end of input is EOF.
        const auto end_of_input = [&] {
            if (parser->got_some()) parser->put_eof(ec);
            return false;
        };
        if (buffer.size() == 0 && !read_more()) return end_of_input();
        const bool body_phase = parser->is_header_done() && !parser->chunked();
        if (body_phase) { // the client's read_body_some, sized to what is still expected
            const auto remaining = parser->content_length_remaining();
            window.resize(remaining ? std::clamp<std::uint64_t>(*remaining, 1, 16 * 1024) : 16 * 1024);
            parser->get().body().data = window.data();
            parser->get().body().size = window.size();
        }
        const std::size_t used = parser->put(buffer.data(), ec);
        buffer.consume(used);
        if (body_phase) body.append(window.data(), window.size() - parser->get().body().size);
        if (ec == http::error::need_more) {
            FUZZ_CHECK(buffer.size() <= limit);
            return read_more() || end_of_input();
        }
        return !ec || ec == http::error::need_buffer ? !parser->is_done() : false;
    };

    fresh();
    std::size_t interim = 0;
    for (;;) {
        while (!parser->is_header_done() && step()) {
        }
        if (!parser->is_header_done()) return 0; // no head: a protocol failure for the caller
        const int status = parser->get().result_int();
        FUZZ_CHECK(status >= 0 && status <= 999); // Beast takes any three digits
        if (status / 100 != 1) {
            limit = std::max(max_framing, buffer.size());
            break;
        }
        if (status == 101) return 0; // never asked for: a protocol failure for the caller
        FUZZ_CHECK(parser->is_done());
        FUZZ_CHECK(interim <= wire.size() / 12);     // each head took at least "HTTP/1.1 1xx"
        if (++interim > max_interim_heads) return 0; // the client gives up: a protocol failure
        fresh();
    }
    while (!parser->is_done() && step()) {
    }

    FUZZ_CHECK(body.size() <= wire.size());
    const int status = parser->get().result_int();
    if (parser->is_done() && status != 204 && status != 304) { // those two have no body whatever they say
        if (parser->chunked()) FUZZ_CHECK(body.size() == announced);
        if (const auto n = parser->content_length()) FUZZ_CHECK(!parser->chunked() && body.size() == *n);
    }
    return 0;
}
