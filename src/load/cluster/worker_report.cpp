#include "cluster/worker_report.h"

#include <fmt/core.h>
#include <openssl/crypto.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>

#include "lampi/base64.h"
#include "lampi/hmac.h"

namespace lampi::load::cluster {
namespace {

namespace json = boost::json;

json::array strings(const std::vector<std::string>& values) {
    json::array out;
    for (const auto& v : values) out.emplace_back(v);
    return out;
}

// The strings of `key` in `o`; false when it is not an array of strings.
bool read_strings(const json::object& o, const char* key, std::vector<std::string>& into) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_array()) return false;
    for (const json::value& item : v->as_array()) {
        if (!item.is_string()) return false;
        into.emplace_back(item.as_string());
    }
    return true;
}

template <typename T>
bool read_number(const json::object& o, const char* key, T& into) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_number()) return false;
    boost::system::error_code ec;
    T n = v->to_number<T>(ec);
    if (ec) return false;
    into = n;
    return true;
}

Status malformed(const char* what) { return Status::invalid_argument(fmt::format("a malformed {}", what)); }

// A histogram's non-empty buckets, compact: the broker's message limit (4 KiB on
// the platform) must hold a report of a run with a wide spread of latencies. Each
// bucket is two LEB128 varints, its index's step from the previous one and its
// count (mostly a byte or two each), in base64: about 3 bytes a bucket where
// "[index,count]," took 9 to 14.
std::string encode_buckets(const std::vector<std::pair<int, std::uint64_t>>& buckets) {
    std::string raw;
    auto varint = [&raw](std::uint64_t v) {
        do {
            raw.push_back(static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
            v >>= 7;
        } while (v);
    };
    int previous = -1;
    for (auto [index, n] : buckets) {
        varint(static_cast<std::uint64_t>(index - previous));
        varint(n);
        previous = index;
    }
    return base64_encode(raw);
}

// What encode_buckets() made; false for anything else (Histogram::from_parts checks the rest).
bool decode_buckets(std::string_view text, std::vector<std::pair<int, std::uint64_t>>& into) {
    std::optional<std::string> decoded = base64_decode(text);
    if (!decoded) return false;
    const std::string& raw = *decoded;
    std::size_t at = 0;
    auto varint = [&](std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64 && at < raw.size(); shift += 7) {
            auto byte = static_cast<unsigned char>(raw[at++]);
            v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return true;
        }
        return false;
    };
    std::int64_t index = -1;
    while (at < raw.size()) {
        std::uint64_t step = 0, n = 0;
        if (!varint(step) || !varint(n) || step == 0 || step > (1u << 20)) return false;
        index += static_cast<std::int64_t>(step);
        if (index > std::numeric_limits<int>::max()) return false;
        into.emplace_back(static_cast<int>(index), n);
    }
    return true;
}

// `text` as a JSON object, or a malformed `what`.
Result<json::object> parse_object(std::string_view text, const char* what) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object()) return malformed(what);
    return std::move(doc.as_object());
}

json::object histogram_json(const Histogram& histogram) {
    Histogram::Parts parts = histogram.parts();
    return json::object{{"buckets", encode_buckets(parts.buckets)},
                        {"count", parts.count},
                        {"min", parts.min},
                        {"max", parts.max},
                        {"sum", parts.sum},
                        {"sum_squares", parts.sum_squares}};
}

// What histogram_json() made, checked whole (Histogram::from_parts).
Result<Histogram> read_histogram(const json::value* value) {
    const json::object* h = value && value->is_object() ? &value->as_object() : nullptr;
    Histogram::Parts parts;
    const json::value* buckets = h ? h->if_contains("buckets") : nullptr;
    if (!buckets || !buckets->is_string() || !decode_buckets(buckets->as_string(), parts.buckets) ||
        !read_number(*h, "count", parts.count) || !read_number(*h, "min", parts.min) ||
        !read_number(*h, "max", parts.max) || !read_number(*h, "sum", parts.sum) ||
        !read_number(*h, "sum_squares", parts.sum_squares))
        return malformed("worker report's histogram");
    Result<Histogram> histogram = Histogram::from_parts(parts);
    if (!histogram) return histogram.status().prefixed("a worker report: ");
    return histogram;
}

