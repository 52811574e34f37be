// The milestones of an incident (detected, triggered, contained, ... resolved) and the
// durations between them with their budgets and verdicts: what a postmortem measures.
// ComputeMilestones reads them off an assembled timeline (timeline.h); ComputeDurations
// then judges each duration against its budget. MilestoneOfStage says which stage names
// mark which milestone.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace medic {

struct Timeline;

/// The milestones, in the order they normally happen.
inline constexpr const char* kMilestoneNames[] = {
    "detected", "triggered", "contained", "diagnosed", "mitigated", "verified", "resolved"};

/// The overall SLA of the golden three minutes: contained within 3 minutes of the trigger.
inline constexpr int64_t kContainBudgetMs = 180'000;

/// A milestone: when it was reached (0: not reached) and which fact says so.
struct Milestone {
  std::string name;
  int64_t at = 0;
  std::string source;  ///< e.g. "stage contain finished (run 12)"
  int64_t run_id = 0;
  /// Why not, when its stage finished without producing what the milestone stands for
  /// ("step 'p99' skipped: not configured: ..."); "" otherwise.
  std::string not_reached;
};

/// "not reached", with the reason when there is one.
std::string NotReachedText(const Milestone& m);

/// A duration between two milestones, with its budget when it has one.
struct DerivedDuration {
  std::string name;  ///< time_to_trigger, time_to_contain, ...
  std::string from;  ///< milestone names
  std::string to;
  int64_t ms = -1;        ///< -1: one of the milestones was not reached
  int64_t budget_ms = 0;  ///< 0: no budget
  /// met | missed | pending (not reached yet, the incident goes on) | "" (no budget, or
  /// nothing to measure from).
  std::string verdict;
};

/// One milestone per kMilestoneNames, in that order, from the timeline's incident, runs,
/// events and analyses (its milestones and durations are not read). A stage marks its
/// milestone only when it produced what the milestone stands for: verified when every step
/// of the verify stage succeeded (a step skipped by its `when:` aside), diagnosed when the
/// run has an analysis, contained and mitigated when every step of the stage that changed
/// production (it needed, and got, a yes) succeeded; a stage with no such step needs one
/// step that succeeded and none that failed. Otherwise Milestone::not_reached says why.
std::vector<Milestone> ComputeMilestones(const Timeline& t);

/// The derived durations between `t`'s milestones, each judged against its budget in
/// `budgets_ms` (by duration name; absent or 0: no budget). A duration not measurable yet
/// is "pending" while `t` is ongoing, else "missed".
std::vector<DerivedDuration> ComputeDurations(const Timeline& t,
                                              const std::map<std::string, int64_t>& budgets_ms);

/// The milestone a stage name marks when that stage finishes: contain -> contained,
/// diagnose -> diagnosed, recover/mitigate -> mitigated, verify -> verified (case-insensitive,
/// also the -ment/-is/-y/-ion nouns: containment, diagnosis, recovery, mitigation,
/// verification); "" for any other stage.
std::string MilestoneOfStage(std::string_view stage);

}  // namespace medic
