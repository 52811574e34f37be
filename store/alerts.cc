#include "store/alerts.h"

#include <mutex>

#include "base/strings.h"
#include "store/listener.h"
#include "store/statement.h"

namespace medic {
namespace {

using store_internal::ConnUse;
using store_internal::Stmt;

constexpr const char* kAlertColumns =
    "incident_id, fingerprint, status, labels, annotations, starts_at, ends_at, first_seen, "
    "last_seen, notifications";

AlertRecord ReadAlert(Stmt& s) {
  AlertRecord a;
  a.incident_id = s.Int(0);
  a.fingerprint = s.Text(1);
  a.status = s.Text(2);
  a.labels = s.JsonCol(3, Json::object());
  a.annotations = s.JsonCol(4, Json::object());
  a.starts_at = s.Int(5);
  a.ends_at = s.Int(6);
  a.first_seen = s.Int(7);
  a.last_seen = s.Int(8);
  a.notifications = s.Int(9);
  return a;
}

Json TimeOrNull(int64_t ms) { return ms > 0 ? Json(FormatTimeUtc(ms)) : Json(nullptr); }

std::string StringOr(const Json& obj, const char* key, const std::string& fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() && !it->get_ref<const std::string&>().empty()
             ? it->get<std::string>()
             : fallback;
}

}  // namespace

std::string AlertEventMessage(const Json& labels, const Json& annotations,
                              const std::string& status) {
  std::string summary = StringOr(annotations, "summary", "");
  return StringOr(labels, "alertname", "alert") + " " + status +
         (summary.empty() ? "" : ": " + summary);
}

Result<bool> AlertStore::RecordAlert(const AlertRecord& a, bool opens, const std::string& message,
                                     const AlertOrigin& origin) {
  bool created = false;
  Status st = store_.Transaction([&]() -> Status {
    auto saved = SaveAlert(a);
    if (!saved.ok()) return saved.status();
    created = *saved;
    EventRecord e;
    e.incident_id = a.incident_id;
    e.at = a.last_seen;
    e.kind = a.status != "firing" ? EventKind::kAlertResolved
             : opens              ? EventKind::kAlertFiring
                                  : EventKind::kAlertRepeated;
    e.message = message;
    e.data = {{"labels", a.labels},
              {"annotations", a.annotations},
              {"startsAt", TimeOrNull(a.starts_at)},
              {"endsAt", TimeOrNull(a.ends_at)},
              {"fingerprint", a.fingerprint},
              {"source", origin.source},
              {"status", a.status},
              {"route", origin.route},
              {"dedup_key", origin.dedup_key}};
    return store_.AddEvent(e);
  });
  if (!st.ok()) return st;
  return created;
}

Result<bool> AlertStore::SaveAlert(const AlertRecord& a) {
  ConnUse conn(store_);
  // One statement, not an UPDATE and then an INSERT: on PostgreSQL each is a round trip, and
  // a repeated alert is the commonest thing serve records. Only a new row starts at 1.
  Stmt s(*conn,
         std::string("INSERT INTO alerts (") + kAlertColumns +
             ") VALUES (?,?,?,?,?,?,?,?,?,1) ON CONFLICT (incident_id, fingerprint) DO UPDATE SET "
             "status = excluded.status, labels = excluded.labels, "
             "annotations = excluded.annotations, starts_at = excluded.starts_at, "
             "ends_at = excluded.ends_at, last_seen = excluded.last_seen, "
             "notifications = alerts.notifications + 1 RETURNING notifications");
  s.Bind(a.incident_id).Bind(a.fingerprint).Bind(a.status).Bind(a.labels).Bind(a.annotations);
  s.Bind(a.starts_at)
      .Bind(a.ends_at)
      .Bind(a.first_seen ? a.first_seen : a.last_seen)
      .Bind(a.last_seen);
  if (s.Step() != Stmt::kRow) return s.Error("save alert");
  return s.Int(0) == 1;
}

Result<std::vector<AlertRecord>> AlertStore::AlertsOfIncident(int64_t incident_id) {
  ConnUse conn(store_);
  Stmt s(*conn,
         std::string("SELECT ") + kAlertColumns +
             " FROM alerts WHERE incident_id = ? ORDER BY first_seen, " +
             (conn->postgres() ? "seq" : "rowid"));
  s.Bind(incident_id);
  std::vector<AlertRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadAlert(s));
  if (rc != Stmt::kDone) return s.Error("alerts of incident");
  return out;
}

Result<int64_t> AlertStore::CountFiring(int64_t incident_id) {
  ConnUse conn(store_);
  Stmt s(*conn,
         "SELECT count(*) FROM alerts WHERE incident_id = ? AND status = 'firing'");
  s.Bind(incident_id);
  if (s.Step() != Stmt::kRow) return s.Error("count firing alerts");
  return s.Int(0);
}

Status AlertStore::LowerDetectedAt(int64_t incident_id, int64_t at) {
  if (at <= 0) return Status::Ok();
  ConnUse conn(store_);
  Stmt s(
      *conn,
      "UPDATE incidents SET detected_at = ? WHERE id = ? AND (detected_at = 0 OR detected_at > ?)");
  s.Bind(at).Bind(incident_id).Bind(at);
  return s.Queue("update detected_at");
}

