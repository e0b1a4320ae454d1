// The database schema as an ordered list of migrations.
//
// schema_migrations records which versions ran; migrate() applies the missing
// ones in order, each in its own transaction, so starting any lampi-cloud
// version against an older database brings it up to date. The DDL is shared by
// both engines except the auto-increment key and JSON types, and the
// partitioning of the analytics events, which only PostgreSQL has.
#pragma once

#include "lampi/status.h"
#include "storage/sql.h"

namespace lampi::cloud::storage {

Status migrate(SqlConnection& conn);
// The newest schema version this build knows.
int schema_version();

}  // namespace lampi::cloud::storage
