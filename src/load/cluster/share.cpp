#include "cluster/share.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

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

Result<std::vector<RunShare>> split_run(const std::vector<std::string>& args, int workers,
                                        const std::vector<std::string>& options_with_values) {
    if (workers < 1) return Status::invalid_argument("a run needs at least one worker");
    for (const auto& a : args) {
        for (const char* ramp : {"--step-users", "--step-time", "--stop-when"}) {
            if (a == ramp || a.starts_with(std::string(ramp) + "="))
                return Status::invalid_argument(fmt::format(
                    "{}: a ramp to failure is not distributed (each worker would find a knee of its own); run it "
                    "from one machine",
                    ramp));
        }
    }
    Total clients{{"-P", "--processes", "--clients"}, {}, 0};
    Total total_rate{{"--total-rate"}, {}, 0};
    Total connect_rate{{"--connect-rate"}, {}, 0};
    // The command line without the totals; each worker's are put back where they stood.
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size();) {
        bool taken = false;
        for (Total* t : {&clients, &total_rate, &connect_rate}) {
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

    int total_clients = 1;  // lampi-load's default
    if (clients.value && (!parse_number(*clients.value, total_clients) || total_clients < 1))
        return Status::invalid_argument(fmt::format("-P '{}': give a number of clients", *clients.value));
    if (total_clients < workers)
        return Status::invalid_argument(
            fmt::format("-P {} is fewer clients than the {} workers: each worker needs at least one (give -P {} or "
                        "more, or fewer --workers)",
                        total_clients, workers, workers));
    auto rate = [](const Total& t, double& into) -> Status {
        if (t.value && (!parse_number(*t.value, into) || !std::isfinite(into) || into < 0))
            return Status::invalid_argument(
                fmt::format("{} '{}': give a number of messages or connections a second", t.names.front(), *t.value));
        return Status::ok();
    };
    double total_rate_value = 0, connect_rate_value = 0;
    if (Status s = rate(total_rate, total_rate_value); !s) return s;
    if (Status s = rate(connect_rate, connect_rate_value); !s) return s;

    std::vector<RunShare> shares;
    for (int w = 0; w < workers; ++w) {
        RunShare share;
        share.clients = total_clients / workers + (w < total_clients % workers ? 1 : 0);
        double part = static_cast<double>(share.clients) / total_clients;
        // Each total goes back where it stood, before the word that followed it.
        std::vector<std::pair<std::size_t, std::vector<std::string>>> totals;
        totals.push_back({clients.value ? clients.at : rest.size(), {"-P", std::to_string(share.clients)}});
        if (total_rate.value)
            totals.push_back({total_rate.at, {"--total-rate", fmt::format("{}", total_rate_value * part)}});
        if (connect_rate.value)
            totals.push_back({connect_rate.at, {"--connect-rate", fmt::format("{}", connect_rate_value * part)}});
        std::stable_sort(totals.begin(), totals.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        auto next = totals.begin();
        for (std::size_t i = 0; i <= rest.size(); ++i) {
            for (; next != totals.end() && next->first == i; ++next)
                share.args.insert(share.args.end(), next->second.begin(), next->second.end());
            if (i < rest.size()) share.args.push_back(rest[i]);
        }
        shares.push_back(std::move(share));
    }
    return shares;
}

}  // namespace lampi::load::cluster
