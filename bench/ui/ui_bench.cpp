// ui_bench: runs Xvfb, a real Mosquitto, a real lampid and lampi-ui on the
// virtual display, then prints
//   - lampi-ui's idle CPU over --idle-seconds (from /proc/<pid>/stat) and the
//     frames it drew meanwhile (none expected),
//   - its memory: RSS, PSS and private pages (from /proc/<pid>/smaps_rollup),
//   - external change -> redrawn: a set_config from another client until
//     lampi-ui has presented the frame showing it (its debug log stamps each
//     frame with the wall clock),
//   - tap -> lamp/changed: an xdotool click on the power switch, from the press
//     event in lampi-ui (its debug log stamps it) until a listener hears the
//     lamp announce the change; and from starting xdotool (its start-up included).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <thread>

#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "layout.h"
#include "mqtt_harness.h"
#include "proc_stats.h"
#include "virtual_display.h"

using namespace lampi;
using namespace lampi::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kDevice = "b827eb74663e";

std::int64_t wall_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string percentiles(std::vector<double> ms) {
    if (ms.empty()) return "no samples";
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) {
        return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    };
    return fmt::format("p50 {:.2f} ms, p90 {:.2f} ms, max {:.2f} ms ({} samples)", at(0.5), at(0.9), ms.back(),
                       ms.size());
}

// The wall-clock stamp (us) of the frame lampi-ui drew for `version`, from its log.
std::optional<std::int64_t> frame_time(const Process& ui, std::uint64_t version, std::chrono::milliseconds timeout) {
    const std::string needle = fmt::format("frame: version {} at ", version);
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        const std::string log = ui.log();
        if (auto at = log.find(needle); at != std::string::npos) return std::stoll(log.substr(at + needle.size()));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::nullopt;
}

// The wall-clock stamp (us) of the n-th (from 0) "press at X,Y at T us" line of lampi-ui's log.
std::optional<std::int64_t> press_time(const Process& ui, std::size_t n) {
    const std::string log = ui.log();
    std::size_t at = log.find("press at ");
    for (std::size_t i = 0; i < n && at != std::string::npos; ++i) at = log.find("press at ", at + 1);
    if (at == std::string::npos) return std::nullopt;
    const std::size_t stamp = log.find(" at ", at + 9);
    if (stamp == std::string::npos) return std::nullopt;
    return std::stoll(log.substr(stamp + 4));
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

std::optional<LampState> wait_changed(MqttProbe& probe, const std::function<bool(const LampState&)>& match) {
    std::optional<LampState> found;
    probe.wait_for(std::string(topics::kChanged), [&](const MqttMessage& m) {
        Result<LampState> s = decode_changed(m.payload);
        if (s && match(*s)) found = *s;
        return found.has_value();
    });
    return found;
}

}  // namespace

