#include "cluster/share.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "ramp/ramp_flags.h"

namespace lampi::load::cluster {
namespace {

// An option of `publish` that holds a total, in every spelling CLI11 accepts:
// `-P 5`, `-P5`, `--clients 5`, `--clients=5`.
struct Total {
    std::vector<std::string> names;
    std::optional<std::string> value;
    std::size_t at = 0;  // where it stood in the command line
};

// The value `token` (at `i`) gives to one of `names`, and how many tokens it
// took; nothing when it is not that option.
std::optional<std::pair<std::string, std::size_t>> match(const std::vector<std::string>& args, std::size_t i,
                                                         const std::vector<std::string>& names, Status& error) {
    const std::string& token = args[i];
    for (const std::string& name : names) {
        if (token == name) {
            if (i + 1 >= args.size()) {
                error = Status::invalid_argument(fmt::format("{} needs a value", name));
                return std::nullopt;
            }
            return std::pair{args[i + 1], std::size_t{2}};
        }
        bool is_long = name.starts_with("--");
        if (is_long && token.starts_with(name + "=")) return std::pair{token.substr(name.size() + 1), std::size_t{1}};
        if (!is_long && token.size() > name.size() && token.starts_with(name))
            return std::pair{token.substr(name.size()), std::size_t{1}};
    }
    return std::nullopt;
}

template <typename T>
bool parse_number(const std::string& text, T& into) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), into);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<std::string> option_value(const std::vector<std::string>& args, const std::vector<std::string>& names) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        Status error;
        if (auto found = match(args, i, names, error)) return found->first;
    }
    return std::nullopt;
}

std::vector<int> reshare(int total, const std::vector<bool>& running) {
    const int live = static_cast<int>(std::count(running.begin(), running.end(), true));
    std::vector<int> users(running.size(), 0);
    for (std::size_t i = 0, k = 0; live > 0 && i < running.size(); ++i)
        if (running[i]) users[i] = total / live + (static_cast<int>(k++) < total % live ? 1 : 0);
    return users;
}

std::vector<std::vector<std::uint64_t>> renumber(const std::vector<std::vector<std::uint64_t>>& held,
                                                 const std::vector<int>& users,
                                                 const std::vector<std::vector<std::uint64_t>>& own,
                                                 std::uint64_t first) {
    std::vector<std::vector<std::uint64_t>> numbers(users.size());
    std::set<std::uint64_t> taken;
    auto wants = [&](std::size_t i) { return numbers[i].size() < static_cast<std::size_t>(std::max(0, users[i])); };
    auto take = [&](std::size_t i, std::uint64_t n) {
        if (!taken.insert(n).second) return;
        numbers[i].push_back(n);
    };
    for (std::size_t i = 0; i < users.size(); ++i)
        for (std::size_t k = 0; i < held.size() && k < held[i].size() && wants(i); ++k) take(i, held[i][k]);
    for (std::size_t i = 0; i < users.size(); ++i)
        for (std::size_t k = 0; i < own.size() && k < own[i].size() && wants(i); ++k) take(i, own[i][k]);
    std::uint64_t next = first;
    for (std::size_t i = 0; i < users.size(); ++i)
        while (wants(i)) take(i, next++);
    return numbers;
}

