// lampid_bench: runs a real Mosquitto (the lamp broker config `./lampi up` uses)
// and a real lampid, then prints
//   - lampid's idle RSS and idle CPU,
//   - set_config -> changed latency through the local broker (one command at a time),
//   - the sustained rate at which lampid applies changes (a flood of commands,
//     QoS 1, each one a real change, every change fsync'd before it is announced).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <numeric>
#include <thread>
#include <unistd.h>

#include "clock.h"
#include "lampi/lamp_codec.h"
#include "lampi/log.h"
#include "lampi/topics.h"
#include "mqtt_harness.h"
#include "proc_stats.h"
#include "state_store.h"

using namespace lampi;
using namespace lampi::testing;
using Clock = std::chrono::steady_clock;

namespace {

// Follows lamp/changed: the newest version and a record per client tag.
class ChangedWatcher {
public:
    explicit ChangedWatcher(int port) {
        MqttOptions options;
        options.port = port;
        options.max_inflight = 0;
        client = std::make_unique<MqttClient>(options);
        client->on_connect = [this] {
            // Without it no change is seen and the bench reports a timeout.
            if (Status s = client->subscribe(topics::kChanged, 1); !s)
                fmt::print(stderr, "cannot subscribe to {}: {}\n", topics::kChanged, s.message());
        };
        client->on_message = [this](const MqttMessage& m) {
            auto state = decode_changed(m.payload);
            if (!state) return;
            std::lock_guard lock(mutex);
            version = std::max(version, state->version);
            last_client = state->client;
            ++received;
            cv.notify_all();
        };
        if (Status s = client->start_background(); !s) throw std::runtime_error(s.message());
    }
    ~ChangedWatcher() { client->stop_background(); }

    bool wait(std::function<bool()> done, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, done);
    }

