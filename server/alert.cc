#include "server/alert.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "base/strings.h"

namespace medic {
namespace {

bool ValidLabelName(const std::string& name) {
  if (name.empty() || name.size() > kMaxLabelNameBytes) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
  };
  if (!ok(name[0], true)) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) { return ok(c, false); });
}

// Labels are single-line values; annotations may hold prose (tabs and newlines allowed).
bool HasControl(std::string_view s, bool allow_whitespace) {
  for (unsigned char c : s) {
    if (allow_whitespace && (c == '\t' || c == '\n' || c == '\r')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Replaces control characters with spaces and caps the length: for values medic builds from
// a sender's free text (PagerDuty titles), which are not refused for being ugly.
std::string Sanitize(std::string s, size_t max) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (s.size() > max) s.resize(max);
  return s;
}

Status CheckStringMap(const Json& value, const std::string& where, bool labels) {
  if (!value.is_object()) return Status::Invalid(where + ": must be an object of strings");
  if (value.size() > kMaxLabels)
    return Status::Invalid(where + ": " + std::to_string(value.size()) + " entries; at most " +
                           std::to_string(kMaxLabels) + " allowed");
  size_t max_value = labels ? kMaxLabelValueBytes : kMaxAnnotationValueBytes;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!ValidLabelName(it.key()))
      return Status::Invalid(where + ": invalid name '" + Sanitize(it.key(), 64) +
                             "' (use letters, digits and _, not starting with a digit)");
    if (!it->is_string()) return Status::Invalid(where + "." + it.key() + ": must be a string");
    const std::string& v = it->get_ref<const std::string&>();
    if (v.size() > max_value)
      return Status::Invalid(where + "." + it.key() + ": value of " + std::to_string(v.size()) +
                             " bytes; at most " + std::to_string(max_value) + " allowed");
    if (HasControl(v, !labels))
      return Status::Invalid(where + "." + it.key() + ": control character in value");
  }
  return Status::Ok();
}

Result<Json> ParseBody(std::string_view body) {
  MEDIC_RETURN_IF_ERROR(CheckJsonDepth(body));
  try {
    return Json::parse(body.begin(), body.end());
  } catch (const Json::exception& e) {
    // parse_error, and out_of_range for a number no double holds (1e999999999).
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> the useful part
    size_t at = what.find("] ");
    return Status::Invalid("malformed JSON: " +
                           Sanitize(at == std::string::npos ? what : what.substr(at + 2), 300));
  }
}

// An optional string field, bounded; "" when absent or null.
Result<std::string> OptionalString(const Json& obj, const char* key, const std::string& where,
                                   size_t max = kMaxLabelValueBytes) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::Invalid(where + key + ": must be a string");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > max)
    return Status::Invalid(where + key + ": longer than " + std::to_string(max) + " bytes");
  if (HasControl(s, false)) return Status::Invalid(where + key + ": control character in value");
  return s;
}

// An RFC 3339 time; Alertmanager's zero time (year 1) and absence both mean unknown (0).
Result<int64_t> OptionalTime(const Json& obj, const char* key, const std::string& where) {
  auto s = OptionalString(obj, key, where, 64);
  if (!s.ok()) return s.status();
  if (s->empty()) return int64_t{0};
  int64_t ms = 0;
  if (!ParseTimeRfc3339(*s, &ms))
    return Status::Invalid(where + key + ": '" + *s + "' is not an RFC 3339 time");
  return ms > 0 ? ms : 0;
}

