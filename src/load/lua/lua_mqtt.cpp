#include "lua/lua_mqtt.h"

#include <fmt/core.h>
#include <lua.hpp>

#include <cmath>
#include <filesystem>
#include <optional>

#include "lua/lua_guard.h"
#include "lua/lua_user.h"
#include "lua/scenario_state.h"
#include "mqtt/worker.h"
#include "run/clock.h"

namespace lampi::load::lua {
namespace {

constexpr const char* kClientType = "lampi-load.mqtt";
constexpr std::size_t kInboxLimit = 1000;
constexpr const char* kMethod = "MQTT";

// The client behind a handle, if its user still runs and the caller is that user.
LuaMqtt& check_client(lua_State* L) {
    LuaMqtt* client = static_cast<MqttHandle*>(luaL_checkudata(L, 1, kClientType))->client;
    if (client == nullptr) luaL_error(L, "this MQTT client's user has ended");
    if (L != client->user().thread() || !lua_isyieldable(L))
        luaL_error(L, "an MQTT client is used by the user that made it, from its on_start, tasks or on_stop");
    return *client;
}

int client_connect(lua_State* L) {
    LuaMqtt& client = check_client(L);
    client.connect(scenario_place(L));
    return kYield;
}

std::string opt_string(lua_State* L, int table, const char* field, std::string fallback) {
    if (lua_getfield(L, table, field) == LUA_TSTRING) fallback = lua_tostring(L, -1);
    lua_pop(L, 1);
    return fallback;
}

double opt_number(lua_State* L, int table, const char* field, double fallback) {
    if (lua_getfield(L, table, field) == LUA_TNUMBER) fallback = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return fallback;
}

int check_qos(lua_Integer qos) {
    if (qos < 0 || qos > 2) throw LuaFailure("qos: 0, 1 or 2");
    return static_cast<int>(qos);
}

// publish(topic, payload [, qos [, retain]]) or publish(topic, payload, {qos =, retain =, name =})
int client_publish(lua_State* L) {
    LuaMqtt& client = check_client(L);
    const char* topic_arg = luaL_checkstring(L, 2);
    std::size_t size = 0;
    const char* payload = luaL_checklstring(L, 3, &size);
    lua_Integer qos_arg = lua_istable(L, 4) ? 0 : luaL_optinteger(L, 4, 0);
    std::string topic = topic_arg;
    int qos = 0;
    bool retain = false;
    std::string name = "publish:" + topic;
    if (lua_istable(L, 4)) {
        qos = check_qos(static_cast<lua_Integer>(opt_number(L, 4, "qos", 0)));
        if (lua_getfield(L, 4, "retain") != LUA_TNIL) retain = lua_toboolean(L, -1) != 0;
        lua_pop(L, 1);
        name = opt_string(L, 4, "name", name);
    } else {
        qos = check_qos(qos_arg);
        retain = lua_toboolean(L, 5) != 0;
    }
    client.publish(topic, std::string(payload, size), qos, retain, std::move(name));
    return kYield;
}

// subscribe(filter [, qos]) or subscribe(filter, {qos =, name =})
int client_subscribe(lua_State* L) {
    LuaMqtt& client = check_client(L);
    const char* filter_arg = luaL_checkstring(L, 2);
    lua_Integer qos_arg = lua_istable(L, 3) ? 0 : luaL_optinteger(L, 3, 0);
    std::string filter = filter_arg;
    int qos = 0;
    std::string name = "subscribe:" + filter;
    if (lua_istable(L, 3)) {
        qos = check_qos(static_cast<lua_Integer>(opt_number(L, 3, "qos", 0)));
        name = opt_string(L, 3, "name", name);
    } else {
        qos = check_qos(qos_arg);
    }
    client.subscribe(filter, qos, std::move(name));
    return kYield;
}

int client_receive(lua_State* L) {
    LuaMqtt& client = check_client(L);
    double timeout = luaL_optnumber(L, 2, 10);
    if (!std::isfinite(timeout) || timeout < 0) luaL_error(L, "receive: give 0 or more seconds");
    client.receive(timeout);
    return lua_yield(L, 0);
}

int client_disconnect(lua_State* L) {
    check_client(L).disconnect();
    return 0;
}

}  // namespace

LuaMqtt::LuaMqtt(LuaUser& user, ClientOptions options, std::shared_ptr<TlsContext> tls, std::string client_id,
                 double timeout_s)
    : user_(user),
      options_(std::move(options)),
      session_(0, std::move(client_id), *this),
      timeout_ns_(static_cast<std::int64_t>(timeout_s * 1e9)) {
    session_.configure(options_, std::move(tls));
}

std::string LuaMqtt::failure(const char* kind, const std::string& why) const {
    if (op_ == Op::connect && !connect_place_.empty()) return fmt::format("{}('{}: {}')", kind, connect_place_, why);
    return fmt::format("{}('{}')", kind, why);
}

LuaMqtt::~LuaMqtt() { session_.abort(); }

void LuaMqtt::begin(Op op, std::string name, int mid) {
    op_ = op;
    op_name_ = std::move(name);
    op_mid_ = mid;
    op_started_ns_ = now_ns();
    user_.metrics().add(Counter::sent);
    std::int64_t deadline = timeout_ns_ > 0 ? op_started_ns_ + timeout_ns_ : 0;
    user_.await(this, deadline, [this] {
        finish(failure("TimeoutError",
                       fmt::format("no answer from the broker in {} s", static_cast<double>(timeout_ns_) / 1e9)));
    });
}

void LuaMqtt::finish(const std::string& failure) {
    Op done = op_;
    op_ = Op::none;
    std::int64_t elapsed = now_ns() - op_started_ns_;
    user_.record_request(kMethod, op_name_, elapsed, 0, failure);
    if (done == Op::connect && !failure.empty()) session_.abort();
    user_.answer([failure](lua_State* L) {
        if (failure.empty()) {
            lua_pushboolean(L, 1);
            return 1;
        }
        lua_pushboolean(L, 0);
        lua_pushlstring(L, failure.data(), failure.size());
        return 2;
    });
}

void LuaMqtt::connect(std::string place) {
    connect_place_ = std::move(place);
    begin(Op::connect, "connect", -1);
    const auto& binds = options_.bind_addresses;
    if (Status s = session_.start_connect(binds.empty() ? std::string() : binds.front()); !s) {
        finish(failure("ConnectionError", s.message()));
        return;
    }
    user_.worker().watch(session_);
}

void LuaMqtt::publish(const std::string& topic, const std::string& payload, int qos, bool retain, std::string name) {
    int mid = -1;
    begin(Op::publish, std::move(name), -1);
    if (!session_.publish(topic, payload, qos, retain, &mid)) {
        finish("ConnectionError('the MQTT client is not connected')");
        return;
    }
    op_mid_ = mid;
    user_.worker().touch(session_);
}

void LuaMqtt::subscribe(const std::string& filter, int qos, std::string name) {
    int mid = -1;
    begin(Op::subscribe, std::move(name), -1);
    if (!session_.subscribe(filter, qos, &mid)) {
        finish("ConnectionError('the MQTT client is not connected')");
        return;
    }
    op_mid_ = mid;
    user_.worker().touch(session_);
}

void LuaMqtt::receive(double timeout_s) {
    op_ = Op::receive;
    if (!inbox_.empty()) {
        answer_message();
        return;
    }
    user_.await(this, now_ns() + static_cast<std::int64_t>(timeout_s * 1e9), [this] {
        op_ = Op::none;
        user_.answer([](lua_State* L) {
            lua_pushnil(L);
            return 1;
        });
    });
}

void LuaMqtt::answer_message() {
    op_ = Op::none;
    Received message = std::move(inbox_.front());
    inbox_.pop_front();
    user_.answer([message = std::move(message)](lua_State* L) {
        lua_createtable(L, 0, 4);
        lua_pushlstring(L, message.topic.data(), message.topic.size());
        lua_setfield(L, -2, "topic");
        lua_pushlstring(L, message.payload.data(), message.payload.size());
        lua_setfield(L, -2, "payload");
        lua_pushinteger(L, message.qos);
        lua_setfield(L, -2, "qos");
        lua_pushboolean(L, message.retain ? 1 : 0);
        lua_setfield(L, -2, "retain");
        return 1;
    });
}

void LuaMqtt::disconnect() {
    session_.disconnect();
    user_.worker().touch(session_);
}

void LuaMqtt::on_connect(Session&, int rc) {
    if (op_ != Op::connect || !user_.awaiting(this)) return;
    finish(rc == 0 ? std::string()
                   : failure("ConnectionError", "the broker refused the connection: " + connack_text(rc)));
}

void LuaMqtt::on_disconnect(Session&, const Status& why) {
    if (op_ == Op::none || op_ == Op::receive || !user_.awaiting(this)) return;
    finish(failure("ConnectionError", why ? "disconnected" : why.message()));
}

void LuaMqtt::on_publish(Session&, int mid) {
    if (op_ == Op::publish && mid == op_mid_ && user_.awaiting(this)) finish("");
}

void LuaMqtt::on_subscribe(Session&, int mid, bool granted) {
    if (op_ != Op::subscribe || mid != op_mid_ || !user_.awaiting(this)) return;
    finish(granted ? std::string() : "SubscribeError('the broker refused the subscription')");
}

void LuaMqtt::on_message(Session&, const Message& message) {
    user_.metrics().add(Counter::received);
    if (inbox_.size() == kInboxLimit) inbox_.pop_front();
    inbox_.push_back({std::string(message.topic), std::string(message.payload), message.qos, message.retain});
    if (op_ == Op::receive && user_.awaiting(this)) answer_message();
}

namespace {

// TLS is on when asked for (tls = true) or implied (cafile, cert, insecure);
// tls = false keeps it off. It starts from the run's --cafile and --insecure.
std::optional<MqttTlsSettings> tls_settings(lua_State* L, int table, const ScenarioState& state) {
    auto relative_to_scenario = [&](std::string path) {
        if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
        return (std::filesystem::path(state.folder()) / path).lexically_normal().string();
    };
    MqttTlsSettings tls;
    tls.cafile = state.settings().cafile;
    tls.insecure = state.settings().insecure;
    int asked = lua_getfield(L, table, "tls");
    bool on = lua_toboolean(L, -1) != 0;
    bool refused = asked == LUA_TBOOLEAN && !on;
    lua_pop(L, 1);
    if (lua_getfield(L, table, "insecure") != LUA_TNIL) {
        tls.insecure = lua_toboolean(L, -1) != 0;
        on = on || tls.insecure;
    }
    lua_pop(L, 1);
    std::string cafile = opt_string(L, table, "cafile", "");
    tls.cert = relative_to_scenario(opt_string(L, table, "cert", ""));
    tls.key = relative_to_scenario(opt_string(L, table, "key", ""));
    on = on || !cafile.empty() || !tls.cert.empty();
    if (!cafile.empty()) tls.cafile = relative_to_scenario(std::move(cafile));
    if (refused || !on) return std::nullopt;
    return tls;
}

}  // namespace

int open_mqtt(lua_State* L) {
    LuaUser& user = LuaUser::from_lua(L, 1, "user:mqtt");
    luaL_checktype(L, 2, LUA_TTABLE);
    std::optional<MqttTlsSettings> tls_wanted = tls_settings(L, 2, user.state());
    std::shared_ptr<TlsContext> tls;
    if (tls_wanted) {
        auto made = user.state().mqtt_tls().get(*tls_wanted);
        if (!made) throw LuaFailure("user:mqtt: " + made.status().message());
        tls = *made;
    }
    ClientOptions options;
    options.host = opt_string(L, 2, "host", user.endpoint().url.host);
    options.port = static_cast<int>(opt_number(L, 2, "port", tls ? 8883 : 1883));
    options.keepalive_seconds = static_cast<int>(opt_number(L, 2, "keepalive", 60));
    options.username = opt_string(L, 2, "username", "");
    options.password = opt_string(L, 2, "password", "");
    options.reconnect = false;
    options.bind_addresses = user.endpoint().bind_addresses;
    std::string client_id =
        opt_string(L, 2, "client_id", fmt::format("lampi-load-{}-{}", user.number(), user.mqtt_count()));
    double timeout = opt_number(L, 2, "timeout", 10);
    LuaMqtt& client = user.add_mqtt(std::make_unique<LuaMqtt>(user, options, std::move(tls), client_id, timeout));

    auto* handle = static_cast<MqttHandle*>(lua_newuserdatauv(L, sizeof(MqttHandle), 0));
    handle->client = &client;
    luaL_setmetatable(L, kClientType);
    lua_pushvalue(L, -1);
    user.keep_mqtt_handle(luaL_ref(L, LUA_REGISTRYINDEX), handle);
    return 1;
}

void register_mqtt(lua_State* L) {
    luaL_newmetatable(L, kClientType);
    const luaL_Reg methods[] = {{"connect", guarded<client_connect>},     {"publish", guarded<client_publish>},
                                {"subscribe", guarded<client_subscribe>}, {"receive", client_receive},
                                {"disconnect", client_disconnect},        {nullptr, nullptr}};
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

}  // namespace lampi::load::lua
