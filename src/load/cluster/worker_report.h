// WorkerReport: what a lampi-load worker tells its controller once a second, and
// the topics they meet on, on the platform's own MQTT broker.
//
// Every report is cumulative (the run so far, not the last second), so a lost or
// late report costs nothing but freshness: the controller keeps each worker's
// latest and merges them. The latency histogram travels whole (its non-empty
// buckets and exact sums, stats/histogram.h; in parts past the broker's limit),
// so the controller's totals and
// percentiles are exactly those of one histogram of every worker's messages.
// decode_report() never trusts its input.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"
#include "ramp/user_numbers.h"
#include "report/run_report.h"
#include "stats/histogram.h"
#include "stats/metrics.h"
#include "stats/request_stats.h"

namespace lampi::load::cluster {

// Topics. A worker keeps `hello/<id>` retained: "ready", "busy", or "gone" (also
// its Will, so a worker that vanishes says so through the broker), sealed
// (seal_hello below).
inline constexpr std::string_view kTopicRoot = "lampi-load/cluster/";
std::string hello_topic(std::string_view worker);
std::string start_topic();
std::string stop_topic();
std::string report_topic(std::string_view run, std::string_view worker);
// A controller keeps `controller/<run>` retained while its run lasts: "here" at
// each connection and "gone" as its Will, so its workers hear from the broker
// when it vanishes (killed, or cut off) and end their shares if it stays away
// (WorkerOptions::orphan_after_s). Sealed (seal_controller_state below).
std::string controller_topic(std::string_view run);
// While its run lasts the controller says so again every second, a heartbeat
// under the same seal: "here <seq>" and then the workers it counts vanished, a
// line each. A worker of a web users' run that hears none for its start's
// pause_after_s stops its users, as the controller may be giving them to the
// others by then, and one named vanished keeps them stopped until a steer gives
// it users again; it takes a heartbeat only when newer than the last.
// Why `id` cannot name a worker: empty, or holding '/', '+', '#' or a control
// character (it is a level of the worker's topics, and a heartbeat's line).
Status check_worker_id(std::string_view id);

struct ControllerHeartbeat {
    std::uint64_t seq = 0;
    std::vector<std::string> vanished;
    bool operator==(const ControllerHeartbeat&) const = default;
};
std::string encode_heartbeat(const ControllerHeartbeat& heartbeat);
// Nothing when `state` is no heartbeat ("gone", or the bare "here" said at each connection).
std::optional<ControllerHeartbeat> decode_heartbeat(std::string_view state);

struct WorkerReport {
    std::string worker;
    std::uint64_t seq = 0;  // grows with every report of a run
    double elapsed_s = 0;
    bool done = false;  // the run ended on the worker: these are its final figures
    bool ok = true;     // with done: the worker's run succeeded
    std::array<std::uint64_t, static_cast<std::size_t>(Counter::count_)> counters{};
    // Open at the report, and the most open at once so far (optional on the wire: 0 from workers that do not say).
    std::int64_t connections = 0, peak_connections = 0;
    Histogram latency;  // the primary latency, the whole run so far (empty with `requests`: their total is it)
    Histogram connect;  // connect -> CONNACK of its clients, the run so far (optional on the wire)
    // Web users (http runs): running at the report, the most at once so far, and the per-name figures so far
    // (optional on the wire).
    std::int64_t users = 0, peak_users = 0;
    // With done, for web users: the worker's resident memory per user above its idle process (0: not measured).
    double memory_per_user_bytes = 0;
    std::optional<RequestTable> requests;
    std::map<std::string, std::uint64_t> errors;
    std::vector<std::string> failures;  // with done: why the worker's run failed
    // With done, for publish runs: malaria's figures of each of its clients, and the
    // messages its share planned (optional on the wire).
    std::vector<MalariaClient> malaria_clients;
    std::uint64_t planned_messages = 0;
};

std::string encode_report(const WorkerReport& report);
Result<WorkerReport> decode_report(std::string_view text);

// What the controller sends to start a run: its id, the workers that take part
// with the lampi-load command line each runs (its share of the run,
// cluster/share.h), and when it was sent (Unix ms, the controller's clock).
struct StartCommand {
    struct Share {
        std::string worker;
        std::vector<std::string> args;
        bool operator==(const Share&) const = default;
    };
    std::string run;
    std::vector<Share> shares;
    std::int64_t issued_at_ms = 0;
    // Web users: stop them after this long without a heartbeat (ControllerHeartbeat); 0: never.
    double pause_after_s = 0;