// The fields Alertmanager and the generic shape share, from one alert object.
Result<Alert> ParseAlertObject(const Json& a, const std::string& where, bool labels_required) {
  if (!a.is_object()) return Status::Invalid(where + ": must be an object");
  Alert out;
  auto status = OptionalString(a, "status", where + ".");
  if (!status.ok()) return status.status();
  if (!status->empty()) out.status = *status;
  if (out.status != "firing" && out.status != "resolved")
    return Status::Invalid(where + ".status: '" + Sanitize(out.status, 40) +
                           "' (use firing or resolved)");
  auto labels = a.find("labels");
  if (labels == a.end() || labels->is_null()) {
    if (labels_required) return Status::Invalid(where + ".labels: missing");
  } else {
    MEDIC_RETURN_IF_ERROR(CheckStringMap(*labels, where + ".labels", true));
    out.labels = *labels;
  }
  if (labels_required && out.labels.empty())
    return Status::Invalid(where + ".labels: empty; an alert needs at least one label");
  auto annotations = a.find("annotations");
  if (annotations != a.end() && !annotations->is_null()) {
    MEDIC_RETURN_IF_ERROR(CheckStringMap(*annotations, where + ".annotations", false));
    out.annotations = *annotations;
  }
  auto starts = OptionalTime(a, "startsAt", where + ".");
  if (!starts.ok()) return starts.status();
  out.starts_at = *starts;
  auto ends = OptionalTime(a, "endsAt", where + ".");
  if (!ends.ok()) return ends.status();
  out.ends_at = *ends;
  auto fp = OptionalString(a, "fingerprint", where + ".", 128);
  if (!fp.ok()) return fp.status();
  out.fingerprint = fp->empty() ? FingerprintOf(out.labels) : *fp;
  auto url = OptionalString(a, "generatorURL", where + ".", 4096);
  if (!url.ok()) return url.status();
  out.generator_url = *url;
  return out;
}

