// Plain HTTP actions: `http.request` (one request, checked against an expected status)
// and `http.wait` (poll until a URL answers as expected: healthz after a restart).
#pragma once

#include "integrations/action.h"

namespace medic {

/// Adds http.request and http.wait to `registry`.
void RegisterHttpActions(Registry& registry);

}  // namespace medic