int run_bench(int argc, char** argv) {
    CLI::App app{"ui_bench: lampi-ui's idle CPU and memory, and its latencies, on Xvfb"};
    int idle_seconds = 10, samples = 30, width = 800, height = 480;
    app.add_option("--idle-seconds", idle_seconds)->capture_default_str();
    app.add_option("--samples", samples, "latency samples of each kind")->capture_default_str();
    app.add_option("--width", width)->capture_default_str();
    app.add_option("--height", height)->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (std::string missing = missing_display_tools(); !missing.empty()) {
        fmt::print(stderr, "ui_bench: {}\n", missing);
        return 1;
    }

    TempDir dir;
    VirtualDisplay display(dir / "xvfb.log", width, height);
    if (!display.ready()) {
        fmt::print(stderr, "ui_bench: Xvfb did not start\n{}", display.log());
        return 1;
    }
    TestBroker broker(dir.path(), "lamp");
    broker.start();
    MqttProbe probe(broker.port(), {"lamp/#"});
    probe.wait_connected();
    Process lampid({LAMPID_BINARY, "--port", std::to_string(broker.port()), "--device-id", kDevice, "--state-file",
                    dir / "lamp-state.json", "--simulated-output", dir / "led", "--log-level", "warn"},
                   dir / "lampid.log");
    lampid.start();
    ::setenv("DISPLAY", display.name().c_str(), 1);
    ::setenv("SDL_VIDEODRIVER", "x11", 1);
    Process ui({LAMPI_UI_BINARY, "--port", std::to_string(broker.port()), "--device-id", kDevice, "--width",
                std::to_string(width), "--height", std::to_string(height), "--log-level", "debug"},
               dir / "ui.log");
    ui.start();
    if (!probe.wait_for(topics::connection_state(topics::kScreenClient),
                        [](const MqttMessage& m) { return m.payload == "1"; }) ||
        run_shell("timeout 10 " + display.xdotool("search --sync --onlyvisible --name LAMPi")).exit_code != 0) {
        fmt::print(stderr, "ui_bench: lampi-ui did not come up\n{}", ui.log());
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));

    const std::size_t frames_before = count(ui.log(), "frame: ");
    const double cpu_before = cpu_seconds(ui.pid());
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
    const double idle_cpu = cpu_seconds(ui.pid()) - cpu_before;
    const std::size_t idle_frames = count(ui.log(), "frame: ") - frames_before;
    fmt::print("lampi-ui idle ({}x{} on Xvfb): CPU {:.3f} s in {} s = {:.2f} %, {} frames drawn\n", width, height,
               idle_cpu, idle_seconds, 100.0 * idle_cpu / idle_seconds, idle_frames);
    auto memory = [&](const char* when) {
        fmt::print("lampi-ui memory {}: RSS {:.1f} MB, PSS {:.1f} MB, private {:.1f} MB\n", when,
                   static_cast<double>(memory_kb(ui.pid(), "Rss:")) / 1024.0,
                   static_cast<double>(memory_kb(ui.pid(), "Pss:")) / 1024.0,
                   static_cast<double>(memory_kb(ui.pid(), "Private_Dirty:") + memory_kb(ui.pid(), "Private_Clean:")) /
                       1024.0);
    };
    memory("idle");

    std::vector<double> redrawn, announced;
    for (int i = 0; i < samples; ++i) {
        probe.clear();
        LampUpdate update;
        update.brightness = 0.2 + 0.6 * (i % 2) + 0.001 * i;
        update.client = "bench";
        const std::int64_t sent = wall_us();
        (void)probe.publish(std::string(topics::kSetConfig), encode_set_config(update));
        std::optional<LampState> changed = wait_changed(probe, [](const LampState& s) { return s.client == "bench"; });
        const std::int64_t heard = wall_us();
        if (!changed) continue;
        if (auto frame = frame_time(ui, changed->version, std::chrono::seconds(2))) {
            redrawn.push_back(static_cast<double>(*frame - sent) / 1000.0);
            announced.push_back(static_cast<double>(heard - sent) / 1000.0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fmt::print("external set_config -> lamp/changed at a listener: {}\n", percentiles(announced));
    fmt::print("external set_config -> lampi-ui frame presented:   {}\n", percentiles(redrawn));

    const ui::Layout layout = ui::compute_layout(width, height);
    const std::string window =
        run_shell(display.xdotool("search --onlyvisible --name LAMPi")).output.substr(0, std::string::npos);
    const std::string window_id = window.substr(0, window.find('\n'));
    const std::string tap = display.xdotool(fmt::format("mousemove --window {} {} {} click 1", window_id,
                                                        layout.power.center_x(), layout.power.center_y()));
    std::vector<double> tapped, pressed, xdotool_alone;
    for (int i = 0; i < samples; ++i) {
        const auto t0 = Clock::now();
        (void)run_shell(display.xdotool("getmouselocation"));
        xdotool_alone.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());

        probe.clear();
        const std::size_t presses = count(ui.log(), "press at ");
        const auto start = Clock::now();
        // xdotool returns only after its own pause between press and release.
        std::thread tapper([&] { (void)run_shell(tap); });
        if (wait_changed(probe, [](const LampState& s) { return s.client == topics::kScreenClient; })) {
            const std::int64_t heard = wall_us();
            tapped.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            tapper.join();
            if (auto press = press_time(ui, presses)) pressed.push_back(static_cast<double>(heard - *press) / 1000.0);
        } else {
            tapper.join();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fmt::print("tap: press event in lampi-ui -> lamp/changed at a listener: {}\n", percentiles(pressed));
    fmt::print("tap: xdotool run -> lamp/changed (xdotool start-up included): {}\n", percentiles(tapped));
    fmt::print("  xdotool alone (getmouselocation): {}\n", percentiles(xdotool_alone));
    memory("after the runs");
    return 0;
}

// The guard of lampi-ui's main (src/ui/main.cpp): an escaping exception is one line and 1.
int main(int argc, char** argv) {
    try {
        return run_bench(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "ui_bench: {}\n", e.what());
        return 1;
    }
}
