// A deterministic incident for timeline tests and scripts/bench-timeline, written through the
// public Store API with fixed timestamps: an Alertmanager alert, one golden-three-minutes run
// (contain in parallel, diagnose with a crash analysis, recover, verify) with retries, a
// failed step, approvals, artifacts, an alert repeat and resolution, and the incident closed.
// Some records hold raw secrets, as a record written by an older medic might.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/store.h"

namespace medic::testing {

/// 2026-11-22T03:00:00Z, the alert's startsAt.
inline constexpr int64_t kFixtureT0 = 1795316400000;

/// Secrets the fixture stores unredacted; no timeline may show them.
inline constexpr const char* kFixtureSecrets[] = {"sk_live_51Habc123def456", "xoxb-1234-abcd5678",
                                                  "hunter2-db-password", "plainsecretvalue42"};

struct FixtureOptions {
  /// Extra events beyond the golden incident (0: exactly the golden incident): repeated
  /// alerts and a second run with many steps, for the benchmark.
  int extra_events = 0;
};

/// Writes the incident into `store`; returns its id.
Result<int64_t> WriteFixtureIncident(Store& store, const FixtureOptions& options = {});

}  // namespace medic::testing
