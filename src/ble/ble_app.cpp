#include "ble_app.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "bluez_registration.h"
#include "gatt_application.h"
#include "lampi/device_id.h"
#include "lampi/lamp_link.h"
#include "lampi/log.h"
#include "lampi/topics.h"
#include "pairing_agent.h"

namespace lampi::ble {
namespace {

constexpr const char* kApplicationPath = "/org/lampi/gatt";
constexpr const char* kAdvertisementPath = "/org/lampi/advertisement0";
constexpr const char* kAgentPath = "/org/lampi/agent";

// A file descriptor closed on scope exit.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::unique_ptr<sdbus::IConnection> connect_bus(const std::string& bus) {
    if (bus == "system") return sdbus::createSystemBusConnection();
    if (bus == "session") return sdbus::createSessionBusConnection();
    return sdbus::createSessionBusConnectionWithAddress(bus);
}

// The unix socket behind a bus name or address ("" when it is not a unix:path=).
std::string bus_socket(const std::string& bus) {
    std::string address = bus;
    if (bus == "system") {
        const char* env = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
        address = env ? env : "unix:path=/run/dbus/system_bus_socket";
    } else if (bus == "session") {
        const char* env = std::getenv("DBUS_SESSION_BUS_ADDRESS");
        address = env ? env : "";
    }
    constexpr std::string_view kPrefix = "unix:path=";
    if (address.rfind(kPrefix, 0) != 0) return "";
    return address.substr(kPrefix.size(), address.find(',') == std::string::npos ? std::string::npos
                                                                                 : address.find(',') - kPrefix.size());
}

// Whether the bus's socket takes a connection. Tried with a plain socket first:
// libsystemd never frees the bus object of a failed attempt, so retrying with
// sd-bus alone would leak on every try while the bus is away.
bool bus_listening(const std::string& bus) {
    std::string path = bus_socket(bus);
    if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) return true;  // let sd-bus say why
    sockaddr_un where{};
    where.sun_family = AF_UNIX;
    std::memcpy(where.sun_path, path.c_str(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool accepted = fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) == 0;
    if (fd >= 0) ::close(fd);
    return accepted;
}

// Milliseconds until sd-bus's next timeout or `deadline`, whichever is first (-1: none), for poll().
int poll_timeout_ms(const sdbus::IConnection::PollData& data, std::optional<PairingAgent::Clock::time_point> deadline) {
    int wait = -1;
    if (data.timeout_usec != UINT64_MAX) {
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        std::uint64_t now_usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
        wait = data.timeout_usec <= now_usec
                   ? 0
                   : static_cast<int>(std::min<std::uint64_t>((data.timeout_usec - now_usec + 999) / 1000, 60'000));
    }
    if (deadline) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - PairingAgent::Clock::now()).count();
        int until_deadline = static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
        wait = wait < 0 ? until_deadline : std::min(wait, until_deadline);
    }
    return wait;
}

}  // namespace

// Defaults and start as lampi-ui's (ui_app.cpp): both are optional clients of the
// lamp's broker, each under its own client id.
BleOptions default_ble_options() {
    BleOptions o;
    o.mqtt.client_id = std::string(topics::kBleClient);
    return o;
}

int run_ble(BleOptions o) {
    if (!log::init_from_option("lampi-ble", o.log_level, {}, o.log_format)) return 2;
    Result<std::string> id = o.device_id.empty() ? device_id_from_mac() : normalize_device_id(o.device_id);
    if (!id) {
        log::error("{}; give --device-id", id.status().message());
        return 2;
    }
    o.device_id = *id;
    if (auto exit_code = read_password_file_at_start(o.mqtt, o.password_file)) return *exit_code;

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts: they inherit it
    Fd signals(::signalfd(-1, &stop_signals, SFD_CLOEXEC));
    Fd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));

    LampLink link(o.mqtt, o.device_id, topics::kBleClient, true, [fd = wake.get()] {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
    });
    const std::string screen_state = topics::connection_state(topics::kScreenClient);
    link.follow(std::string(topics::kBlePairingAnswer));
    link.follow(screen_state);
    // The broker side first: the lamp sees this client (and its Last Will) even
    // while the bus is away.
    if (Status s = link.start(); !s) {
        log::error("{}", s.message());
        return 1;
    }
    // The bus may come up after us (the stack starts both at once; dbus.service at
    // boot): wait for it as for the broker, until a stop signal.
    std::unique_ptr<sdbus::IConnection> bus;
    for (int attempt = 0; !bus; ++attempt) {
        try {
            if (!bus_listening(o.bus))
                throw sdbus::Error("org.freedesktop.DBus.Error.NoServer", "nothing listens on " + bus_socket(o.bus));
            bus = connect_bus(o.bus);
        } catch (const sdbus::Error& e) {
            if (attempt == 0) log::warn("cannot reach the D-Bus {} bus yet: {}; retrying", o.bus, e.getMessage());
            pollfd stop{signals.get(), POLLIN, 0};
            if (::poll(&stop, 1, std::min(100 * (attempt + 1), 1000)) > 0) {
                log::info("stopping before the bus was reached");
                link.stop();
                return 0;
            }
        }
    }

    GattApplication app(*bus, kApplicationPath, kAdvertisementPath, o.device_id, [&link](LampUpdate update) {
        update.client = std::string(topics::kBleClient);
        std::optional<WriteRefusal> refusal;
        if (Status s = link.send(update); !s) {
            log::warn("cannot pass a Bluetooth write on to the lamp: {}", s.message());
            refusal = WriteRefusal{std::string(kFailed), std::string(kUnreachableCode)};
        }
        return refusal;
    });
    PairingAgent agent(*bus, kAgentPath, std::chrono::milliseconds(o.pairing_timeout_ms),
                       [&link](const PairingPrompt& prompt) {
                           Status s = link.publish(topics::kBlePairing, encode_pairing_prompt(prompt));
                           if (!s) log::warn("cannot publish the pairing prompt: {}", s.message());
                           return static_cast<bool>(s);
                       });
    BluezRegistration bluez(*bus, o.adapter, kApplicationPath, kAdvertisementPath, kAgentPath);
    bluez.start();
    log::info("LAMPi {} over Bluetooth LE: service {}, lamp broker {}", o.device_id, kServiceUuid, link.endpoint());

    bool running = true;
    while (running) {
        while (bus->processPendingRequest()) {
        }
        sdbus::IConnection::PollData data = bus->getEventLoopPollData();
        pollfd fds[3] = {{data.fd, data.events, 0}, {wake.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
        if (::poll(fds, 3, poll_timeout_ms(data, agent.deadline())) < 0 && errno != EINTR) {
            log::error("poll failed: {}", errno);
            break;
        }
        if (fds[1].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] ssize_t n = ::read(wake.get(), &count, sizeof count);
            LinkNews news = link.take();
            if (news.lamp) app.show(*news.lamp);
            for (const MqttMessage& message : news.followed) {
                if (message.topic == screen_state) agent.set_screen_present(message.payload == topics::kOnline);
                else agent.on_answer(message.payload);
            }
        }
        agent.on_tick(PairingAgent::Clock::now());
        if (fds[2].revents & POLLIN) {
            signalfd_siginfo info{};
            [[maybe_unused]] ssize_t n = ::read(signals.get(), &info, sizeof info);
            log::info("stopping on signal {}", info.ssi_signo);
            running = false;
        }
    }
    link.stop();
    const auto& c = app.counters();
    log::info("stopped: {} reads, {} writes ({} refused), {} notifications", c.reads, c.writes, c.refused_writes,
              c.notifications);
    return 0;
}

}  // namespace lampi::ble
