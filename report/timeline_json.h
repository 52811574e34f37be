// The timeline as JSON: the stable, versioned document a postmortem tool or a script reads.
// Times are shown in one zone, UTC unless --tz names another (TimeFormatter). Its incident,
// runs, steps and artifacts have the one shape of record_json.h (what `medic show --json`
// prints, without step outputs), with what only a timeline knows added: a run's stages and
// analysis, a step's awaiting_since.
//
// JSON schema "medic.timeline.v1" (fields are never removed or renamed within v1; times
// are RFC 3339 in the chosen zone, or null; *_ms are integers, or null when unknown):
//   {"schema": "medic.timeline.v1", "scope": {"kind": "incident"|"run", "id"}, "timezone",
//    "incident": {"id", "title", "source", "status", "dedup_key", "labels", "created_at",
//      "detected_at", "closed_at",
//      "runs": [{"id", "incident_id", "playbook", "status", "trigger", "params", "created_at",
//        "started_at", "ended_at", "duration_ms", "error", "warnings",
//        "stages": [{"name", "parallel", "status", "started_at", "ended_at", "duration_ms"}],
//        "steps": [{"id", "stage", "action", "status", "attempts", "started_at", "ended_at",
//          "duration_ms", "budget_ms", "over_budget", "approved", "awaiting_since", "commands",
//          "error"}],   (status: pending|running|succeeded|failed|skipped|timed_out|
//          interrupted|awaiting_approval; awaiting_since: when an awaiting_approval step
//          began waiting, else null)
//        "artifacts": [{"id", "step", "kind", "path", "url", "size", "sha256",
//          "description", "created_at"}],
//        "analysis": [{"step", "at", "category", "culprit", "recommendation", "why",
//          "result"}]}]},
//    "milestones": {"origin",
//      "detected"|"triggered"|"contained"|"diagnosed"|"mitigated"|"verified"|"resolved":
//        {"at", "offset_ms", "source", "run_id"}; when not reached {"at": null,
//        "not_reached": why} if its stage finished without proving it, else null,
//      "durations": {"time_to_trigger"|"time_to_contain"|"time_to_diagnose"|
//        "time_to_mitigate"|"time_to_verify"|"time_to_resolve":
//        {"from", "to", "ms", "budget_ms", "verdict": "met"|"missed"|"pending"|null}}},
//    "events": [{"id", "at", "offset_ms", "run_id", "stage", "step", "kind", "category",
//      "severity", "status", "message", "attempts", "duration_ms", "budget_ms",
//      "over_budget", "changes", "data"}]}
//
#pragma once

#include <string>

#include "report/time_formatter.h"
#include "report/timeline.h"

namespace medic {

/// The JSON document described at the top of this file, indented, one event a line.
std::string TimelineToJson(const Timeline& t, const TimeFormatter& time);

}  // namespace medic
