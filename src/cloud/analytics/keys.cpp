#include "analytics/keys.h"

#include <fmt/core.h>

#include <cctype>

#include "accounts/crypto.h"

namespace lampi::cloud::analytics {

namespace {

bool plausible_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c))) return false;
    return true;
}

}  // namespace

Result<ProjectKeys> register_keys(EventStore& store, const ProjectKeys& given, const std::string& name,
                                  std::int64_t now) {
    if (!plausible_id(given.project_id))
        return Status::invalid_argument("the project id must be 1 to 64 letters and digits");
    auto project = store.project_id(now, given.project_id);
    if (!project) return project.status();
    if (*project != given.project_id)
        return Status::failed_precondition(
            fmt::format("this database's analytics project is {}, not {}: give that id, or use another database",
                        *project, given.project_id));
    for (auto [key, kind] : {std::pair{&given.write_key, KeyKind::write}, std::pair{&given.read_key, KeyKind::read},
                             std::pair{&given.master_key, KeyKind::master}}) {
        if (key->size() < 32)
            return Status::invalid_argument(
                fmt::format("the {} key is shorter than 32 characters", key_kind_name(kind)));
        std::string hash = accounts::secret_hash(*key);
        auto known = store.key_grant(hash);
        if (!known) return known.status();
        if (*known && (*known)->kind != kind)
            return Status::already_exists(fmt::format("the {} key is registered already as a {} key",
                                                      key_kind_name(kind), key_kind_name((*known)->kind)));
        if (*known) continue;
        if (Status s = store.add_key(hash, kind, name, now); !s) return s;
    }
    return given;
}

Result<ProjectKeys> create_keys(EventStore& store, const std::string& name, std::int64_t now) {
    auto project = store.project_id(now);
    if (!project) return project.status();
    ProjectKeys keys{*project, accounts::random_token(), accounts::random_token(), accounts::random_token()};
    for (auto [key, kind] : {std::pair{&keys.write_key, KeyKind::write}, std::pair{&keys.read_key, KeyKind::read},
                             std::pair{&keys.master_key, KeyKind::master}})
        if (Status s = store.add_key(accounts::secret_hash(*key), kind, name, now); !s) return s;
    return keys;
}

}  // namespace lampi::cloud::analytics
