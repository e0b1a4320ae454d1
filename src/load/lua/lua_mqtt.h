// LuaMqtt: an MQTT client of one Lua user (`user:mqtt{...}`), on the same
// worker and epoll loop as the user's HTTP connection (mqtt/session.h).
//
// connect, publish and subscribe wait for the broker's answer (CONNACK, PUBACK
// or PUBCOMP, SUBACK; a QoS 0 publish for the write) and are counted as
// requests of type MQTT ("connect", "publish:TOPIC", "subscribe:FILTER", or
// the name given), with their time, in Locust's tables. A failed connect names
// the scenario's line that asked for it, since a wrong CA or port is fixed there.
// Over TLS the client shares its worker's context for the same settings
// (lua/mqtt_tls.h). Messages that arrive
// are queued (the oldest dropped past 1000) until receive() takes them. A
// client belongs to its user; it is closed with it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "mqtt/client_options.h"
#include "mqtt/session.h"

struct lua_State;

namespace lampi::load::lua {

class LuaUser;
class LuaMqtt;

// What Lua holds of a client (a full userdata): cleared when its user ends.
struct MqttHandle {
    LuaMqtt* client = nullptr;
};

class LuaMqtt : public SessionHandler {
public:
    // `tls` is null for plain TCP.
    LuaMqtt(LuaUser& user, ClientOptions options, std::shared_ptr<TlsContext> tls, std::string client_id,
            double timeout_s);
    ~LuaMqtt() override;

    // Each starts the operation and makes the user await its answer (pushed
    // onto the user's coroutine when it comes); false when it could not start
    // (the failure is counted and the answer already given).
    // `place`: the scenario's "file:line" that asked for the connection.
    void connect(std::string place);
    void publish(const std::string& topic, const std::string& payload, int qos, bool retain, std::string name);
    void subscribe(const std::string& filter, int qos, std::string name);
    void receive(double timeout_s);
    void disconnect();
    LuaUser& user() { return user_; }

    void on_connect(Session& session, int rc) override;
    void on_disconnect(Session& session, const Status& why) override;
    void on_publish(Session& session, int mid) override;
    void on_message(Session& session, const Message& message) override;
    void on_subscribe(Session& session, int mid, bool granted) override;

private:
    enum class Op { none, connect, publish, subscribe, receive };
    struct Received {
        std::string topic, payload;
        int qos = 0;
        bool retain = false;
    };

    void begin(Op op, std::string name, int mid);
    // Ends the awaited operation: counts it, answers the coroutine with `ok`
    // (true/false, or the client/nil, false + why on failure).
    void finish(const std::string& failure);
    void answer_message();
    // "Kind('why')" as Locust names a failure; a connect's names the scenario's line too.
    std::string failure(const char* kind, const std::string& why) const;

    LuaUser& user_;
    ClientOptions options_;
    Session session_;
    std::int64_t timeout_ns_;
    Op op_ = Op::none;
    std::string op_name_;
    int op_mid_ = -1;
    std::int64_t op_started_ns_ = 0;
    std::string connect_place_;
    std::deque<Received> inbox_;
};

// native.mqtt(user, options): a new, unconnected client's handle (the prelude's
// user:mqtt connects it); register_mqtt: the handle's methods.
int open_mqtt(lua_State* L);
void register_mqtt(lua_State* L);

}  // namespace lampi::load::lua