// Per-name figures, compact: [[method, name, requests, failures, content bytes,
// histogram], ...] and failures as [[method, name, error, occurrences], ...].
json::object requests_json(const RequestTable& table) {
    json::array entries;
    for (const auto& [key, e] : table.entries)
        entries.push_back(
            json::array{key.first, key.second, e.requests, e.failures, e.content_bytes, histogram_json(e.times)});
    json::array failures;
    for (const auto& [key, n] : table.failures)
        failures.push_back(json::array{std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
    return json::object{{"entries", std::move(entries)},
                        {"failures", std::move(failures)},
                        {"last_request_s", table.last_request_s}};
}

// A count on the wire: a non-negative integer.
bool read_count(const json::value& v, std::uint64_t& into) {
    boost::system::error_code ec;
    if (!v.is_number()) return false;
    into = v.to_number<std::uint64_t>(ec);
    return !ec;
}

Result<RequestTable> read_requests(const json::value& value) {
    const json::object* o = value.is_object() ? &value.as_object() : nullptr;
    const json::value* entries = o ? o->if_contains("entries") : nullptr;
    const json::value* failures = o ? o->if_contains("failures") : nullptr;
    RequestTable table;
    if (!entries || !entries->is_array() || !failures || !failures->is_array() ||
        !read_number(*o, "last_request_s", table.last_request_s))
        return malformed("worker report's requests");
    for (const json::value& row : entries->as_array()) {
        const json::array* a = row.is_array() ? &row.as_array() : nullptr;
        if (!a || a->size() != 6 || !(*a)[0].is_string() || !(*a)[1].is_string())
            return malformed("worker report's requests");
        RequestEntry e;
        if (!read_count((*a)[2], e.requests) || !read_count((*a)[3], e.failures) ||
            !read_count((*a)[4], e.content_bytes) || e.failures > e.requests)
            return malformed("worker report's requests");
        Result<Histogram> times = read_histogram(&(*a)[5]);
        if (!times) return times.status();
        e.times = *times;
        auto key = std::pair{std::string((*a)[0].as_string()), std::string((*a)[1].as_string())};
        if (!table.entries.emplace(std::move(key), e).second) return malformed("worker report's requests");
    }
    for (const json::value& row : failures->as_array()) {
        const json::array* a = row.is_array() ? &row.as_array() : nullptr;
        std::uint64_t n = 0;
        if (!a || a->size() != 4 || !(*a)[0].is_string() || !(*a)[1].is_string() || !(*a)[2].is_string() ||
            !read_count((*a)[3], n))
            return malformed("worker report's request failures");
        table.failures[{std::string((*a)[0].as_string()), std::string((*a)[1].as_string()),
                        std::string((*a)[2].as_string())}] = n;
    }
    return table;
}

// Keep each kind of MAC apart from the others and from anything else the same
// secret might key: a sealed hello is no sealed report.
constexpr std::string_view kStartDomain = "lampi-load cluster start v1\n";
constexpr std::string_view kHelloDomain = "lampi-load cluster hello v1\n";
constexpr std::string_view kReportDomain = "lampi-load cluster report v1\n";
constexpr std::string_view kReportPartDomain = "lampi-load cluster report part v1\n";
constexpr std::string_view kStopDomain = "lampi-load cluster stop v1\n";
constexpr std::string_view kControllerDomain = "lampi-load cluster controller v1\n";
constexpr std::string_view kFinishDomain = "lampi-load cluster finish v1\n";
constexpr std::string_view kSteerDomain = "lampi-load cluster steer v1\n";

std::string mac_hex(std::string_view domain, std::string_view text, std::string_view secret) {
    std::string hex;
    for (unsigned char byte : hmac_sha256(secret, std::string(domain) + std::string(text)))
        hex += fmt::format("{:02x}", byte);
    return hex;
}

std::string start_mac(std::string_view text, std::string_view secret) { return mac_hex(kStartDomain, text, secret); }

// What a hello's MAC covers: the worker it speaks for (so it cannot be moved to
// another's topic), its state, when it was sent and when its process started.
std::string hello_text(std::string_view worker, std::string_view state, std::int64_t at_ms, std::int64_t since_ms) {
    return fmt::format("{}\n{}\n{}\n{}", worker, state, at_ms, since_ms);
}

// What a controller's state's MAC covers: the run it speaks for.
std::string controller_state_text(std::string_view run, std::string_view state) {
    return fmt::format("{}\n{}", run, state);
}

// What a report's MAC covers: its run and worker, so it cannot be moved to another run's or worker's topic.
std::string report_text(std::string_view run, std::string_view worker, std::string_view report) {
    return fmt::format("{}\n{}\n{}", run, worker, report);
}

std::string seal(const char* field, std::string_view text, std::string mac) {
    return json::serialize(json::object{{field, text}, {"mac", std::move(mac)}});
}

// The text sealed under `field` in `sealed` when its MAC is `expected(text)`.
template <typename Expected>
Result<std::string> open_sealed(std::string_view sealed, const char* field, const char* what, Expected expected) {
    boost::system::error_code ec;
    json::value doc = json::parse(sealed, ec);
    const json::object* o = !ec && doc.is_object() ? &doc.as_object() : nullptr;
    const json::value* text = o ? o->if_contains(field) : nullptr;
    const json::value* mac = o ? o->if_contains("mac") : nullptr;
    if (!text || !text->is_string() || !mac || !mac->is_string())
        return Status::permission_denied(fmt::format("{} without the cluster's seal", what));
    if (!mac_matches(mac->as_string(), expected(text->as_string())))
        return Status::permission_denied(fmt::format("{} not sealed with the cluster's secret", what));
    return std::string(text->as_string());
}

}  // namespace

std::string hello_topic(std::string_view worker) { return fmt::format("{}hello/{}", kTopicRoot, worker); }
std::string controller_topic(std::string_view run) { return fmt::format("{}controller/{}", kTopicRoot, run); }
std::string start_topic() { return fmt::format("{}start", kTopicRoot); }
std::string stop_topic() { return fmt::format("{}stop", kTopicRoot); }
std::string steer_topic() { return fmt::format("{}steer", kTopicRoot); }
std::string report_topic(std::string_view run, std::string_view worker) {
    return fmt::format("{}report/{}/{}", kTopicRoot, run, worker);
}

std::string encode_report(const WorkerReport& r) {
    json::array counters;
    for (std::uint64_t c : r.counters) counters.emplace_back(c);
    json::object errors;
    for (const auto& [reason, n] : r.errors) errors[reason] = n;
    json::object out{{"worker", r.worker},
                     {"seq", r.seq},
                     {"elapsed_s", r.elapsed_s},
                     {"done", r.done},
                     {"ok", r.ok},
                     {"counters", std::move(counters)},
                     {"connections", r.connections},
                     {"peak_connections", r.peak_connections},
                     {"latency", histogram_json(r.latency)},
                     {"errors", std::move(errors)},
                     {"failures", strings(r.failures)}};
    if (r.connect.count() > 0) out["connect"] = histogram_json(r.connect);
    if (!r.malaria_clients.empty() || r.planned_messages > 0) {
        // A row per client, in malaria's order of figures: the names would double its size.
        json::array clients;
        for (const MalariaClient& c : r.malaria_clients)
            clients.push_back(json::array{json::value(c.clientid), c.count_ok, c.count_total, c.mean_ms, c.stddev_ms,
                                          c.min_ms, c.max_ms, c.msgs_per_sec, c.time_total_s});
        out["malaria"] = json::object{{"planned", r.planned_messages}, {"clients", std::move(clients)}};
    }
    // A steered publish run's clients are users too (the controller's ramp waits for them).
    if (r.requests || r.users > 0 || r.peak_users > 0) {
        out["users"] = r.users;
        out["peak_users"] = r.peak_users;
    }
    if (r.requests) {
        if (r.memory_per_user_bytes > 0) out["memory_per_user_bytes"] = r.memory_per_user_bytes;
        out["requests"] = requests_json(*r.requests);
    }
    return json::serialize(out);
}

namespace {

// `{"planned": N, "clients": [[id, ok, total, mean, stddev, min, max, rate, time], ...]}` into `r`.
bool read_malaria(const json::value& value, WorkerReport& r) {
    const json::object* o = value.if_object();
    const json::value* clients = o ? o->if_contains("clients") : nullptr;
    if (!o || !read_number(*o, "planned", r.planned_messages) || !clients || !clients->is_array()) return false;
    for (const json::value& row : clients->as_array()) {
        const json::array* a = row.if_array();
        if (!a || a->size() != 9 || !(*a)[0].is_string()) return false;
        MalariaClient c;
        c.clientid = (*a)[0].as_string();
        boost::system::error_code ec;
        c.count_ok = (*a)[1].to_number<std::uint64_t>(ec);
        if (!ec) c.count_total = (*a)[2].to_number<std::uint64_t>(ec);
        double* figures[] = {&c.mean_ms, &c.stddev_ms, &c.min_ms, &c.max_ms, &c.msgs_per_sec, &c.time_total_s};
        for (std::size_t i = 0; i < 6 && !ec; ++i) *figures[i] = (*a)[3 + i].to_number<double>(ec);
        if (ec || c.count_ok > c.count_total) return false;
        r.malaria_clients.push_back(std::move(c));
    }
    return true;
}

}  // namespace

Result<WorkerReport> decode_report(std::string_view text) {
    Result<json::object> parsed = parse_object(text, "worker report");
    if (!parsed) return parsed.status();
    const json::object& o = *parsed;
    boost::system::error_code ec;
    WorkerReport r;
    const json::value* worker = o.if_contains("worker");
    const json::value* done = o.if_contains("done");
    const json::value* ok = o.if_contains("ok");
    const json::value* counters = o.if_contains("counters");
    const json::value* errors = o.if_contains("errors");
    if (!worker || !worker->is_string() || !done || !done->is_bool() || !ok || !ok->is_bool() || !counters ||
        !counters->is_array() || counters->as_array().size() != r.counters.size() || !errors || !errors->is_object() ||
        !read_number(o, "seq", r.seq) || !read_number(o, "elapsed_s", r.elapsed_s) ||
        !read_strings(o, "failures", r.failures))
        return malformed("worker report");
    for (auto [key, into] : {std::pair{"connections", &r.connections},
                             {"peak_connections", &r.peak_connections},
                             {"users", &r.users},
                             {"peak_users", &r.peak_users}})
        if (o.contains(key) && !read_number(o, key, *into)) return malformed("worker report");
    if (o.contains("memory_per_user_bytes") && !read_number(o, "memory_per_user_bytes", r.memory_per_user_bytes))
        return malformed("worker report");
    if (r.users < 0 || r.peak_users < 0 || r.memory_per_user_bytes < 0) return malformed("worker report");
    r.worker = worker->as_string();
    r.done = done->as_bool();
    r.ok = ok->as_bool();
    for (std::size_t i = 0; i < r.counters.size(); ++i) {
        const json::value& c = counters->as_array()[i];
        if (!c.is_number()) return malformed("worker report");
        r.counters[i] = c.to_number<std::uint64_t>(ec);
        if (ec) return malformed("worker report");
    }
    for (const auto& [reason, n] : errors->as_object()) {
        if (!n.is_number()) return malformed("worker report");
        r.errors[std::string(reason)] = n.to_number<std::uint64_t>(ec);
        if (ec) return malformed("worker report");
    }
    Result<Histogram> latency = read_histogram(o.if_contains("latency"));
    if (!latency) return latency.status();
    r.latency = *latency;
    if (const json::value* malaria = o.if_contains("malaria")) {
        if (!read_malaria(*malaria, r)) return malformed("worker report");
    }
    if (const json::value* connect = o.if_contains("connect")) {
        Result<Histogram> times = read_histogram(connect);
        if (!times) return times.status();
        r.connect = *times;
    }
    if (const json::value* requests = o.if_contains("requests")) {
        Result<RequestTable> table = read_requests(*requests);
        if (!table) return table.status();
        r.requests = std::move(table).value();
    }
    return r;
}

const StartCommand::Share* StartCommand::share_of(std::string_view worker) const {
    for (const Share& s : shares)
        if (s.worker == worker) return &s;
    return nullptr;
}

std::string encode_start(const StartCommand& c) {
    json::array shares;
    for (const auto& s : c.shares) shares.push_back(json::object{{"worker", s.worker}, {"args", strings(s.args)}});
    json::object o{{"run", c.run}, {"shares", std::move(shares)}, {"issued_at_ms", c.issued_at_ms}};
    if (c.pause_after_s > 0) o["pause_after_s"] = c.pause_after_s;
    return json::serialize(o);
}

Result<StartCommand> decode_start(std::string_view text) {
    Result<json::object> parsed = parse_object(text, "start command");
    if (!parsed) return parsed.status();
    const json::object& o = *parsed;
    StartCommand c;
    const json::value* run = o.if_contains("run");
    const json::value* shares = o.if_contains("shares");
    if (!run || !run->is_string() || !shares || !shares->is_array() || !read_number(o, "issued_at_ms", c.issued_at_ms))
        return malformed("start command");
    c.run = run->as_string();
    if (const json::value* pause = o.if_contains("pause_after_s")) {
        if (!pause->is_number()) return malformed("start command");
        c.pause_after_s = pause->to_number<double>();
        if (!std::isfinite(c.pause_after_s) || c.pause_after_s < 0) return malformed("start command");
    }
    for (const json::value& s : shares->as_array()) {
        StartCommand::Share share;
        const json::value* worker = s.is_object() ? s.as_object().if_contains("worker") : nullptr;
        if (!worker || !worker->is_string() || !read_strings(s.as_object(), "args", share.args))
            return malformed("start command");
        share.worker = worker->as_string();
        c.shares.push_back(std::move(share));
    }
    return c;
}

std::string seal_start(const StartCommand& command, std::string_view secret) {
    std::string text = encode_start(command);
    return json::serialize(json::object{{"command", text}, {"mac", start_mac(text, secret)}});
}

std::string seal_hello(std::string_view worker, const Hello& hello, std::string_view secret) {
    return json::serialize(
        json::object{{"hello", hello.state},
                     {"at", hello.at_ms},
                     {"since", hello.since_ms},
                     {"mac",
                      mac_hex(kHelloDomain, hello_text(worker, hello.state, hello.at_ms, hello.since_ms), secret)}});
}

bool HelloOrder::take(const std::string& worker, const Hello& hello) {
    Seen& seen = seen_[worker];
    if (hello.since_ms < seen.since_ms) return false;
    if (hello.since_ms == seen.since_ms && hello.at_ms < seen.at_ms && hello.state != "gone") return false;
    if (hello.since_ms > seen.since_ms) seen = Seen{hello.since_ms, 0};
    seen.at_ms = std::max(seen.at_ms, hello.at_ms);
    return true;
}

Result<Hello> open_hello(std::string_view worker, std::string_view sealed, std::string_view secret) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check hellos with");
    Hello hello;
    Result<json::object> parsed = parse_object(sealed, "hello");
    if (!parsed || !read_number(*parsed, "at", hello.at_ms) || !read_number(*parsed, "since", hello.since_ms))
        return Status::permission_denied("a hello without the cluster's seal");
    Result<std::string> state = open_sealed(sealed, "hello", "a hello", [&](std::string_view text) {
        return mac_hex(kHelloDomain, hello_text(worker, text, hello.at_ms, hello.since_ms), secret);
    });
    if (!state) return state.status();
    hello.state = std::move(state).value();
    return hello;
}

