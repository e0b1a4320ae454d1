// BrokerRevocations: tells the cloud broker that a user's broker connections
// made with credentials issued before now must end: after a logout, a password
// change, a token revocation or a lamp release, so an open page loses control
// within a second instead of at its credential's next refresh.
//
// The broker plugin follows `lampi/control/revoke` (QoS 1) and disconnects that
// user's connections whose credential was issued before `issued_before`:
//   {"user": "<username>", "issued_before": <unix seconds>}
// MqttRevocations publishes it through lampi-cloud's own broker link. While the
// link is down the message cannot go out (it is logged); the plugin's periodic
// refresh then remains the bound. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "clock.h"
#include "lamps/lamp_service.h"

namespace lampi::cloud::lamps {

inline constexpr std::string_view kRevokeTopic = "lampi/control/revoke";

class BrokerRevocations {
public:
    virtual ~BrokerRevocations() = default;
    virtual void revoke_user(const std::string& username) = 0;
};

class MqttRevocations : public BrokerRevocations {
public:
    MqttRevocations(Publisher publish, Clock clock) : publish_(std::move(publish)), clock_(std::move(clock)) {}
    void revoke_user(const std::string& username) override;

private:
    Publisher publish_;
    Clock clock_;
};

}  // namespace lampi::cloud::lamps
