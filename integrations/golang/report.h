// Rendering an Analysis: the `--json` object (field names are a contract with scripts and
// the playbook engine) and the text a person reads at 3 a.m. Both say the same things.
#pragma once

#include <string>

#include "base/json.h"
#include "integrations/golang/analyzer.h"

namespace medic::golang {

/// The analysis as one JSON object: category, recoverable, message, culprit, goroutine,
/// phase, occurrences, panic_chain, signatures, goroutines_total, buckets, leak_suspects,
/// recommendation. Absent facts are null. Never throws.
Json AnalysisToJson(const Analysis& a);

/// The analysis for a terminal; `color` adds ANSI colors. Ends with a newline.
std::string AnalysisToText(const Analysis& a, bool color);

}  // namespace medic::golang
