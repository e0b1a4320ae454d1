#include "analytics/keys.h"

#include "accounts/crypto.h"

namespace lampi::cloud::analytics {

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
