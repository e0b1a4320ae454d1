// How `lampi-ca list` shows the index: a table for people, JSON for scripts.
// JSON shape: {"certificates": [{"serial", "kind", "cn", "not_before",
// "not_after", "status", "revoked_at"?, "reason"?, "dns"?, "ip"?}]}.
#pragma once

#include <string>
#include <vector>

#include "certificate_authority.h"

namespace lampi::ca {

std::string list_as_table(const std::vector<ListedCertificate>& certificates);
std::string list_as_json(const std::vector<ListedCertificate>& certificates);

}  // namespace lampi::ca
