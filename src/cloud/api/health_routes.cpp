// GET /healthz: whether this lampi-cloud can do its work, for supervisors, load
// balancers and people. 200 when the database answers and the broker link is up
// (or no broker is configured), else 503; the body says which part is down and why.
// It reveals nothing about users or lamps, so it needs no login.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/app.h"

namespace lampi::cloud::api {
namespace json = boost::json;

void add_health_routes(http::Router& router, Deps& deps) {
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
