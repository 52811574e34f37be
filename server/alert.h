// Alerts as medic serve sees them, whatever sent them: the three webhook payloads
// (Alertmanager v4, PagerDuty v3, medic's generic shape) are parsed and checked here into one
// Notification of Alerts. Everything in a payload is untrusted: sizes, label names and
// control characters are checked before anything is routed or stored, and every failure
// says which field was wrong in one line. Start with Notification and the Parse* functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace medic {

/// Bounds on what one notification may carry; beyond them it is refused with 400.
inline constexpr size_t kMaxAlertsPerNotification = 5000;
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxLabelNameBytes = 256;
inline constexpr size_t kMaxLabelValueBytes = 4096;
inline constexpr size_t kMaxAnnotationValueBytes = 64 * 1024;
inline constexpr int kMaxJsonDepth = 32;

struct Alert {
  std::string status = "firing";      ///< firing | resolved
  Json labels = Json::object();       ///< name -> string
  Json annotations = Json::object();  ///< name -> string
  int64_t starts_at = 0;              ///< unix ms; 0 unknown
  int64_t ends_at = 0;                ///< unix ms; 0 unknown
  std::string fingerprint;            ///< the sender's, else a hash of the labels
  /// How the sender groups it (Alertmanager groupKey, PagerDuty incident id, generic
  /// group_key or the fingerprint); the default dedup key is the route + this.
  std::string group_key;
  std::string generator_url;
};

struct Notification {
  std::string source;       ///< alertmanager | pagerduty | generic
  std::string delivery_id;  ///< the sender's id of this delivery (X-Webhook-Id); "" none
  std::string event_id;     ///< PagerDuty: event.id, inside the signed body; "" none
  int64_t occurred_at = 0;  ///< PagerDuty: event.occurred_at, unix ms; 0 absent
  /// Set when the payload is valid but asks nothing of medic (e.g. a PagerDuty
  /// incident.acknowledged): why it is ignored.
  std::string ignored;
  std::vector<Alert> alerts;
};

/// Alertmanager's webhook payload, version 4:
/// {"version":"4","groupKey":..,"status":..,"alerts":[{"status","labels","annotations",
///  "startsAt","endsAt","fingerprint","generatorURL"}],...}. Fails with kInvalidArgument.
Result<Notification> ParseAlertmanager(std::string_view body);

/// A PagerDuty v3 webhook: {"event":{"event_type":"incident.triggered"|..,"occurred_at",
/// "data":{"id","title","status","urgency","service":{"summary"},...}}}. triggered and
/// reopened fire, resolved resolves, every other event type is valid but ignored. The
/// signature is checked by the caller (server/auth.h) before this is called.
Result<Notification> ParsePagerDuty(std::string_view body);

/// medic's generic shape, one alert or {"alerts": [...]} of them:
///   {"status": "firing"|"resolved",          (default firing)
///    "labels": {"alertname": "...", ...},    (required; string values)
///    "annotations": {"summary": "..."},      (optional)
///    "startsAt": RFC 3339, "endsAt": RFC 3339, (optional; startsAt defaults to receipt)
///    "fingerprint": "...",                   (optional; default: a hash of the labels)
///    "group_key": "..."}                     (optional; default: the fingerprint)
Result<Notification> ParseGeneric(std::string_view body);

/// A stable fingerprint of a label set: 16 hex digits of SHA-256 over the sorted pairs.
std::string FingerprintOf(const Json& labels);

/// Fails when `text` nests arrays/objects deeper than kMaxJsonDepth (checked before
/// parsing, so a hostile body cannot exhaust the stack).
Status CheckJsonDepth(std::string_view text);

}  // namespace medic
