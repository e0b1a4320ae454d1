// The stack's certificates, made with the platform CA (src/ca) on first run: the
// CA itself and one server certificate for every cloud listener (127.0.0.1 and
// localhost). The lamps enroll for theirs through lampi-cloud with a token, as
// real lamps do; a lamp whose certificate files are gone has the certificates of
// its lost key revoked, so it can enroll again. Existing files are kept, so a
// restarted stack keeps its identities; the CRL is renewed on every run.
#pragma once

#include "lampi/status.h"
#include "stack_plan.h"

namespace lampi::stack {

Status ensure_pki(const StackPlan& plan);

}  // namespace lampi::stack
