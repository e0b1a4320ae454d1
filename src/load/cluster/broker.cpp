#include "cluster/broker.h"

#include <fmt/core.h>
#include <poll.h>

#include <mutex>
#include <thread>

#include "mqtt/stream.h"
#include "mqtt/tls_context.h"

namespace lampi::load::cluster {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    return static_cast<int>(std::max<long long>(left, 0));
}

// The TLS handshake alone, so a refused certificate is named (see the header).
Status try_tls(const MqttOptions& o, Clock::time_point until) {
    TlsSettingNames names;
    names.skip_name_check = "the host given to --broker or --controller";
    names.client_certificate = "--cert/--key";
    auto context = TlsContext::create(*o.tls, true, true, names);
    if (!context) return context.status();
    Stream stream;
    if (Status s = stream.open(o.host, o.port, "", *context, "", ""); !s) return s;
    for (;;) {
        Stream::Progress progress = stream.advance();
        if (progress == Stream::Progress::ready) return Status::ok();
        if (progress == Stream::Progress::failed) return Status::unauthenticated(stream.error());
        pollfd fd{stream.fd(), static_cast<short>(stream.advance_wants_write() ? POLLOUT : POLLIN), 0};
        if (remaining_ms(until) == 0 || ::poll(&fd, 1, remaining_ms(until)) == 0)
            return Status::unavailable(
                fmt::format("no TLS handshake with {}:{} within the time allowed: check that "
                            "the port is the broker's TLS listener",
                            o.host, o.port));
    }
}

}  // namespace

Status connect_to_cluster(MqttClient& client, std::chrono::milliseconds deadline) {
    const MqttOptions& o = client.options();
    const auto until = Clock::now() + deadline;
    if (o.tls) {
        if (Status s = try_tls(o, until); !s) return s;
    }
    // A refusal (CONNACK) comes through on_disconnect before any connection.
    struct Refusal {
        std::mutex mutex;
        std::string reason;
    };
    auto refusal = std::make_shared<Refusal>();
    client.on_disconnect = [refusal](std::string_view reason) {
        std::lock_guard lock(refusal->mutex);
        refusal->reason = reason;
    };
    // With TLS 1.3 a broker refuses a missing client certificate only after the
    // handshake has succeeded for the client: libmosquitto then says "Protocol
    // error" here, or nothing at all.
    const char* certificate_hint =
        o.tls ? ": if the broker asks for a client certificate, check that --cert/--key hold one its CA signed" : "";
    if (Status s = client.start_background(); !s) return Status::unavailable(s.message() + certificate_hint);
    while (!client.connected()) {
        std::string refused;
        {
            std::lock_guard lock(refusal->mutex);
            refused = refusal->reason;
        }
        if (!refused.empty() || remaining_ms(until) == 0) {
            client.stop_background();
            if (refused.empty())
                return Status::unavailable(
                    fmt::format("the broker at {} did not accept a connection within {} s: check that it runs there{}",
                                client.endpoint(), deadline.count() / 1000,
                                o.tls ? certificate_hint : " and whether it wants TLS (--cafile)"));
            return Status::unauthenticated(
                fmt::format("the broker at {} refused the connection: {}{}", client.endpoint(), refused,
                            o.username.empty() ? " (it may want a login: --username and --password-file)"
                                               : " (check --username and the password in --password-file)"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Status::ok();
}

}  // namespace lampi::load::cluster