std::string seal_controller_state(std::string_view run, std::string_view state, std::string_view secret) {
    return seal("controller", state, mac_hex(kControllerDomain, controller_state_text(run, state), secret));
}

Result<std::string> open_controller_state(std::string_view run, std::string_view sealed, std::string_view secret) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check a controller's state with");
    return open_sealed(sealed, "controller", "a controller's state", [&](std::string_view state) {
        return mac_hex(kControllerDomain, controller_state_text(run, state), secret);
    });
}

Status check_worker_id(std::string_view id) {
    if (id.empty()) return Status::invalid_argument("--id: give the worker a name (or leave --id out for host-pid)");
    // It is a level of the worker's topics: a wildcard or a separator would make it another's, or none;
    // a line break would split the controller's heartbeat, which names workers a line each.
    for (char c : id)
        if (c == '/' || c == '+' || c == '#' || static_cast<unsigned char>(c) < 0x20)
            return Status::invalid_argument(fmt::format(
                "--id '{}': a worker's name may not hold '/', '+', '#' or a control character (it is a level of its "
                "MQTT topics, and a line of the controller's heartbeat): give one without them, such as rack1-load3",
                id.substr(0, id.find('\0'))));
    return Status::ok();
}

std::string encode_heartbeat(const ControllerHeartbeat& heartbeat) {
    std::string text = fmt::format("here {}", heartbeat.seq);
    for (const std::string& worker : heartbeat.vanished) text += "\n" + worker;
    return text;
}