std::string StringAt(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Status CheckJsonDepth(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth)
        return Status::Invalid("JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                               " levels");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return Status::Ok();
}

std::string FingerprintOf(const Json& labels) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto it = labels.begin(); it != labels.end(); ++it)
    pairs.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  std::sort(pairs.begin(), pairs.end());
  std::string text;
  for (const auto& [k, v] : pairs) {
    text += k;
    text += '\xff';
    text += v;
    text += '\xff';
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < 8 && i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

Result<Notification> ParseAlertmanager(std::string_view body) {
  auto parsed = ParseBody(body);
  if (!parsed.ok()) return parsed.status();
  const Json& j = *parsed;
  if (!j.is_object())
    return Status::Invalid("body: must be a JSON object (Alertmanager webhook payload)");
  auto version = j.find("version");
  if (version != j.end() && !(version->is_string() && version->get<std::string>() == "4"))
    return Status::Invalid("version: " + Sanitize(version->dump(), 20) +
                           " is not supported (medic reads version 4)");
  auto group_key = OptionalString(j, "groupKey", "", kMaxLabelValueBytes);
  if (!group_key.ok()) return group_key.status();
  auto alerts = j.find("alerts");
  if (alerts == j.end() || !alerts->is_array())
    return Status::Invalid("alerts: missing or not a list");
  if (alerts->empty()) return Status::Invalid("alerts: empty");
  if (alerts->size() > kMaxAlertsPerNotification)
    return Status::Invalid("alerts: " + std::to_string(alerts->size()) + " alerts; at most " +
                           std::to_string(kMaxAlertsPerNotification) + " per notification");
  Notification n;
  n.source = "alertmanager";
  for (size_t i = 0; i < alerts->size(); ++i) {
    auto a = ParseAlertObject((*alerts)[i], "alerts[" + std::to_string(i) + "]", true);
    if (!a.ok()) return a.status();
    a->group_key = group_key->empty() ? a->fingerprint : *group_key;
    n.alerts.push_back(std::move(*a));
  }
  return n;
}

Result<Notification> ParsePagerDuty(std::string_view body) {
  auto parsed = ParseBody(body);
  if (!parsed.ok()) return parsed.status();
  const Json& j = *parsed;
  if (!j.is_object() || !j.contains("event") || !j["event"].is_object())
    return Status::Invalid("event: missing (PagerDuty v3 webhooks carry {\"event\": {...}})");
  const Json& event = j["event"];
  std::string type = StringAt(event, "event_type");
  if (type.empty()) return Status::Invalid("event.event_type: missing");
  auto data_it = event.find("data");
  if (data_it == event.end() || !data_it->is_object())
    return Status::Invalid("event.data: missing or not an object");
  const Json& data = *data_it;
  Notification n;
  n.source = "pagerduty";
  auto event_id = OptionalString(event, "id", "event.", 200);
  if (!event_id.ok()) return event_id.status();
  n.event_id = *event_id;
  ParseTimeRfc3339(StringAt(event, "occurred_at"), &n.occurred_at);
  std::string status;
  if (type == "incident.triggered" || type == "incident.reopened")
    status = "firing";
  else if (type == "incident.resolved")
    status = "resolved";
  if (status.empty()) {
    n.ignored = "event type " + Sanitize(type, 80) + " needs nothing from medic";
    return n;
  }
  std::string id = StringAt(data, "id");
  if (id.empty()) return Status::Invalid("event.data.id: missing (the PagerDuty incident id)");
  Alert a;
  a.status = status;
  auto label = [&](const char* name, std::string value) {
    value = Sanitize(std::move(value), kMaxLabelValueBytes);
    if (!value.empty()) a.labels[name] = value;
  };
  label("alertname", StringAt(data, "title"));
  label("pagerduty_incident", id);
  if (data.contains("service")) {
    label("service", StringAt(data["service"], "summary"));
    label("pagerduty_service", StringAt(data["service"], "id"));
  }
  label("urgency", StringAt(data, "urgency"));
  if (data.contains("priority") && data["priority"].is_object())
    label("priority", StringAt(data["priority"], "summary"));
  label("pagerduty_event", type);
  std::string summary = Sanitize(StringAt(data, "title"), kMaxAnnotationValueBytes);
  if (!summary.empty()) a.annotations["summary"] = summary;
  std::string url = Sanitize(StringAt(data, "html_url"), 4096);
  if (!url.empty()) a.annotations["html_url"] = url;
  int64_t created = 0, occurred = 0;
  ParseTimeRfc3339(StringAt(data, "created_at"), &created);
  ParseTimeRfc3339(StringAt(event, "occurred_at"), &occurred);
  a.starts_at = created > 0 ? created : occurred;
  if (status == "resolved") a.ends_at = occurred;
  a.fingerprint = Sanitize(id, 128);
  a.group_key = a.fingerprint;
  a.generator_url = url;
  n.alerts.push_back(std::move(a));
  return n;
}

Result<Notification> ParseGeneric(std::string_view body) {
  auto parsed = ParseBody(body);
  if (!parsed.ok()) return parsed.status();
  const Json& j = *parsed;
  if (!j.is_object())
    return Status::Invalid("body: must be a JSON object (see `medic serve --help` for the shape)");
  Notification n;
  n.source = "generic";
  std::vector<std::pair<const Json*, std::string>> items;
  if (j.contains("alerts")) {
    if (!j["alerts"].is_array() || j["alerts"].empty())
      return Status::Invalid("alerts: must be a non-empty list");
    if (j["alerts"].size() > kMaxAlertsPerNotification)
      return Status::Invalid("alerts: at most " + std::to_string(kMaxAlertsPerNotification) +
                             " per request");
    for (size_t i = 0; i < j["alerts"].size(); ++i)
      items.emplace_back(&j["alerts"][i], "alerts[" + std::to_string(i) + "]");
  } else {
    items.emplace_back(&j, "alert");
  }
  for (const auto& [obj, where] : items) {
    auto a = ParseAlertObject(*obj, where, true);
    if (!a.ok()) return a.status();
    auto group = OptionalString(*obj, "group_key", where + ".", kMaxLabelValueBytes);
    if (!group.ok()) return group.status();
    a->group_key = group->empty() ? a->fingerprint : *group;
    n.alerts.push_back(std::move(*a));
  }
  return n;
}

}  // namespace medic
