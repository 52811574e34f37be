// Internal to store/: the record's versioned schema. One list of migrations serves both
// databases: PostgreSQL runs each entry in its own types, plus what only it needs (see
// schema.cc). Include it only from store/*.cc.
#pragma once

#include <string>

#include "store/statement.h"

namespace medic::store_internal {

/// The schema version this medic writes.
int LatestSchemaVersion();

/// The SQL that moves a record from `from_version` to from_version + 1.
std::string MigrationSql(int from_version, Dialect dialect);

/// Taken by a PostgreSQL migration: replicas that start at once migrate one at a time.
inline constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7305425)";

}  // namespace medic::store_internal