std::optional<ControllerHeartbeat> decode_heartbeat(std::string_view state) {
    constexpr std::string_view kHere = "here ";
    if (!state.starts_with(kHere)) return std::nullopt;
    state.remove_prefix(kHere.size());
    const std::string_view seq = state.substr(0, state.find('\n'));
    ControllerHeartbeat heartbeat;
    auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), heartbeat.seq);
    if (ec != std::errc() || end != seq.data() + seq.size() || seq.empty()) return std::nullopt;
    for (std::string_view rest = state.substr(seq.size()); !rest.empty();) {
        rest.remove_prefix(1);  // the newline before each worker
        const std::string_view worker = rest.substr(0, rest.find('\n'));
        if (!check_worker_id(worker)) return std::nullopt;
        heartbeat.vanished.emplace_back(worker);
        rest.remove_prefix(worker.size());
    }
    return heartbeat;
}

std::string seal_stop(std::string_view run, std::string_view secret) {
    return seal("stop", run, mac_hex(kStopDomain, run, secret));
}

Result<std::string> open_stop(std::string_view sealed, std::string_view secret) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check stop commands with");
    return open_sealed(sealed, "stop", "a stop command",
                       [&](std::string_view run) { return mac_hex(kStopDomain, run, secret); });
}

// Sealed and opened as a stop is, under a MAC domain of its own: a stop never opens as a finish.
std::string seal_finish(std::string_view run, std::string_view secret) {
    return seal("finish", run, mac_hex(kFinishDomain, run, secret));
}

