// The alert intake record of `medic serve`, on the Store's one SQLite connection: the
// alerts each incident has seen (one row per incident and fingerprint, so "are all its
// alerts resolved?" is one query), webhook deliveries already handled (PagerDuty's
// X-Webhook-Id), alerts that no route matched (`medic list --unrouted`), and the approvals
// `medic approve` records for serve to act on. Schema: migration 2 in store.cc.
// RecordAlert is the one writer of the alert.* events `medic timeline` reads.
// Every method joins the caller's Store::Transaction when one is open on this thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "store/store.h"

namespace medic {

/// One alert (by fingerprint) as an incident last saw it. Labels and annotations are
/// redacted by the caller.
struct AlertRecord {
  int64_t incident_id = 0;
  std::string fingerprint;
  std::string status = "firing";  ///< firing | resolved
  Json labels = Json::object();
  Json annotations = Json::object();
  int64_t starts_at = 0;   ///< unix ms; 0 unknown
  int64_t ends_at = 0;     ///< unix ms; 0 unknown
  int64_t first_seen = 0;  ///< when medic first received it for this incident
  int64_t last_seen = 0;
  int64_t notifications = 0;  ///< how many notifications carried it
};

/// Where a notification about an alert came from, for its alert.* event.
struct AlertOrigin {
  std::string source;     ///< alertmanager | pagerduty | generic
  std::string route;      ///< the serve route that took it
  std::string dedup_key;  ///< the incident's dedup key, redacted
};

/// "GoPanics firing: SUMMARY": the message of an alert's event, from its alertname label
/// and summary annotation. Not redacted.
std::string AlertEventMessage(const Json& labels, const Json& annotations,
                              const std::string& status);

/// An alert no route matched, or that its route could not use (reason says why).
struct UnroutedAlertRecord {
  int64_t id = 0;
  std::string source;  ///< alertmanager | pagerduty | generic
  int64_t received_at = 0;
  std::string status;  ///< firing | resolved
  std::string fingerprint;
  Json labels = Json::object();
  Json annotations = Json::object();
  int64_t starts_at = 0;
  std::string reason;
};

/// `medic approve RUN STEP`, kept until a serve process acted on it.
struct ApprovalRecord {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string step_id;
  std::string approved_by;
  int64_t at = 0;
  int64_t consumed_at = 0;  ///< when serve acted on it; 0: not yet
};

/// Thread-safe as the Store is. Holds a reference: the Store must outlive it.
class AlertStore {
 public:
  explicit AlertStore(Store& store) : store_(store) {}

  /// Inserts the alert, or updates status, labels, times and last_seen of the incident's
  /// alert with the same fingerprint (first_seen is kept; notifications counts up).
  /// Returns true when the incident had not seen this fingerprint before.
  Result<bool> SaveAlert(const AlertRecord& alert);
  /// Records one notification about an alert of an incident: SaveAlert, plus its event on
  /// the incident at alert.last_seen, in one transaction. The event is alert.firing when
  /// this alert opens the incident (`opens`), alert.repeated for any later firing
  /// notification, alert.resolved for a resolved one; its message is `message` and its
  /// data {"labels", "annotations", "startsAt", "endsAt" (RFC 3339 UTC, null when
  /// unknown), "fingerprint", "source", "status", "route", "dedup_key"}. Values are stored
  /// as given: redact them first. Returns what SaveAlert returns.
  Result<bool> RecordAlert(const AlertRecord& alert, bool opens, const std::string& message,
                           const AlertOrigin& origin);
  /// The incident's alerts, in the order it first saw them.
  Result<std::vector<AlertRecord>> AlertsOfIncident(int64_t incident_id);
  /// How many of the incident's alerts are firing.
  Result<int64_t> CountFiring(int64_t incident_id);
  /// Sets the incident's detected_at to `at` when it is unknown (0) or later than `at`.
  Status LowerDetectedAt(int64_t incident_id, int64_t at);

  /// The response recorded for a delivery already handled, or nullopt when it is new.
  Result<std::optional<Json>> FindDelivery(const std::string& source,
                                           const std::string& delivery_id);
  /// Records a handled delivery with the response it got. A delivery recorded already (by
  /// another replica, committed first) fails the write with a unique-key error, and the
  /// intake transaction runs again and finds it.
  Status SaveDelivery(const std::string& source, const std::string& delivery_id, int64_t at,
                      const Json& response);
  /// Forgets deliveries received before `before` (senders retry for hours, not weeks).
  /// Returns how many were removed.
  Result<int64_t> PruneDeliveries(int64_t before);

  Result<int64_t> AddUnrouted(const UnroutedAlertRecord& alert);
  /// Newest first.
  Result<std::vector<UnroutedAlertRecord>> ListUnrouted(int limit);

  Result<int64_t> AddApproval(const ApprovalRecord& approval);
  /// Approvals no serve process has acted on yet, oldest first.
  Result<std::vector<ApprovalRecord>> PendingApprovals();
  /// Marks approval `id` acted on, once: false when another process consumed it first.
  Result<bool> ConsumeApproval(int64_t id, int64_t at);

 private:
  Store& store_;
};

}  // namespace medic
