#include "switchyard/ops/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <atomic>
#include <charconv>
#include <map>
#include <unordered_map>

namespace switchyard::ops {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;
using labels = std::map<std::string, std::string>;

// Seconds: from a few milliseconds (an error answered at once) to the two minutes an upstream
// may take to start.
const Histogram::BucketBoundaries exchange_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
const Histogram::BucketBoundaries store_buckets{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

double seconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

std::atomic<std::uint64_t> next_generation{1};

enum class family_id : int { requests, duration, first_byte, first_token, failures, tokens };
using label_values = std::array<std::string_view, 4>;

/// A series in a thread's cache: which metrics object, which family, its label values in a fixed
/// order. Looked up by a view of it, without copying anything.
struct series_key {
    std::uint64_t generation;
    family_id family;
    std::array<std::string, 4> values;
};
struct series_view {
    std::uint64_t generation;
    family_id family;
    const label_values& values;
};

struct series_hash {
    using is_transparent = void;
    std::size_t operator()(const series_view& v) const noexcept {
        std::size_t h = std::hash<std::uint64_t>()(v.generation) ^ (static_cast<std::size_t>(v.family) << 1);
        for (const auto s : v.values)
            h = h * 1'099'511'628'211ULL ^ std::hash<std::string_view>()(s);
        return h;
    }
    std::size_t operator()(const series_key& k) const noexcept {
        const label_values values{k.values[0], k.values[1], k.values[2], k.values[3]};
        return (*this)(series_view{k.generation, k.family, values});
    }
};
struct series_equal {
    using is_transparent = void;
    static bool same(std::uint64_t g, family_id f, const label_values& v, const series_key& k) noexcept {
        return g == k.generation && f == k.family && v[0] == k.values[0] && v[1] == k.values[1] && v[2] == k.values[2] &&
               v[3] == k.values[3];
    }
    bool operator()(const series_key& a, const series_key& b) const noexcept {
        return a.generation == b.generation && a.family == b.family && a.values == b.values;
    }
    bool operator()(const series_view& a, const series_key& b) const noexcept {
        return same(a.generation, a.family, a.values, b);
    }
    bool operator()(const series_key& a, const series_view& b) const noexcept {
        return same(b.generation, b.family, b.values, a);
    }
};

} // namespace

struct metrics::impl {
    prometheus::Registry registry;
    Family<Counter>& requests = prometheus::BuildCounter()
                                    .Name("switchyard_requests_total")
                                    .Help("Exchanges by route, model, provider and HTTP status (none: the client left first)")
                                    .Register(registry);
    Family<Histogram>& duration = prometheus::BuildHistogram()
                                      .Name("switchyard_request_duration_seconds")
                                      .Help("From the request read to the last byte written, by route")
                                      .Register(registry);
    Family<Histogram>& first_byte = prometheus::BuildHistogram()
                                        .Name("switchyard_time_to_first_byte_seconds")
                                        .Help("From the request read to the response head written, by route")
                                        .Register(registry);
    Family<Histogram>& first_token =
        prometheus::BuildHistogram()
            .Name("switchyard_time_to_first_token_seconds")
            .Help("Streams: from the request read to the first text, reasoning or tool call sent, by provider")
            .Register(registry);
    Family<Counter>& failures = prometheus::BuildCounter()
                                    .Name("switchyard_upstream_failures_total")
                                    .Help("Exchanges that ended in an upstream failure, by provider and reason")
                                    .Register(registry);
    Family<Counter>& tokens = prometheus::BuildCounter()
                                  .Name("switchyard_tokens_total")
                                  .Help("Tokens by client key name, model, kind (prompt, completion) and whether estimated")
                                  .Register(registry);
    Family<prometheus::Gauge>& credentials =
        prometheus::BuildGauge()
            .Name("switchyard_upstream_credentials")
            .Help("Upstream credentials by provider and state (healthy, cooling, failing, dead)")
            .Register(registry);
    prometheus::Gauge& open_streams =
        prometheus::BuildGauge().Name("switchyard_open_streams").Help("Streamed answers in progress").Register(registry).Add({});
    Histogram& store_latency = prometheus::BuildHistogram()
                                   .Name("switchyard_store_call_seconds")
                                   .Help("Store calls, from queued to done")
                                   .Register(registry)
                                   .Add({}, store_buckets);