Result<std::optional<Json>> AlertStore::FindDelivery(const std::string& source,
                                                     const std::string& delivery_id) {
  ConnUse conn(store_);
  Stmt s(*conn,
         "SELECT response FROM webhook_deliveries WHERE source = ? AND delivery_id = ?");
  s.Bind(source).Bind(delivery_id);
  Stmt::Result rc = s.Step();
  if (rc == Stmt::kRow) return std::optional<Json>(s.JsonCol(0, Json::object()));
  if (rc == Stmt::kDone) return std::optional<Json>();
  return s.Error("find delivery");
}

Status AlertStore::SaveDelivery(const std::string& source, const std::string& delivery_id,
                                int64_t at, const Json& response) {
  ConnUse conn(store_);
  Stmt s(*conn,
         "INSERT INTO webhook_deliveries (source, delivery_id, received_at, response) "
         "VALUES (?,?,?,?)");
  s.Bind(source).Bind(delivery_id).Bind(at).Bind(response);
  return s.Queue("save delivery");
}

Result<int64_t> AlertStore::PruneDeliveries(int64_t before) {
  ConnUse conn(store_);
  Stmt s(*conn, "DELETE FROM webhook_deliveries WHERE received_at < ?");
  s.Bind(before);
  MEDIC_RETURN_IF_ERROR(s.Done("prune deliveries"));
  return s.Changes();
}

Result<int64_t> AlertStore::AddUnrouted(const UnroutedAlertRecord& a) {
  ConnUse conn(store_);
  Stmt s(*conn,
         "INSERT INTO unrouted_alerts (source, received_at, status, fingerprint, labels, "
         "annotations, starts_at, reason) VALUES (?,?,?,?,?,?,?,?) RETURNING id");
  s.Bind(a.source).Bind(a.received_at).Bind(a.status).Bind(a.fingerprint).Bind(a.labels);
  s.Bind(a.annotations).Bind(a.starts_at).Bind(a.reason);
  if (s.Step() != Stmt::kRow) return s.Error("add unrouted alert");
  return s.Int(0);
}

Result<std::vector<UnroutedAlertRecord>> AlertStore::ListUnrouted(int limit) {
  ConnUse conn(store_);
  Stmt s(*conn,
         "SELECT id, source, received_at, status, fingerprint, labels, annotations, starts_at, "
         "reason FROM unrouted_alerts ORDER BY id DESC LIMIT ?");
  s.Bind(static_cast<int64_t>(limit));
  std::vector<UnroutedAlertRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) {
    UnroutedAlertRecord a;
    a.id = s.Int(0);
    a.source = s.Text(1);
    a.received_at = s.Int(2);
    a.status = s.Text(3);
    a.fingerprint = s.Text(4);
    a.labels = s.JsonCol(5, Json::object());
    a.annotations = s.JsonCol(6, Json::object());
    a.starts_at = s.Int(7);
    a.reason = s.Text(8);
    out.push_back(std::move(a));
  }
  if (rc != Stmt::kDone) return s.Error("list unrouted alerts");
  return out;
}

Result<int64_t> AlertStore::AddApproval(const ApprovalRecord& a) {
  ConnUse conn(store_);
  Stmt s(
      *conn,
      "INSERT INTO approvals (run_id, step_id, approved_by, at, consumed_at) VALUES (?,?,?,?,?) "
      "RETURNING id");
  s.Bind(a.run_id).Bind(a.step_id).Bind(a.approved_by).Bind(a.at).Bind(a.consumed_at);
  if (s.Step() != Stmt::kRow) return s.Error("add approval");
  int64_t id = s.Int(0);
  // Serves sharing a PostgreSQL record hear of it when it commits (store/listener.h).
  if (conn->postgres())
    MEDIC_RETURN_IF_ERROR(conn->Exec(std::string("NOTIFY ") + kApprovalsChannel));
  return id;
}

namespace {

constexpr const char* kApprovalColumns = "id, run_id, step_id, approved_by, at, consumed_at";

ApprovalRecord ReadApproval(Stmt& s) {
  ApprovalRecord a;
  a.id = s.Int(0);
  a.run_id = s.Int(1);
  a.step_id = s.Text(2);
  a.approved_by = s.Text(3);
  a.at = s.Int(4);
  a.consumed_at = s.Int(5);
  return a;
}

}  // namespace

Result<std::vector<ApprovalRecord>> AlertStore::PendingApprovals() {
  ConnUse conn(store_);
  Stmt s(*conn,
         std::string("SELECT ") + kApprovalColumns +
             " FROM approvals WHERE consumed_at = 0 ORDER BY id");
  std::vector<ApprovalRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadApproval(s));
  if (rc != Stmt::kDone) return s.Error("pending approvals");
  return out;
}

Result<bool> AlertStore::ConsumeApproval(int64_t id, int64_t at) {
  ConnUse conn(store_);
  Stmt s(*conn,
         "UPDATE approvals SET consumed_at = ? WHERE id = ? AND consumed_at = 0");
  s.Bind(at).Bind(id);
  MEDIC_RETURN_IF_ERROR(s.Done("consume approval"));
  return s.Changes() == 1;
}

}  // namespace medic
