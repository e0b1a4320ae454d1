#include <arpa/inet.h>
#include <fmt/core.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "led_drivers.h"

#include "lampi/errno_text.h"

namespace lampi::lampid {
namespace {

// pigpiod command numbers (pigpio's socket interface).
constexpr unsigned kSetMode = 0;
constexpr unsigned kPwm = 5;
constexpr unsigned kSetRange = 6;
constexpr unsigned kModeOutput = 1;
constexpr unsigned kRange = 1000;

}  // namespace

PigpiodLed::PigpiodLed(int socket, std::string endpoint, const int pins[3])
    : socket_(socket), endpoint_(std::move(endpoint)), pins_{pins[0], pins[1], pins[2]} {}

PigpiodLed::~PigpiodLed() { ::close(socket_); }

Result<std::unique_ptr<PigpiodLed>> PigpiodLed::open(const std::string& host, int port, const int pins[3]) {
    std::string endpoint = fmt::format("{}:{}", host, port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
        return Status::error(fmt::format("cannot resolve pigpiod host {}: {}", host, gai_strerror(rc)));
    }
    int fd = -1;
    for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) {
        return Status::error(
            fmt::format("cannot connect to pigpiod at {}: {} (is pigpiod running?)", endpoint, errno_text()));
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::unique_ptr<PigpiodLed> led(new PigpiodLed(fd, endpoint, pins));
    for (int pin : led->pins_) {
        for (auto [cmd, value] : {std::pair{kSetMode, kModeOutput}, std::pair{kSetRange, kRange}}) {
            Result<int> r = led->command(cmd, static_cast<unsigned>(pin), value);
            if (!r) return r.status();
        }
    }
    return led;
}

Result<int> PigpiodLed::command(unsigned cmd, unsigned p1, unsigned p2) {
    std::uint32_t request[4] = {cmd, p1, p2, 0};
    if (::send(socket_, request, sizeof request, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof request)) {
        return Status::error(fmt::format("lost pigpiod at {}: {}", endpoint_, errno_text()));
    }
    std::uint32_t reply[4];
    std::size_t got = 0;
    while (got < sizeof reply) {
        ssize_t n = ::recv(socket_, reinterpret_cast<char*>(reply) + got, sizeof reply - got, 0);
        if (n <= 0) return Status::error(fmt::format("pigpiod at {} closed the connection", endpoint_));
        got += static_cast<std::size_t>(n);
    }
    int result = static_cast<int>(reply[3]);
    if (result < 0) return Status::error(fmt::format("pigpiod refused command {} on pin {}: error {}", cmd, p1, result));
    return result;
}

Status PigpiodLed::set_duty(const RgbDuty& duty) {
    const double values[3] = {duty.red, duty.green, duty.blue};
    for (int i = 0; i < 3; ++i) {
        auto level = static_cast<unsigned>(values[i] * kRange + 0.5);
        Result<int> r = command(kPwm, static_cast<unsigned>(pins_[i]), level);
        if (!r) return r.status();
    }
    return Status::ok();
}

std::string PigpiodLed::describe() const {
    return fmt::format("pigpiod at {} pins {},{},{}", endpoint_, pins_[0], pins_[1], pins_[2]);
}

}  // namespace lampi::lampid
