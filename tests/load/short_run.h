// How the load tests run a scenario: on two threads, and never for longer than
// `hard_limit_s`, so a scenario that does not end fails its test instead of hanging it.
#pragma once

#include "run/runner.h"

namespace lampi::load {

inline RunReport short_run(Scenario& scenario, double hard_limit_s = 30) {
    RunSettings settings;
    settings.threads = 2;
    settings.hard_limit_s = hard_limit_s;
    return run_scenario(scenario, settings);
}

}  // namespace lampi::load
