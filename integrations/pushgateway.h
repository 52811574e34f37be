// Pushgateway actions: `pushgateway.push` puts a marker metric (by default
// medic_incident_frozen{...} 1) into a group of a Prometheus Pushgateway, so dashboards and
// alerts can see that an incident is being handled; `pushgateway.delete` removes the group
// at the end of the run. Groups are addressed as /metrics/job/<job>/<label>/<value>...,
// with base64 for values the path cannot carry. Start with RegisterPushgatewayActions.
#pragma once

#include <map>
#include <string>

#include "integrations/action.h"

namespace medic {

/// Adds pushgateway.push and pushgateway.delete to `registry`.
void RegisterPushgatewayActions(Registry& registry);

/// The group's path: "/metrics/job/<job>[/<label>/<value>]...". A value with a '/' or an
/// empty value is written as "<label>@base64/<base64url>", others are percent-encoded, as
/// the Pushgateway documents.
std::string PushgatewayGroupPath(const std::string& job,
                                 const std::map<std::string, std::string>& grouping);

/// RFC 4648 base64 with the URL and filename safe alphabet, padded ("=" for "").
std::string Base64Url(const std::string& data);

}  // namespace medic
