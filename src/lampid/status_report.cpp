#include "status_report.h"

#include <fmt/core.h>

#include <cerrno>
#include <csignal>
#include <ctime>

#include <boost/json.hpp>

#include "lampi/files.h"
#include "lampi/json_object.h"
#include "lampi/log.h"

namespace lampi::lampid {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxStatusFileBytes = 64 * 1024;

json::object encode_command(const LastCommand& c) {
    return {{"at_ms", c.at_ms}, {"client", c.client}, {"outcome", c.outcome}, {"reason", c.reason}};
}

json::object encode_save(const LastSave& s) {
    return {{"at_ms", s.at_ms}, {"version", s.version}, {"ok", s.ok}, {"error", s.error}};
}

// Readers of a field that may be absent or of another type: the file is ours,
// but an operator may have edited it, and a wrong field must not throw.
std::int64_t int_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v && v->is_int64()) return v->as_int64();
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    return 0;
}
bool bool_at(const json::object& o, std::string_view key, bool otherwise = false) {
    const json::value* v = o.if_contains(key);
    return v && v->is_bool() ? v->as_bool() : otherwise;
}
std::string string_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
const json::object* object_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

std::string clock_time(std::int64_t at_ms) {
    auto seconds = static_cast<std::time_t>(at_ms / 1000);
    std::tm local{};
    localtime_r(&seconds, &local);
    return fmt::format("{:02}:{:02}:{:02}", local.tm_hour, local.tm_min, local.tm_sec);
}

std::string age(std::int64_t at_ms, std::int64_t now_ms) {
    std::int64_t s = std::max<std::int64_t>(0, (now_ms - at_ms) / 1000);
    if (s < 120) return fmt::format("{} s ago", s);
    constexpr std::int64_t kHour = 3600, kDay = 86'400;
    if (s < 2 * kHour) return fmt::format("{} min ago", s / 60);
    if (s < 2 * kDay) return fmt::format("{} h ago", s / kHour);
    return fmt::format("{} days ago", s / kDay);
}

std::string when(std::int64_t at_ms, std::int64_t now_ms) {
    return fmt::format("{}, {}", clock_time(at_ms), age(at_ms, now_ms));
}

}  // namespace

std::string encode_status(const LampStatus& s) {
    json::object o{
        {"device_id", s.device_id},
        {"pid", s.pid},
        {"running", s.running},
        {"started_at_ms", s.started_at_ms},
        {"stopped_at_ms", s.stopped_at_ms},
        {"broker", {{"address", s.broker}, {"connected", s.broker_connected}, {"since_ms", s.broker_since_ms}}},
        {"claimed", s.claimed},
        {"version", s.version},
        {"durable", s.health.durable},
        {"led", s.health.led},
        {"error", s.health.error},
        {"counts",
         {{"applied", s.stats.applied},
          {"unchanged", s.stats.ignored},
          {"rejected", s.stats.rejected},
          {"stale", s.stats.stale},
          {"saves", s.stats.commits},
          {"failed_saves", s.stats.failed_saves}}},
    };
    json::object cloud{{"since_ms", s.cloud_since_ms}};
    if (s.cloud_linked) {
        cloud["linked"] = *s.cloud_linked;
    } else {
        cloud["linked"] = nullptr;
    }
    o["cloud"] = std::move(cloud);
    if (s.activity.last_command) o["last_command"] = encode_command(*s.activity.last_command);
    if (s.activity.last_save) o["last_save"] = encode_save(*s.activity.last_save);
    return json::serialize(o) + "\n";
}

Result<LampStatus> decode_status(std::string_view text) {
    Result<json::object> parsed = parse_json_object(text, "the status file");
    if (!parsed) return parsed.status();
    const json::object& o = *parsed;
    LampStatus s;
    s.device_id = string_at(o, "device_id");
    s.pid = static_cast<long>(int_at(o, "pid"));
    if (s.device_id.empty() || s.pid <= 0) {
        return Status::invalid_argument("the status file has no device_id or pid: it was not written by lampid");
    }
    s.running = bool_at(o, "running");
    s.started_at_ms = int_at(o, "started_at_ms");
    s.stopped_at_ms = int_at(o, "stopped_at_ms");
    if (const json::object* broker = object_at(o, "broker")) {
        s.broker = string_at(*broker, "address");
        s.broker_connected = bool_at(*broker, "connected");
        s.broker_since_ms = int_at(*broker, "since_ms");
    }
    if (const json::object* cloud = object_at(o, "cloud")) {
        if (const json::value* linked = cloud->if_contains("linked"); linked && linked->is_bool())
            s.cloud_linked = linked->as_bool();
        s.cloud_since_ms = int_at(*cloud, "since_ms");
    }
    s.claimed = bool_at(o, "claimed");
    s.version = static_cast<std::uint64_t>(int_at(o, "version"));
    s.health.durable = bool_at(o, "durable", true);
    s.health.led = bool_at(o, "led", true);
    s.health.error = string_at(o, "error");
    if (const json::object* counts = object_at(o, "counts")) {
        s.stats.applied = static_cast<std::uint64_t>(int_at(*counts, "applied"));
        s.stats.ignored = static_cast<std::uint64_t>(int_at(*counts, "unchanged"));
        s.stats.rejected = static_cast<std::uint64_t>(int_at(*counts, "rejected"));
        s.stats.stale = static_cast<std::uint64_t>(int_at(*counts, "stale"));
        s.stats.commits = static_cast<std::uint64_t>(int_at(*counts, "saves"));
        s.stats.failed_saves = static_cast<std::uint64_t>(int_at(*counts, "failed_saves"));
    }
    if (const json::object* c = object_at(o, "last_command")) {
        s.activity.last_command = LastCommand{int_at(*c, "at_ms"), string_at(*c, "client"), string_at(*c, "outcome"),
                                              string_at(*c, "reason")};
    }
    if (const json::object* v = object_at(o, "last_save")) {
        s.activity.last_save = LastSave{int_at(*v, "at_ms"), static_cast<std::uint64_t>(int_at(*v, "version")),
                                        bool_at(*v, "ok", true), string_at(*v, "error")};
    }
    return s;
}