Result<std::string> open_finish(std::string_view sealed, std::string_view secret) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check finish commands with");
    return open_sealed(sealed, "finish", "a finish command",
                       [&](std::string_view run) { return mac_hex(kFinishDomain, run, secret); });
}

std::string encode_steer(const Steer& steer) {
    std::string text = fmt::format("{}\n{}\n{}\n{}\n{}", steer.run, steer.worker, steer.seq, steer.users, steer.rate);
    for (std::size_t i = 0; i < steer.numbers.size(); ++i)
        fmt::format_to(std::back_inserter(text), "{}{}+{}", i == 0 ? "\n" : ",", steer.numbers[i].first,
                       steer.numbers[i].count);
    return text;
}

Result<Steer> decode_steer(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::string_view rest = text;;) {
        std::size_t end = rest.find('\n');
        lines.push_back(rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    Steer steer;
    auto number = [](std::string_view digits, auto& into) {
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), into);
        return ec == std::errc() && end == digits.data() + digits.size();
    };
    if ((lines.size() != 5 && lines.size() != 6) || lines[0].empty() || lines[1].empty() ||
        !number(lines[2], steer.seq) || !number(lines[3], steer.users) || !number(lines[4], steer.rate) ||
        steer.users < 0 || !std::isfinite(steer.rate) || steer.rate < 0)
        return malformed("steer command");
    // The user numbers: first+count ranges, each of at least one number that fits.
    for (std::string_view rest = lines.size() == 6 ? lines[5] : std::string_view{}; !rest.empty();) {
        std::size_t comma = rest.find(',');
        std::string_view range = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        std::size_t plus = range.find('+');
        UserNumberRange r;
        if (plus == std::string_view::npos || !number(range.substr(0, plus), r.first) ||
            !number(range.substr(plus + 1), r.count) || r.count == 0 || r.first > UINT64_MAX - r.count ||
            (comma != std::string_view::npos && rest.empty()))
            return malformed("steer command");
        steer.numbers.push_back(r);
    }
    if (lines.size() == 6 && steer.numbers.empty()) return malformed("steer command");
    steer.run = lines[0];
    steer.worker = lines[1];
    return steer;
}