    // This worker's share; nullptr when the run does not name it.
    const Share* share_of(std::string_view worker) const;
};

std::string encode_start(const StartCommand& command);
Result<StartCommand> decode_start(std::string_view text);

// The cluster's topics have no login: anyone on the broker could publish a start
// command, and a worker runs what it is told. So a start command travels sealed
// with an HMAC-SHA256 of its text, keyed by the secret the controller and its
// workers share (--secret-file), and a worker runs only one that opens with its
// secret, was issued less than kStartMaxAgeMs ago by its own clock (a copy seen
// on the broker cannot be replayed to a worker that restarted later) and is a
// `publish` or `http` run for every worker, the only kinds a controller sends. The command is not secret:
// anyone on the broker may still read it.
inline constexpr std::int64_t kStartMaxAgeMs = 60'000;
inline constexpr std::size_t kMinSecretSize = 16;
std::string seal_start(const StartCommand& command, std::string_view secret);
// Without `now_ms`, its time is not checked: only to tell the controller why a
// start sealed with the secret was refused for its time.
Result<StartCommand> open_start(std::string_view sealed, std::string_view secret, std::optional<std::int64_t> now_ms);

// A controller that is stopped before its run ends (Ctrl-C) tells the workers to
// end their shares: `{"stop": "<run>", "mac": ...}` on stop_topic(), sealed with
// the same secret, the MAC covering the run. A replayed stop can end only the run
// it names, which was ended already: a run's id is new with every controller run.
std::string seal_stop(std::string_view run, std::string_view secret);
// The run a sealed stop names.
Result<std::string> open_stop(std::string_view sealed, std::string_view secret);
// A run that ends as planned rather than stopped (a cluster's ramp found its
// knee): `{"finish": "<run>", "mac": ...}` on stop_topic(), sealed as a stop is,
// under a MAC of its own; the workers end their shares without calling them
// interrupted.
std::string seal_finish(std::string_view run, std::string_view secret);
Result<std::string> open_finish(std::string_view sealed, std::string_view secret);

// A web users' run keeps its size when a worker vanishes: the controller shares
// its users out again among the workers still running (and back when it returns),
// telling each its new number of users, the rate to get there and the numbers
// its users take (so that none is another worker's user's):
// `{"steer": "<run>\n<worker>\n<seq>\n<users>\n<rate>[\n<first>+<count>,...]", "mac": ...}` on
// steer_topic(), sealed with the same secret over all of it. A worker takes a
// steer only for the run it runs and only when newer (`seq`) than the last it
// took, so one seen on the broker and sent again changes nothing.
struct Steer {
    std::string run;
    std::string worker;
    std::uint64_t seq = 0;
    int users = 0;
    double rate = 0;  // users started per second on the way there
    std::vector<UserNumberRange> numbers;  // none: the worker numbers on as it did
};
std::string steer_topic();
// The text under the seal, and back; decode_steer() never trusts its input.
std::string encode_steer(const Steer& steer);
Result<Steer> decode_steer(std::string_view text);
std::string seal_steer(const Steer& steer, std::string_view secret);
Result<Steer> open_steer(std::string_view sealed, std::string_view secret);

// What workers send is sealed with the same secret, so someone on the broker
// can neither announce a worker that does not exist nor change the figures a
// worker sends: `{"hello": "<state>", "mac": ...}` and
// `{"report": "<encode_report()>", "mac": ...}`. A hello's MAC covers the worker
// it speaks for, a report's its run and worker, so neither can be moved to
// another topic. Nothing in them is secret, and a sealed message seen on the
// broker can be sent again: an old report loses to the worker's newer ones
// (`seq`), and a hello carries when it was sent (Unix ms, the worker's clock,
// under the MAC), so a controller counts a "ready" only within kStartMaxAgeMs of
// its own clock; an idle worker says it again every kHelloEveryMs. A hello also
// carries when its worker process started (`since`, the time its Will is sealed
// with, as libmosquitto sends the Will set at the start), so HelloOrder can tell
// a replayed one from a fresh one.
inline constexpr std::int64_t kHelloEveryMs = 10'000;
struct Hello {
    std::string state;  // "ready", "busy", "gone"
    std::int64_t at_ms = 0;
    std::int64_t since_ms = 0;  // the worker process's start; a Will's at_ms is it too
};
std::string seal_hello(std::string_view worker, const Hello& hello, std::string_view secret);
// A hello found on `worker`'s topic.
Result<Hello> open_hello(std::string_view worker, std::string_view sealed, std::string_view secret);
// Which hellos of each worker are news to a controller: none older than one it took.
// A hello from an earlier process of the worker (an older `since`) is a replay, "gone"
// included; from the same process, one sent before the latest taken is a replay too,
// but its "gone" (the Will, sealed at the start, so older than every later hello)
// counts. A replayed Will of the running process still reads as gone, until the
// worker's next report or hello.
class HelloOrder {
public:
    bool take(const std::string& worker, const Hello& hello);

private:
    struct Seen {
        std::int64_t since_ms = 0, at_ms = 0;
    };
    std::map<std::string, Seen> seen_;
};

std::string seal_report(std::string_view run, const WorkerReport& report, std::string_view secret);
// The same for a controller's state ("here", "gone"), the MAC covering its run.
std::string seal_controller_state(std::string_view run, std::string_view state, std::string_view secret);
Result<std::string> open_controller_state(std::string_view run, std::string_view sealed, std::string_view secret);
// Whether a message's MAC (hex) is `expected`, in constant time. An empty MAC, or
// one not the length of an HMAC-SHA256, never matches: not even an empty
// expected one, as a failed hmac_sha256() gives.
bool mac_matches(std::string_view given, std::string_view expected);

// The broker drops a message over its message_size_limit without a word to
// either end (Mosquitto even acknowledges a QoS 1 one), so each end checks what
// it sends against the limit it is given (--max-message-bytes): the platform's
// broker has 4 KiB (stack/mosquitto_config.h).
inline constexpr std::size_t kDefaultMaxMessageBytes = 4096;
inline constexpr std::size_t kMinMaxMessageBytes = 1024;  // a report without its histogram fits
// `report` sealed in at most `limit` bytes. When it is larger whole, its
// histograms (and then its error reasons and request failures) are left out and
// a failure says so and what to do (a final report then fails), so the
// controller gets the counters and the reason instead of nothing; `trimmed`
// (when given) is set to that reason, or cleared. Fails only when not even that
// fits.
Result<std::string> seal_report_within(std::string_view run, WorkerReport report, std::string_view secret,
                                       std::size_t limit, std::string* trimmed = nullptr);
// A report found on the topic of `run` and `worker`.
Result<WorkerReport> open_report(std::string_view run, std::string_view worker, std::string_view sealed,
                                 std::string_view secret);

// A report larger than the limit travels in parts, so that its histograms stay whole
// and the merged percentiles exact: its text cut in pieces, each sealed with the run,
// the worker, the report's number and the piece's place, `{"report_part": "<seq>
// <index> <count>\n<piece>", "mac": ...}`. Only past kMaxReportParts is a report
// trimmed instead (seal_report_within).
inline constexpr std::size_t kMaxReportParts = 64;
// `report` as the messages to send, each at most `limit` bytes: itself whole when it
// fits, else its parts, else trimmed; `trimmed` as for seal_report_within.
Result<std::vector<std::string>> seal_report_in_parts(std::string_view run, const WorkerReport& report,
                                                      std::string_view secret, std::size_t limit,
                                                      std::string* trimmed = nullptr);

// The controller's side: what arrives on the report topics of one run, whole reports
// and parts, in any order. A report is complete once every part of its number came;
// parts of an older number than one a worker is being assembled for are dropped, as
// cumulative reports make them stale.
class ReportAssembler {
public:
    explicit ReportAssembler(std::string run) : run_(std::move(run)) {}
    // The report `sealed` completes on `worker`'s topic: a whole one, or the last
    // missing part of one; nullopt while parts are missing. Refuses what is not
    // sealed with `secret` for this run and worker.
    Result<std::optional<WorkerReport>> add(const std::string& worker, std::string_view sealed,
                                            std::string_view secret);

private:
    struct Pending {
        std::uint64_t seq = 0;
        std::vector<std::optional<std::string>> pieces;
        std::size_t have = 0;
    };
    std::string run_;
    std::map<std::string, Pending> pending_;  // by worker
};

}  // namespace lampi::load::cluster
