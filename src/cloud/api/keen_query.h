// Keen's query API as a building block: the /3.0/ routes (read key, any origin)
// and the operator's dashboard (operator session, same origin only) answer the
// same queries with the same parameters and result shapes.
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <string_view>

#include "analytics/keen_error.h"
#include "api/app.h"

namespace lampi::cloud::api {

// Now in Unix ms, as analytics sees it (AppOptions::analytics_now_ms, else the system clock).
std::int64_t analytics_now_ms(const Deps& deps);

// Keen's error shape {"message", "error_code"} with the HTTP status of its kind
// (a fault on our side: 500 with an error id, as everywhere).
http::Response keen_refusal(const analytics::KeenError& error);

// Runs `analysis` with the request's parameters (GET: the query string; POST: a
// JSON body) on the query pool. `finish` is applied to every answer, refusals
// included (the /3.0/ routes add their CORS header there). The caller has
// already decided that this caller may query; `scope`, a scoped key's filters,
// holds in every query it makes.
http::Response keen_query(const http::Request& request, std::string_view analysis, Deps& deps,
                          http::Response (*finish)(http::Response), boost::json::array scope = {});

}  // namespace lampi::cloud::api
