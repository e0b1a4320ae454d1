// A lampi-load worker (`lampi-load worker --controller HOST[:PORT]`): waits on the
// controller's broker for a run, runs its share with its own lampi-load code,
// and reports the run so far once a second (cluster/worker_report.h).
//
// It announces itself retained on `hello/<id>` ("ready", "busy"; its Will says
// "gone", so a worker that dies is reported by the broker), takes every start
// command that names it, and serves runs until Ctrl-C. Its publishers' client ids
// carry its id, so two workers' clients never take each other's place.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cluster/worker_report.h"
#include "lampi/mqtt_client.h"
#include "run/runner.h"

namespace lampi::load::cluster {

struct WorkerOptions {
    // The controller's broker: host, port, TLS and login (cluster/broker.h).
    MqttOptions broker;
    std::string id;      // "" : <host name>-<pid>
    std::string secret;  // shared with the controller: only start commands sealed with it run (worker_report.h)
    std::size_t max_message_bytes = kDefaultMaxMessageBytes;  // the broker's message_size_limit (worker_report.h)
    // A run whose controller the broker says is gone (controller_topic()) ends once
    // it has been gone this long: a killed controller leaves no share running on.
    double orphan_after_s = 60;
};

// Runs a lampi-load command line (`publish ...`, `http ...`) with `observer` watching the run,
// as main() runs one; its exit code.
using RunCommand = std::function<int(const std::vector<std::string>& args, RunObserver* observer)>;

// Serves runs until `stop`; 0 when stopped, 2 when the broker cannot be used
// (unreachable, or it refused the certificate or login: cluster/broker.h), the
// id cannot name a worker, there is no secret of at least kMinSecretSize bytes,
// or orphan_after_s is not above 0. A run that ends without its final report
// (it could not start) is reported failed, with the reason its command gave
// RunObserver::refused().
int run_worker(WorkerOptions options, const RunCommand& run_command, const std::atomic<bool>& stop);

// A `publish` command line with every client id prefix made this worker's own
// (-c PREFIX, -cPREFIX, --clientid=PREFIX, -D ... become PREFIX-<worker>;
// without one, -c lampi-load-<worker> is added). Others are left as they are.
std::vector<std::string> worker_args(std::vector<std::string> args, const std::string& worker);

}  // namespace lampi::load::cluster
