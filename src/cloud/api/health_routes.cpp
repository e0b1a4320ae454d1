// Health for supervisors, load balancers and people; neither reveals anything
// about users or lamps, so neither needs a login.
// - GET /healthz (readiness): whether this lampi-cloud can do its work. 200 when
//   the database answers and the broker link is up (or no broker is configured),
//   else 503; the body says which part is down and why. A load balancer sends
//   traffic elsewhere on 503.
// - GET /livez (liveness): 200 whenever the process routes requests at all, and
//   touches nothing else. A supervisor restarts on its failure only: restarting
//   because the database or the broker is down would not bring them back.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/app.h"

namespace lampi::cloud::api {
namespace json = boost::json;

void add_health_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/livez", [](const http::Request&, const http::Params&) {
        http::Response r = http::json(200, R"({"status":"alive"})");
        r.set("Cache-Control", "no-store");
        return r;
    });
    router.add("GET", "/healthz", [&deps](const http::Request&, const http::Params&) {
        json::object o;
        bool healthy = true;
        json::object database;
        Status db = deps.store.ping();
        database["ok"] = db.is_ok();
        if (!db) {
            database["error"] = db.message();
            healthy = false;
        }
        o["database"] = std::move(database);
        json::object broker;
        if (deps.options.broker_status) {
            lamps::LinkStatus link = deps.options.broker_status();
            broker["connected"] = link.connected;
            broker["for_seconds"] = link.seconds_in_state;
            if (!link.connected) {
                broker["error"] = link.reason;
                healthy = false;
            }
        } else {
            broker["connected"] = false;
            broker["error"] = "no broker configured (--mqtt-host is empty)";
        }
        o["broker"] = std::move(broker);
        o["status"] = healthy ? "ok" : "degraded";
        http::Response r = http::json(healthy ? 200 : 503, json::serialize(o));
        r.set("Cache-Control", "no-store");
        return r;
    });
}

}  // namespace lampi::cloud::api
