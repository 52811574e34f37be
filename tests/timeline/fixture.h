// Deterministic incidents for timeline tests and scripts/bench-timeline, written through the
// public Store API with fixed timestamps. Alerts go through AlertStore::RecordAlert and
// approvals through ApproveStep, as `medic serve` and `medic approve` write them; run and
// step events use the runner's wording. The golden incident: an Alertmanager alert, one
// golden-three-minutes run (contain in parallel, diagnose with a crash analysis, recover,
// verify) with retries, a failed step, auto_confirm approvals, artifacts, an alert repeat
// and resolution, and the incident closed. Some records hold raw secrets, as a record
// written by an older medic might.
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

/// Writes an incident of a webhook run (route auto_confirm false) that stopped before a
/// destructive step, was approved with `medic approve` by "oncall" and went on, then stopped
/// before the next one, which still waits (the run needs attention; the incident is open).
/// Returns its id.
Result<int64_t> WriteAwaitingApprovalIncident(Store& store);

/// Writes an incident of a run whose first step was interrupted by Ctrl-C 5 s in and run
/// again by `medic resume` 9 s later (5 s more), and whose second step waited 42 s for
/// `medic approve`; the run succeeded 64 s after it started. Returns its id.
Result<int64_t> WriteInterruptedIncident(Store& store);

}  // namespace medic::testing