std::string seal_steer(const Steer& steer, std::string_view secret) {
    std::string text = encode_steer(steer);
    std::string mac = mac_hex(kSteerDomain, text, secret);
    return seal("steer", text, std::move(mac));
}

// Sealed by the controller, but decoded with care all the same: a controller of another version may write otherwise.
Result<Steer> open_steer(std::string_view sealed, std::string_view secret) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check steer commands with");
    Result<std::string> text = open_sealed(sealed, "steer", "a steer command",
                                           [&](std::string_view t) { return mac_hex(kSteerDomain, t, secret); });
    if (!text) return text.status();
    return decode_steer(*text);
}

std::string seal_report(std::string_view run, const WorkerReport& report, std::string_view secret) {
    std::string text = encode_report(report);
    return seal("report", text, mac_hex(kReportDomain, report_text(run, report.worker, text), secret));
}

bool mac_matches(std::string_view given, std::string_view expected) {
    constexpr std::size_t kHexSize = 64;  // HMAC-SHA256
    return given.size() == kHexSize && expected.size() == kHexSize &&
           CRYPTO_memcmp(given.data(), expected.data(), kHexSize) == 0;
}

Result<std::string> seal_report_within(std::string_view run, WorkerReport report, std::string_view secret,
                                       std::size_t limit, std::string* trimmed) {
    if (trimmed) trimmed->clear();
    std::string sealed = seal_report(run, report, secret);
    if (sealed.size() <= limit) return sealed;
    const std::size_t whole = sealed.size();
    std::string why = fmt::format(
        "its report was {} bytes, over the {} bytes of --max-message-bytes (the broker drops larger ones "
        "without a word), so it was sent without its latency histogram{}{}: raise message_size_limit in the "
        "broker's configuration and --max-message-bytes on the controller and the workers",
        whole, limit, report.requests ? "s (per request name)" : "",
        report.done ? " (its percentiles are missing from the merged ones)" : "");
    report.latency.reset();
    report.connect.reset();
    report.malaria_clients.clear();
    if (report.requests)
        for (auto& [key, entry] : report.requests->entries) entry.times.reset();
    report.failures.push_back(why);
    if (report.done) report.ok = false;
    sealed = seal_report(run, report, secret);
    if (sealed.size() > limit) {
        report.errors.clear();
        if (report.requests) report.requests->failures.clear();
        sealed = seal_report(run, report, secret);
    }
    if (sealed.size() > limit)
        return Status::invalid_argument(fmt::format(
            "a report of {} bytes is over the {} bytes of --max-message-bytes even without its histogram and "
            "errors: raise --max-message-bytes (and the broker's message_size_limit)",
            sealed.size(), limit));
    if (trimmed) *trimmed = why;
    return sealed;
}

