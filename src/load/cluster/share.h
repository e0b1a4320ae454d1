// How a controller divides one run among its workers, so that N workers
// together make the load one run of the same command line would make.
//
// Absolute totals are divided: the clients of `publish` (-P/--processes/--clients)
// or the users of `http` (-u/--users) as evenly as possible, the first workers
// taking one more when they do not divide evenly, and the rates (publish's
// --total-rate and --connect-rate, http's -r/--spawn-rate, 1 when not given) in
// proportion to each worker's share. Web users are numbered across the run ({n}
// in a --login): each worker's first user (--first-user) follows the last
// worker's. What is per client or user (-n, -T, -s, --inflight, --wait) and how
// long the run lasts (-d, -t, --max-time) stay as they are: each does what it
// would do in one run, so the totals add up to that run's. A web users' ramp
// (--step-users, --step-time, --stop-when) is the controller's: its flags are
// left out of the shares, which divide its first step, and the controller moves
// the workers on from step to step (controller.h). So is a publishers' ramp; as
// its clients cannot move between workers, each worker holds its share of the
// ramp's ceiling (its -P) and starts its share of the first step (--steered N).
// split_run() never trusts its input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lampi/status.h"

namespace lampi::load::cluster {

struct RunShare {
    int clients = 0;                // a ramp's: its share of the first step
    std::vector<std::string> args;  // the command line the worker runs, its share in its -P
    double spawn_rate = 0;          // its part of -r/--spawn-rate (web users) or --connect-rate (publishers)
    std::uint64_t first_user = 0;   // web users: the number of its first (its --first-user)
};

// The shares of `args` (a `publish ...` or `http ...` command line) for `workers` workers, in
// the workers' order. Refused when there are fewer clients than workers (a
// worker with nothing to do is a mistake in the command), or when a total is
// not a number. `options_with_values` are publish's options that take a value
// (`--topic`, `-c`, ...), so that the word after one is its value even when it
// looks like a total (`--topic -P5`, `-c -Px`): the parser reads it so.
Result<std::vector<RunShare>> split_run(const std::vector<std::string>& args, int workers,
                                        const std::vector<std::string>& options_with_values = {});

// How `total` users are shared out again over the workers still `running` (a web
// users' run whose worker vanished, or came back): in the workers' order, as
// split_run() shares them over all, the first taking one more when they do not
// divide evenly; 0 for a worker not running.
std::vector<int> reshare(int total, const std::vector<bool>& running);

// The numbers the workers' users take once each worker runs `users[i]` (from
// reshare(), or a ramp's step) instead of the users numbered `held[i]`, so
// that no two users of the run share a number: each worker keeps the numbers
// of the users it goes on running (its first ones: a worker stops its newest),
// takes back its `own[i]` numbers (its first share's) where nobody holds them,
// then the lowest free numbers from `first` on.
std::vector<std::vector<std::uint64_t>> renumber(const std::vector<std::vector<std::uint64_t>>& held,
                                                 const std::vector<int>& users,
                                                 const std::vector<std::vector<std::uint64_t>>& own,
                                                 std::uint64_t first);

// The value `args` gives to the option `names` in any spelling CLI11 accepts
// (`-f X`, `-fX`, `--locustfile X`, `--locustfile=X`); nothing when it is not given.
std::optional<std::string> option_value(const std::vector<std::string>& args, const std::vector<std::string>& names);

}  // namespace lampi::load::cluster
