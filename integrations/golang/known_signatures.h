// KnownSignatures: the on-call team's list of crashes that already have a fixed build, read
// from the `--known FILE` JSON file. A crash whose signature is listed gets the "hotfix"
// recommendation with the fixed image/version. File format (JSON):
//   {"signatures": [
//     {"signature": "nil_map_write main.(*Registry).Put",
//      "fixed_in": "registry.example.com/app:1.4.3", "note": "PR #812"},
//     {"category": "concurrent_map_access", "function": "main.(*Cache).Set",
//      "fixed_in": "v2.0.1"}]}
// An entry matches by its full "signature" ("CATEGORY FUNCTION", as printed by
// `medic analyze`), or by "category" and/or "function" (every field given must match).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace medic::golang {

/// One entry of the known-signatures file.
struct KnownSignature {
  std::string signature;  ///< "CATEGORY FUNCTION"; empty when matched by fields
  std::string category;   ///< matched when non-empty
  std::string function;   ///< culprit function, matched when non-empty
  std::string fixed_in;   ///< the image or version that fixes it (required)
  std::string note;       ///< free text shown with the recommendation
};

/// The whole file; empty when no --known was given.
struct KnownSignatures {
  std::vector<KnownSignature> entries;

  /// The first entry matching the crash, or nullptr.
  const KnownSignature* Match(const std::string& signature, const std::string& category,
                              const std::string& function) const;
};

/// The signature of a crash: "CATEGORY FUNCTION", or "CATEGORY" without a culprit.
std::string MakeSignature(const std::string& category, const std::string& function);

/// Parses the JSON text of a known-signatures file; `origin` names it in errors.
/// Returns kInvalidArgument with the entry index and field on malformed input.
Result<KnownSignatures> ParseKnownSignatures(const std::string& text, const std::string& origin);

/// Reads and parses `path`; kNotFound/kIo when it cannot be read.
Result<KnownSignatures> LoadKnownSignatures(const std::string& path);

}  // namespace medic::golang