namespace {

// A report's text found on `worker`'s topic, decoded, if it says it is that worker's.
Result<WorkerReport> decode_report_of(std::string_view worker, std::string_view text) {
    Result<WorkerReport> report = decode_report(text);
    if (!report) return report.status();
    if (report->worker != worker)
        return Status::permission_denied(
            fmt::format("a report on {}'s topic that says it is {}'s", worker, report->worker));
    return report;
}

std::string seal_part(std::string_view run, std::string_view worker, std::uint64_t seq, std::size_t index,
                      std::size_t count, std::string_view piece, std::string_view secret) {
    std::string text = fmt::format("{} {} {}\n{}", seq, index, count, piece);
    return seal("report_part", text, mac_hex(kReportPartDomain, report_text(run, worker, text), secret));
}

// `text` cut so that each piece, sealed as a part, is at most `limit` bytes (JSON
// escapes some characters, so a piece's sealed size is measured, not guessed),
// never inside a UTF-8 sequence. Stops at `most` pieces: more means the report is
// too large to send in parts.
std::vector<std::string_view> cut_into_pieces(std::string_view run, const WorkerReport& report, std::string_view text,
                                              std::string_view secret, std::size_t limit, std::size_t most) {
    std::vector<std::string_view> pieces;
    std::size_t at = 0;
    while (at < text.size() && pieces.size() <= most) {
        std::size_t size = std::min(text.size() - at, limit);
        for (;;) {
            while (size > 0 && at + size < text.size() && (static_cast<unsigned char>(text[at + size]) & 0xC0) == 0x80)
                --size;  // not in the middle of a character
            if (size == 0) return {};
            // The largest index and count a run of parts can have, for the size.
            std::size_t sealed =
                seal_part(run, report.worker, report.seq, most, most, text.substr(at, size), secret).size();
            if (sealed <= limit) break;
            size -= std::min(size, sealed - limit);
        }
        pieces.push_back(text.substr(at, size));
        at += size;
    }
    return pieces;
}

// "<seq> <index> <count>\n<piece>": the header's numbers, and where the piece starts.
bool read_part_header(std::string_view text, std::uint64_t& seq, std::size_t& index, std::size_t& count,
                      std::size_t& piece_at) {
    std::size_t end = text.find('\n');
    if (end == std::string_view::npos) return false;
    const char* p = text.data();
    const char* stop = text.data() + end;
    auto read = [&](auto& into) {
        auto [next, ec] = std::from_chars(p, stop, into);
        if (ec != std::errc() || next == p) return false;
        p = next;
        if (p < stop && *p == ' ') ++p;
        return true;
    };
    if (!read(seq) || !read(index) || !read(count) || p != stop) return false;
    piece_at = end + 1;
    return true;
}

}  // namespace

Result<WorkerReport> open_report(std::string_view run, std::string_view worker, std::string_view sealed,
                                 std::string_view secret) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check reports with");
    Result<std::string> text = open_sealed(sealed, "report", "a report", [&](std::string_view report) {
        return mac_hex(kReportDomain, report_text(run, worker, report), secret);
    });
    if (!text) return text.status();
    return decode_report_of(worker, *text);
}