    const std::uint64_t generation = next_generation.fetch_add(1, std::memory_order_relaxed);

    template <class Metric, class Make> Metric& series(family_id family, const label_values& values, Make&& make) {
        // Each thread keeps its own map from label values to the series, so an exchange takes no
        // lock and builds no std::map (prometheus-cpp's own lookup) once a series exists.
        thread_local std::unordered_map<series_key, void*, series_hash, series_equal> cache;
        const series_view view{generation, family, values};
        if (const auto it = cache.find(view); it != cache.end()) return *static_cast<Metric*>(it->second);
        Metric& made = make();
        cache.emplace(
            series_key{generation,
                       family,
                       {std::string(values[0]), std::string(values[1]), std::string(values[2]), std::string(values[3])}},
            &made);
        return made;
    }
    Histogram& histogram(family_id id, Family<Histogram>& family, const char* label, std::string_view value) {
        return series<Histogram>(id, {value}, [&]() -> Histogram& {
            return family.Add({{label, std::string(value)}}, exchange_buckets);
        });
    }
};

metrics::metrics() : impl_(std::make_unique<impl>()) {}
metrics::~metrics() = default;

void metrics::exchange_ended(const http::exchange_facts& f, int status, std::chrono::steady_clock::time_point started,
                             std::chrono::steady_clock::time_point ended) {
    auto& m = *impl_;
    char status_buf[8];
    const auto status_end = std::to_chars(status_buf, status_buf + sizeof status_buf, status).ptr;
    const std::string_view status_label =
        status == 0 ? std::string_view("none") : std::string_view(status_buf, status_end - status_buf);
    m.series<Counter>(family_id::requests, {f.route, f.model, f.provider, status_label}, [&]() -> Counter& {
         return m.requests.Add({{"route", std::string(f.route)},
                                {"model", f.model},
                                {"provider", std::string(f.provider)},
                                {"status", std::string(status_label)}});
     }).Increment();
    m.histogram(family_id::duration, m.duration, "route", f.route).Observe(seconds_between(started, ended));
    if (f.first_byte != http::exchange_facts::time_point{})
        m.histogram(family_id::first_byte, m.first_byte, "route", f.route).Observe(seconds_between(started, f.first_byte));
    if (f.first_token != http::exchange_facts::time_point{})
        m.histogram(family_id::first_token, m.first_token, "provider", f.provider)
            .Observe(seconds_between(started, f.first_token));
    const auto count_failure = [&](std::string_view provider, std::string_view reason) {
        m.series<Counter>(family_id::failures, {provider, reason}, [&]() -> Counter& {
             return m.failures.Add({{"provider", std::string(provider)}, {"reason", std::string(reason)}});
         }).Increment();
    };
    if (!f.upstream_failure.empty()) count_failure(f.provider, f.upstream_failure);
    for (const auto& [provider, reason] : f.route_failures)
        count_failure(provider, reason);
    for (const auto& [kind, count] : {std::pair{"prompt", f.prompt_tokens}, std::pair{"completion", f.completion_tokens}}) {
        if (count <= 0) continue;
        const std::string_view estimated = f.tokens_estimated ? "true" : "false";
        m.series<Counter>(family_id::tokens, {f.key_name, f.model, kind, estimated}, [&]() -> Counter& {
             return m.tokens.Add(
                 {{"key", std::string(f.key_name)}, {"model", f.model}, {"kind", kind}, {"estimated", std::string(estimated)}});
         }).Increment(static_cast<double>(count));
    }
}

void metrics::stream_opened() { impl_->open_streams.Increment(); }
void metrics::stream_closed() { impl_->open_streams.Decrement(); }
void metrics::store_call(double seconds) { impl_->store_latency.Observe(seconds); }

long metrics::open_streams() const { return static_cast<long>(impl_->open_streams.Value()); }

void metrics::credentials_in_state(std::string_view provider, std::string_view state, std::size_t count) {
    impl_->credentials.Add({{"provider", std::string(provider)}, {"state", std::string(state)}}).Set(static_cast<double>(count));
}

std::string metrics::render() const { return prometheus::TextSerializer().Serialize(impl_->registry.Collect()); }

} // namespace switchyard::ops