Result<std::vector<RunShare>> split_run(const std::vector<std::string>& args, int workers,
                                        const std::vector<std::string>& options_with_values) {
    if (workers < 1) return Status::invalid_argument("a run needs at least one worker");
    const bool http = !args.empty() && args.front() == "http";
    const char* unit = http ? "users" : "clients";
    // lampi-load's defaults: one client (user); web users start at one a second.
    Total clients{http ? std::vector<std::string>{"-u", "--users"}
                       : std::vector<std::string>{"-P", "--processes", "--clients"},
                  {},
                  0};
    std::vector<Total> rates;
    if (http) {
        rates.push_back({{"-r", "--spawn-rate"}, {}, 0});
    } else {
        rates.push_back({{"--total-rate"}, {}, 0});
        rates.push_back({{"--connect-rate"}, {}, 0});
    }
    Total first_user{{"--first-user"}, {}, 0};
    // A ramp's flags stay with the controller: the workers run its first step, then what it tells them.
    Total step_users{{"--step-users"}, {}, 0}, step_time{{"--step-time"}, {}, 0}, stop_when{{"--stop-when"}, {}, 0};
    std::vector<Total*> totals{&clients, &step_users, &step_time, &stop_when};
    if (http) totals.push_back(&first_user);
    for (Total& t : rates) totals.push_back(&t);
    // The command line without the totals; each worker's are put back where they stood.
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size();) {
        bool taken = false;
        for (Total* t : totals) {
            Status error;
            auto found = match(args, i, t->names, error);
            if (!error) return error;
            if (!found) continue;
            if (t->value) return Status::invalid_argument(fmt::format("{} is given twice", t->names.front()));
            t->value = found->first;
            t->at = rest.size();
            i += found->second;
            taken = true;
            break;
        }
        if (taken) continue;
        const bool takes_value = std::find(options_with_values.begin(), options_with_values.end(), args[i]) !=
                                 options_with_values.end();
        rest.push_back(args[i++]);
        if (takes_value && i < args.size()) rest.push_back(args[i++]);  // its value, whatever it looks like
    }

    int total_clients = 1;
    if (clients.value && (!parse_number(*clients.value, total_clients) || total_clients < 1))
        return Status::invalid_argument(
            fmt::format("{} '{}': give a number of {}", clients.names.front(), *clients.value, unit));
    int first_step = 0;
    if (step_users.value && (!parse_number(*step_users.value, first_step) || first_step < 1))
        return Status::invalid_argument(
            fmt::format("--step-users '{}': give the users each step adds, 1 or more", *step_users.value));
    // A ramp starts at its first step (no more than -u, -P): that is what the workers divide. Publishers
    // cannot move between workers: each worker holds its share of the ramp's ceiling from the start
    // (its -P) and runs as many as the controller's steers say (--steered, its share of the first step).
    int ceiling = 0;
    if (step_users.value) {
        ceiling = clients.value ? total_clients : first_step * kRampStepsWithoutCeiling;
        total_clients = std::min(first_step, ceiling);
    }
    if (total_clients < workers && step_users.value)
        return Status::invalid_argument(
            fmt::format("a ramp's first step of {} {} is fewer than the {} workers: each worker needs at least "
                        "one (give --step-users {} or more, or fewer --workers)",
                        total_clients, unit, workers, workers));
    if (total_clients < workers)
        return Status::invalid_argument(
            fmt::format("{} {} is fewer {} than the {} workers: each worker needs at least one (give {} {} or "
                        "more, or fewer --workers)",
                        clients.names.front(), total_clients, unit, workers, clients.names.front(), workers));
    std::uint64_t first = 0;
    if (first_user.value && !parse_number(*first_user.value, first))
        return Status::invalid_argument(fmt::format("--first-user '{}': give a user number", *first_user.value));
    std::vector<double> rate_values;
    for (Total& t : rates) {
        double value = http ? 1 : 0;
        if (t.value && (!parse_number(*t.value, value) || !std::isfinite(value) || value < 0))
            return Status::invalid_argument(fmt::format("{} '{}': give a number of {} a second", t.names.front(),
                                                        *t.value, http ? "users" : "messages or connections"));
        if (http && !t.value) t.at = rest.size();  // the default, made explicit: each worker takes its part
        rate_values.push_back(value);
    }

    std::vector<RunShare> shares;
    for (int w = 0; w < workers; ++w) {
        RunShare share;
        share.clients = total_clients / workers + (w < total_clients % workers ? 1 : 0);
        double part = static_cast<double>(share.clients) / total_clients;
        // How fast its users (clients) start: -r, or --connect-rate (rates' second).
        share.spawn_rate = rate_values[http ? 0 : 1] * part;
        // Each total goes back where it stood, before the word that followed it.
        std::vector<std::pair<std::size_t, std::vector<std::string>>> placed;
        const int held = step_users.value && !http ? ceiling / workers + (w < ceiling % workers ? 1 : 0)
                                                   : share.clients;
        placed.push_back({clients.value ? clients.at : rest.size(), {clients.names.front(), std::to_string(held)}});
        if (step_users.value && !http) placed.push_back({rest.size(), {"--steered", std::to_string(share.clients)}});
        for (std::size_t r = 0; r < rates.size(); ++r)
            if (rates[r].value || http)
                placed.push_back({rates[r].at, {rates[r].names.front(), fmt::format("{}", rate_values[r] * part)}});
        // Web users are numbered across the run ({n} in a login): each worker's from where the last one's ended.
        if (http) {
            placed.push_back({first_user.value ? first_user.at : rest.size(), {"--first-user", std::to_string(first)}});
            share.first_user = first;
        }
        first += static_cast<std::uint64_t>(share.clients);
        std::stable_sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        auto next = placed.begin();
        for (std::size_t i = 0; i <= rest.size(); ++i) {
            for (; next != placed.end() && next->first == i; ++next)
                share.args.insert(share.args.end(), next->second.begin(), next->second.end());
            if (i < rest.size()) share.args.push_back(rest[i]);
        }
        shares.push_back(std::move(share));
    }
    return shares;
}

}  // namespace lampi::load::cluster