Result<std::vector<std::string>> seal_report_in_parts(std::string_view run, const WorkerReport& report,
                                                      std::string_view secret, std::size_t limit,
                                                      std::string* trimmed) {
    if (trimmed) trimmed->clear();
    std::string whole = seal_report(run, report, secret);
    if (whole.size() <= limit) return std::vector<std::string>{std::move(whole)};
    std::string text = encode_report(report);
    std::vector<std::string_view> pieces = cut_into_pieces(run, report, text, secret, limit, kMaxReportParts);
    if (pieces.empty() || pieces.size() > kMaxReportParts) {
        Result<std::string> cut = seal_report_within(run, report, secret, limit, trimmed);
        if (!cut) return cut.status();
        if (trimmed && !trimmed->empty())
            *trimmed += fmt::format(" (it would have taken more than {} messages)", kMaxReportParts);
        return std::vector<std::string>{std::move(cut).value()};
    }
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < pieces.size(); ++i)
        parts.push_back(seal_part(run, report.worker, report.seq, i, pieces.size(), pieces[i], secret));
    return parts;
}

Result<std::optional<WorkerReport>> ReportAssembler::add(const std::string& worker, std::string_view sealed,
                                                         std::string_view secret) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check reports with");
    // Which kind it is, by its field, not by a search of its text.
    Result<json::object> parsed = parse_object(sealed, "report");
    if (!parsed || !parsed->contains("report_part")) {
        Result<WorkerReport> whole = open_report(run_, worker, sealed, secret);
        if (!whole) return whole.status();
        return std::optional<WorkerReport>(std::move(whole).value());
    }
    Result<std::string> text = open_sealed(sealed, "report_part", "a report's part", [&](std::string_view part) {
        return mac_hex(kReportPartDomain, report_text(run_, worker, part), secret);
    });
    if (!text) return text.status();
    std::uint64_t seq = 0;
    std::size_t index = 0, count = 0, piece_at = 0;
    if (!read_part_header(*text, seq, index, count, piece_at) || count < 2 || count > kMaxReportParts || index >= count)
        return Status::invalid_argument("a report's part with a malformed header");
    Pending& pending = pending_[worker];
    if (seq < pending.seq) return std::optional<WorkerReport>();  // an older report, superseded
    if (seq > pending.seq || pending.pieces.empty())
        pending = Pending{seq, std::vector<std::optional<std::string>>(count), 0};
    if (pending.pieces.size() != count)
        return Status::invalid_argument(fmt::format("report {}'s parts disagree on their number", seq));
    if (!pending.pieces[index]) {
        pending.pieces[index] = text->substr(piece_at);
        ++pending.have;
    }
    if (pending.have < count) return std::optional<WorkerReport>();
    std::string whole;
    for (const std::optional<std::string>& piece : pending.pieces) whole += *piece;
    pending.pieces.clear();
    pending.have = 0;
    Result<WorkerReport> report = decode_report_of(worker, whole);
    if (!report) return report.status();
    return std::optional<WorkerReport>(std::move(report).value());
}

Result<StartCommand> open_start(std::string_view sealed, std::string_view secret, std::optional<std::int64_t> now_ms) {
    if (secret.size() < kMinSecretSize) return Status::error("no secret to check start commands with");
    Result<json::object> parsed = parse_object(sealed, "start command");
    if (!parsed) return parsed.status();
    const json::value* text = parsed->if_contains("command");
    const json::value* mac = parsed->if_contains("mac");
    if (!text || !text->is_string() || !mac || !mac->is_string())
        return Status::permission_denied("a start command without the controller's seal");
    if (!mac_matches(mac->as_string(), start_mac(text->as_string(), secret)))
        return Status::permission_denied("a start command not sealed with this worker's secret");
    Result<StartCommand> command = decode_start(text->as_string());
    if (!command) return command.status();
    if (now_ms &&
        (*now_ms - command->issued_at_ms > kStartMaxAgeMs || command->issued_at_ms - *now_ms > kStartMaxAgeMs))
        return Status::permission_denied(
            fmt::format("start command {} was issued {:.1f} s from now (the controller's clock or a replay)",
                        command->run, static_cast<double>(command->issued_at_ms - *now_ms) / 1000.0));
    for (const auto& share : command->shares)
        if (share.args.empty() || (share.args.front() != "publish" && share.args.front() != "http"))
            return Status::permission_denied(
                fmt::format("start command {} is neither a publish nor an http run", command->run));
    return command;
}

}  // namespace lampi::load::cluster