    std::unique_ptr<MqttClient> client;
    std::mutex mutex;
    std::condition_variable cv;
    std::uint64_t version = 0;
    std::uint64_t received = 0;
    std::string last_client;
};

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto index = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"lampid_bench: lampid's idle footprint, command latency and sustained change rate"};
    int messages = 200'000;
    int samples = 2'000;
    int idle_seconds = 5;
    int window = 2'000;
    app.add_option("--messages", messages, "commands in the sustained-rate run")->capture_default_str();
    app.add_option("--latency-samples", samples, "commands in the latency run")->capture_default_str();
    app.add_option("--idle-seconds", idle_seconds, "how long to watch the idle lamp")->capture_default_str();
    app.add_option("--window", window, "commands the publisher may be ahead of the lamp")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    lampi::log::init("lampid_bench", lampi::log::Level::warn);

    TempDir dir;
    {
        // The disk's cost of one durable save bounds the command latency.
        lampid::StateStore store(dir / "calibration.json", lampid::system_clock().wall_ms);
        std::vector<double> saves_ms;
        for (int i = 0; i < 100; ++i) {
            auto start = Clock::now();
            if (Status s = store.save(LampState{}); !s) {
                fmt::print(stderr, "a state save failed, so its time means nothing: {}\n", s.message());
                return 1;
            }
            saves_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        }
        fmt::print("disk: one state save (write, fsync, rename) p50 {:.3f} ms, p99 {:.3f} ms\n",
                   percentile(saves_ms, 50), percentile(saves_ms, 99));
    }
    TestBroker broker(dir.path(), "lamp");
    Process lampid({LAMPID_BINARY, "--port", std::to_string(broker.port()), "--device-id", "b827eb74663e",
                    "--state-file", dir / "lamp-state.json", "--log-level", "warn"},
                   dir / "lampid.log");
    lampid.start();
    ChangedWatcher watcher(broker.port());
    if (!watcher.wait([&] { return watcher.received > 0; }, std::chrono::seconds(10))) {
        fmt::print(stderr, "lampid did not publish its state:\n{}\n", lampid.log());
        return 1;
    }
    pid_t broker_pid = broker.pid();

    // Idle footprint.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double cpu_before = cpu_seconds(lampid.pid());
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
    double idle_cpu = cpu_seconds(lampid.pid()) - cpu_before;
    long idle_rss = memory_kb(lampid.pid(), "Rss:");
    fmt::print("lampid idle: RSS {:.1f} MB (of which shared library pages {:.1f} MB), PSS {:.1f} MB, "
               "private {:.1f} MB; CPU {:.2f} % over {} s\n",
               idle_rss / 1024.0, memory_kb(lampid.pid(), "Shared_Clean:") / 1024.0,
               memory_kb(lampid.pid(), "Pss:") / 1024.0, memory_kb(lampid.pid(), "Private_Dirty:") / 1024.0,
               100.0 * idle_cpu / idle_seconds, idle_seconds);

    // Latency: one command at a time, each waits for its own lamp/changed.
    MqttOptions publisher_options;
    publisher_options.port = broker.port();
    publisher_options.max_inflight = 0;
    MqttClient publisher(publisher_options);
    if (Status s = publisher.start_background(); !s) {
        fmt::print(stderr, "{}\n", s.message());
        return 1;
    }
    while (!publisher.connected()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::vector<double> latencies_ms;
    for (int i = 0; i < samples; ++i) {
        std::string tag = fmt::format("lat-{}", i);
        LampUpdate update;
        update.brightness = (i % 2) ? 0.25 : 0.75;
        update.client = tag;
        auto start = Clock::now();
        if (Status s = publisher.publish(topics::kSetConfig, encode_set_config(update), 1, false); !s) {
            fmt::print(stderr, "cannot publish command {}: {}\n", i, s.message());
            return 1;
        }
        if (!watcher.wait([&] { return watcher.last_client == tag; }, std::chrono::seconds(5))) {
            fmt::print(stderr, "no lamp/changed for command {}\n", i);
            return 1;
        }
        latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    fmt::print("set_config -> changed latency ({} commands, QoS 1, one at a time): p50 {:.3f} ms, p99 {:.3f} ms, "
               "max {:.3f} ms\n",
               samples, percentile(latencies_ms, 50), percentile(latencies_ms, 99), percentile(latencies_ms, 100));

    // Sustained rate: every command is a change; the publisher stays at most
    // `window` commands ahead of the newest version the lamp has announced.
    std::uint64_t start_version;
    std::uint64_t announcements_before;
    {
        std::lock_guard lock(watcher.mutex);
        start_version = watcher.version;
        announcements_before = watcher.received;
    }
    double lampid_cpu0 = cpu_seconds(lampid.pid());
    double broker_cpu0 = broker_pid > 0 ? cpu_seconds(broker_pid) : 0;
    auto start = Clock::now();
    for (int i = 0; i < messages; ++i) {
        watcher.wait([&] { return watcher.version + static_cast<std::uint64_t>(window) >
                                  start_version + static_cast<std::uint64_t>(i); },
                     std::chrono::seconds(10));
        LampUpdate update;
        update.brightness = (i % 2) ? 0.3 : 0.6;
        update.client = "bench";
        if (Status s = publisher.publish(topics::kSetConfig, encode_set_config(update), 1, false); !s) {
            fmt::print(stderr, "cannot publish command {}: {}\n", i, s.message());
            return 1;
        }
    }
    std::uint64_t target = start_version + static_cast<std::uint64_t>(messages);
    bool all = watcher.wait([&] { return watcher.version >= target; }, std::chrono::seconds(60));
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double lampid_cpu = cpu_seconds(lampid.pid()) - lampid_cpu0;
    double broker_cpu = broker_pid > 0 ? cpu_seconds(broker_pid) - broker_cpu0 : 0;
    std::uint64_t applied, announcements;
    {
        std::lock_guard lock(watcher.mutex);
        applied = watcher.version - start_version;
        announcements = watcher.received - announcements_before;
    }
    publisher.stop_background();
    fmt::print("sustained: {} changes applied in {:.2f} s = {:.0f} changes/s{}\n", applied, seconds,
               static_cast<double>(applied) / seconds, all ? "" : " (INCOMPLETE: some commands were not applied)");
    fmt::print("  {} lamp/changed announcements (one per fsync'd batch, {:.1f} changes per batch)\n", announcements,
               announcements ? static_cast<double>(applied) / static_cast<double>(announcements) : 0.0);
    fmt::print("  CPU: lampid {:.2f} s, broker {:.2f} s; lampid RSS after the run {:.1f} MB\n", lampid_cpu, broker_cpu,
               static_cast<double>(memory_kb(lampid.pid(), "Rss:")) / 1024.0);
    lampid.stop();
    return all ? 0 : 1;
}
