// Alertmanager actions: `alertmanager.silence` silences the alerts an incident is already
// being handled for (POST /api/v2/silences), reusing an active silence with the same
// matchers and comment so that a re-run does not pile up silences; `alertmanager.unsilence`
// expires it again (DELETE /api/v2/silence/{id}). Start with RegisterAlertmanagerActions.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "integrations/action.h"

namespace medic {

/// Adds alertmanager.silence and alertmanager.unsilence to `registry`.
void RegisterAlertmanagerActions(Registry& registry);

/// One silence matcher, as the v2 API spells it.
struct SilenceMatcher {
  std::string name;
  std::string value;
  bool is_regex = false;
  bool is_equal = true;
};

/// Matchers from a mapping ({alertname: X, service: "=~checkout.*", env: "!=dev"}: a value
/// may start with =~, != or !~) or a list ("alertname=X", 'service=~"checkout.*"', or
/// {name, value, isRegex, isEqual} objects). Fails with kInvalidArgument on bad names or
/// syntax, or when there are none.
Result<std::vector<SilenceMatcher>> ParseSilenceMatchers(const Json& matchers);

}  // namespace medic