StatusVerdict describe_status(const LampStatus& s, std::int64_t now_ms, bool alive) {
    StatusVerdict v;
    std::string& t = v.text;
    if (!s.running) {
        v.exit_code = 3;
        t += fmt::format("lampid {}: stopped ({}); its last status:\n", s.device_id, when(s.stopped_at_ms, now_ms));
    } else if (!alive) {
        v.exit_code = 3;
        t += fmt::format("lampid {}: not running (pid {} is gone without a clean stop: it crashed or was killed)\n",
                         s.device_id, s.pid);
    } else {
        t +=
            fmt::format("lampid {}: running (pid {}, started {})\n", s.device_id, s.pid, when(s.started_at_ms, now_ms));
    }
    const bool running = v.exit_code == 0;
    auto fault = [&] {
        if (running) v.exit_code = 1;
    };
    if (s.broker_connected) {
        t += fmt::format("  lamp's broker  connected to {} (since {})\n", s.broker, when(s.broker_since_ms, now_ms));
    } else {
        fault();
        t += fmt::format(
            "  lamp's broker  NOT connected to {} (since {}): is mosquitto running? "
            "(systemctl status mosquitto)\n",
            s.broker, when(s.broker_since_ms, now_ms));
    }
    if (!s.cloud_linked) {
        t += "  cloud          unknown (the bridge has not said whether it is up)\n";
    } else if (*s.cloud_linked) {
        t += fmt::format("  cloud          linked (since {})\n", when(s.cloud_since_ms, now_ms));
    } else {
        // Not a fault of the lamp: it keeps working locally, and the cloud gets
        // its state when the link returns.
        t += fmt::format(
            "  cloud          not linked (since {}): the lamp works locally; check the network and "
            "the bridge in /etc/mosquitto/conf.d/\n",
            when(s.cloud_since_ms, now_ms));
    }
    if (s.health.led) {
        t += "  LED            works\n";
    } else {
        fault();
        t += "  LED            FAILING\n";
    }
    if (s.health.durable) {
        t += fmt::format("  saving         works (version {})\n", s.version);
    } else {
        fault();
        t += fmt::format("  saving         FAILING: changes since the last save are lost on a restart\n");
    }
    if (!s.health.error.empty()) t += fmt::format("  error          {}\n", s.health.error);
    if (const auto& save = s.activity.last_save) {
        t += fmt::format("  last save      version {} at {}: {}\n", save->version, when(save->at_ms, now_ms),
                         save->ok ? "ok" : save->error);
    }
    if (const auto& c = s.activity.last_command) {
        t += fmt::format("  last command   {} from {}: {}{}\n", when(c->at_ms, now_ms),
                         c->client.empty() ? "an unknown client" : c->client, c->outcome,
                         c->reason.empty() ? "" : " (" + c->reason + ")");
    } else {
        t += "  last command   none since the start\n";
    }
    t +=
        fmt::format("  association    {}\n", s.claimed ? "claimed by a user" : "not claimed (the screen shows a code)");
    t += fmt::format("  commands       {} applied, {} unchanged, {} rejected, {} stale; {} saves, {} failed\n",
                     s.stats.applied, s.stats.ignored, s.stats.rejected, s.stats.stale, s.stats.commits,
                     s.stats.failed_saves);
    return v;
}

int print_status(const std::string& path, bool raw) {
    Result<std::optional<std::string>> text = read_file_if_exists(path, kMaxStatusFileBytes);
    if (!text) {
        fmt::print(stderr, "lampid status: {}\n", text.status().message());
        return 3;
    }
    if (!*text) {
        fmt::print(stderr,
                   "lampid status: no status file at {}: lampid has not run with it (systemctl status lampid; "
                   "or give the --config or --status-file lampid runs with)\n",
                   path);
        return 3;
    }
    Result<LampStatus> status = decode_status(**text);
    if (!status) {
        fmt::print(stderr, "lampid status: {}: {}\n", path, status.status().message());
        return 3;
    }
    // EPERM: the process exists but belongs to another user (lampi, not the operator).
    bool alive = ::kill(static_cast<pid_t>(status->pid), 0) == 0 || errno == EPERM;
    // A crashed lampid's pid may have gone to another program since.
    if (auto comm = read_file_if_exists(fmt::format("/proc/{}/comm", status->pid), 64); alive && comm && *comm)
        alive = (*comm)->rfind("lampid", 0) == 0;
    auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    StatusVerdict verdict = describe_status(*status, now_ms, alive);
    fmt::print("{}", raw ? **text : verdict.text);
    return verdict.exit_code;
}

StatusFile::StatusFile(std::string path, Clock clock) : path_(std::move(path)), clock_(std::move(clock)) {}

void StatusFile::update(const LampStatus& status, bool urgent) {
    std::string text = encode_status(status);
    if (text == written_) return;
    auto now = clock_.steady();
    if (!urgent && written_at_ && now - *written_at_ < kMinInterval) return;
    // Readable by anyone on the Pi: it holds no secret (never the association code).
    Status s = write_file_atomically(path_, text, 0644, Durability::none);
    if (!s) {
        if (!failing_) log::warn("cannot write the status file: {}", s.message());
        failing_ = true;
        return;
    }
    if (failing_) log::info("the status file {} is written again", path_);
    failing_ = false;
    written_ = std::move(text);
    written_at_ = now;
}

}  // namespace lampi::lampid
