#include "lamps/broker_revocations.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "lampi/log.h"

namespace lampi::cloud::lamps {

void MqttRevocations::revoke_user(const std::string& username) {
    boost::json::object o;
    o["user"] = username;
    o["issued_before"] = clock_();
    if (Status s = publish_(kRevokeTopic, boost::json::serialize(o), 1, false); !s)
        log::warn("cannot tell the broker to end {}'s connections: {}", username, s.message());
}

}  // namespace lampi::cloud::lamps
