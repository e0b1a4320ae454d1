#include "run/fd_limit.h"

#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>

namespace lampi::load {

std::optional<std::uint64_t> fd_hard_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(limit.rlim_max);
}

Status raise_fd_limit(std::uint64_t needed) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return Status::error("cannot read the open-file limit (getrlimit)");
    if (limit.rlim_cur >= needed) return Status::ok();
    if (limit.rlim_max < needed) {
        // Raising the hard limit needs CAP_SYS_RESOURCE (root); try, then explain.
        rlimit wanted{needed, needed};
        if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) return Status::ok();
        return Status::error(fmt::format(
            "{} connections need {} file descriptors but the hard limit is {}: raise it with `ulimit -Hn {}` "
            "(as root) before starting lampi-load, or set `nofile` in /etc/security/limits.conf, or "
            "LimitNOFILE={} in a systemd unit (and fs.nr_open if it is lower)",
            (needed > 64 ? needed - 64 : needed) / kDescriptorsPerConnection, needed, limit.rlim_max, needed, needed));
    }
    limit.rlim_cur = std::max<rlim_t>(needed, limit.rlim_cur);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return Status::error(fmt::format("cannot raise the open-file limit to {}: run `ulimit -n {}` first", needed, needed));
    }
    return Status::ok();
}

}  // namespace lampi::load
