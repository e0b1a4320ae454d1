#include "summary.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "lampi/files.h"

namespace lampi::stack {
namespace {

std::string password_in(const std::string& path) {
    Result<std::string> password = read_secret_file(path);
    return password ? *password : fmt::format("(unreadable: {})", password.status().message());
}

// A host of one role: where it listens and what it needs from the other.
std::string render_role_summary(const StackPlan& plan) {
    const std::string& dir = plan.options.dir;
    std::string out;
    auto line = [&out](const std::string& text = "") { out += text + "\n"; };
    line();
    if (plan.runs_cloud) {
        line(fmt::format("LAMPi cloud on {} as {} (port base {}, files in {})", plan.options.listen_address,
                         plan.cloud.host, plan.options.port_base, dir));
        line(fmt::format("  Web:   https://{}:{}/ (certificate for {})", plan.cloud.host, plan.https_port,
                         fmt::join(plan.server_dns_names, ", ")));
        line(fmt::format("  lamps: mqtts://{}:{} (client certificates)", plan.cloud.host, plan.lamp_mqtt_port));
        line(fmt::format("  Lamp hosts need {} (--cloud-ca-file) and their lamp's token:", plan.ca_file));
        for (const LampPlan& lamp : plan.lamps) line(fmt::format("    {}  {}", lamp.device_id, lamp.enroll_token_file));
    } else {
        line(
            fmt::format("LAMPi lamps bridged to {}:{} (files in {})", plan.cloud.host, plan.cloud.lamp_mqtt_port, dir));
        for (const LampPlan& lamp : plan.lamps) {
            line(fmt::format("  lamp {}: local broker 127.0.0.1:{}, enrolls with {}", lamp.device_id, lamp.broker_port,
                             lamp.enroll_token_file));
        }
    }
    line(fmt::format("Running in the background: lampi-stack status --dir {}; stop with lampi-stack stop --dir {}", dir,
                     dir));
    return out;
}

}  // namespace

std::string render_summary(const StackPlan& plan, bool detached) {
    if (!plan.runs_cloud || !plan.runs_lamps) return render_role_summary(plan);
    const std::string& dir = plan.options.dir;
    std::string out;
    auto line = [&out](const std::string& text = "") { out += text + "\n"; };
    line();
    line(fmt::format("LAMPi is running on 127.0.0.1 (port base {}, files in {})", plan.options.port_base, dir));
    line();
    line(fmt::format("  Web:   https://127.0.0.1:{}/", plan.https_port));
    line(fmt::format("         log in as {} / {}   (owns every lamp)", plan.demo.username,
                     password_in(plan.demo.password_file)));
    line(fmt::format("         or {} / {}   (owns none: sees nothing of {}'s)", plan.second_user.username,
                     password_in(plan.second_user.password_file), plan.demo.username));
    line("         (the passwords set on first start: a password changed since is kept)");
    line(fmt::format("         The certificates come from this stack's own CA: trust {} in your browser", plan.ca_file));
    line("         (Chrome: Settings > Privacy and security > Security > Manage certificates > Authorities > Import;");
    line("         Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import).");
    line();
    line(fmt::format("  {:<26} mqtts://127.0.0.1:{} (lamps, client certificates)", "cloud broker", plan.lamp_mqtt_port));
    line(fmt::format("  {:<26} wss://127.0.0.1:{}/mqtt (the web page, through lampi-cloud's relay)", "",
                     plan.https_port));
    line(fmt::format("  {:<26} mqtts://127.0.0.1:{} (services and operators, passwords)", "", plan.client_mqtt_port));
    line(fmt::format("  {:<26} https://127.0.0.1:{} (http://127.0.0.1:{} only redirects there)", "lampi-cloud",
                     plan.https_port, plan.http_redirect_port));
    for (const LampPlan& lamp : plan.lamps) {
        line(fmt::format("  {:<26} local broker 127.0.0.1:{} (lampid's login only), lampid, bridge -> devices/{}/", "lamp " + lamp.device_id,
                         lamp.broker_port, lamp.device_id));
        if (lamp.display != 0) {
            line(fmt::format("  {:<26} its screen: lampi-ui on Xvfb, DISPLAY=:{}", "", lamp.display));
        }
    }
    line(fmt::format("  endpoints for scripts: {}/endpoints.json    logs: {}/logs/", dir, dir));
    if (!plan.lamps.empty()) {
        const std::string& first = plan.lamps.front().device_id;
        line();
        line(fmt::format("Watch every lamp through the cloud (as the operator; options in {}/):", plan.cli_dir));
        line(fmt::format("  XDG_CONFIG_HOME={} mosquitto_sub -t 'devices/#' -v", plan.cli_dir));
        line(fmt::format("Turn lamp {} red through the cloud:", first));
        line(fmt::format("  XDG_CONFIG_HOME={} mosquitto_pub -q 1 -t devices/{}/lamp/set_config "
                         "-m '{{\"on\":true,\"color\":{{\"h\":0,\"s\":1}},\"brightness\":1,\"client\":\"cli\"}}'",
                         plan.cli_dir, first));
    }
    line();
    if (detached) {
        line(fmt::format("Running in the background: ./lampi status --dir {}; stop with ./lampi down --dir {}", dir, dir));
    } else {
        line("Press Ctrl-C to stop everything.");
    }
    return out;
}

}  // namespace lampi::stack
