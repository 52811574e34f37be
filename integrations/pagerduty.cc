#include "integrations/pagerduty.h"

#include <unistd.h>

#include "base/redact.h"
#include "base/strings.h"
#include "env/http_client.h"
#include "integrations/endpoint.h"

namespace medic {
namespace {

// Limits of the Events API v2.
constexpr size_t kMaxSummary = 1024;
constexpr size_t kMaxDedupKey = 255;

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "medic";
  return buf;
}

/// [{href, text}] from a list of such objects or a {text: href} mapping.
Result<Json> Links(const Json& with) {
  Json out = Json::array();
  if (!with.contains("links")) return out;
  const Json& links = with["links"];
  if (links.is_object()) {
    for (auto it = links.begin(); it != links.end(); ++it)
      out.push_back(
          {{"href", it->is_string() ? it->get<std::string>() : it->dump()}, {"text", it.key()}});
  } else if (links.is_array()) {
    for (const auto& l : links) {
      if (!l.is_object() || !l.contains("href"))
        return Status::Invalid("param 'links': each link needs an href ({href, text})");
      out.push_back(l);
    }
  } else {
    return Status::Invalid("param 'links': expected {text: url} or a list of {href, text}");
  }
  return out;
}

class EventAction : public Action {
 public:
  EventAction() {
    info_.name = "pagerduty.event";
    info_.summary = "Send a PagerDuty Events API v2 event (trigger, acknowledge, resolve)";
    info_.params = {
        {.name = "event_action",
         .type = ParamType::kString,
         .default_value = "trigger",
         .help = "what to do",
         .choices = {"trigger", "acknowledge", "resolve"}},
        {.name = "routing_key",
         .type = ParamType::kString,
         .help = "integration key; prefer routing_key_env or routing_key_file"},
        EnvVarParam("routing_key_env", "the routing key", "PAGERDUTY_ROUTING_KEY"),
        FileParam("routing_key_file", "the routing key"),
        {.name = "base_url",
         .type = ParamType::kString,
         .default_value = "https://events.pagerduty.com",
         .help = "Events API base URL"},
        {.name = "dedup_key",
         .type = ParamType::kString,
         .help = "groups events on one PagerDuty incident; default medic-incident-<incident id>"},
        {.name = "summary",
         .type = ParamType::kString,
         .help = "one line, required to trigger (cut at 1024 characters)"},
        {.name = "source",
         .type = ParamType::kString,
         .help = "affected system; default this host's name"},
        {.name = "severity",
         .type = ParamType::kString,
         .default_value = "error",
         .help = "trigger severity",
         .choices = {"critical", "error", "warning", "info"}},
        {.name = "component", .type = ParamType::kString, .help = "payload.component"},
        {.name = "group", .type = ParamType::kString, .help = "payload.group"},
        {.name = "class", .type = ParamType::kString, .help = "payload.class"},
        {.name = "custom_details",
         .type = ParamType::kAny,
         .help = "payload.custom_details (any JSON)"},
        {.name = "links", .type = ParamType::kAny, .help = "{text: url} or [{href, text}]"},
        {.name = "client",
         .type = ParamType::kString,
         .default_value = "medic",
         .help = "the monitoring client's name"},
        {.name = "client_url", .type = ParamType::kString, .help = "a link back to the client"},
        RequestTimeoutParam(),
    };
    auto retry = RetryParams(5);
    info_.params.insert(info_.params.end(), retry.begin(), retry.end());
    info_.secret_params = {"routing_key"};
    // The dedup key makes a repeated event land on the same PagerDuty incident.
    info_.idempotent = true;
    info_.outputs = {{"dedup_key", "the dedup key PagerDuty filed the event under"},
                     {"status", "HTTP status"},
                     {"message", "PagerDuty's message"},
                     {"attempts", "requests sent (retries on 429/5xx)"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string key = ParamString(with, "dedup_key");
    return {"POST " + Redact(JoinUrl(ParamString(with, "base_url"), "/v2/enqueue")) + " " +
            ParamString(with, "event_action") +
            (key.empty() ? std::string(" (dedup_key medic-incident-<id>)") : " dedup_key=" + key)};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    std::string action = ParamString(with, "event_action");
    std::string dedup_key = ParamString(with, "dedup_key");
    if (dedup_key.empty()) dedup_key = "medic-incident-" + std::to_string(ctx.incident_id());
    if (dedup_key.size() > kMaxDedupKey)
      return Status::Invalid("param 'dedup_key' is longer than PagerDuty's 255 characters");
    std::string summary = ParamString(with, "summary");
    if (action == "trigger" && summary.empty())
      return Status::Invalid("param 'summary' is required to trigger a PagerDuty event");
    auto links = Links(with);
    if (!links.ok()) return links.status();
    auto key =
        ResolveConfig(with, "routing_key", "routing_key_env", "routing_key_file", /*secret=*/true);
    if (!key.ok()) return key.status();
    if (key->value.empty()) {
      return Status::Skipped("not configured: no PagerDuty routing key (set $" +
                             ParamString(with, "routing_key_env") +
                             ", routing_key_file or routing_key)");
    }
    std::string url = JoinUrl(ParamString(with, "base_url"), "/v2/enqueue");
    MEDIC_RETURN_IF_ERROR(CheckHttpUrl(url, "param 'base_url'"));

    Json event = {{"routing_key", key->value}, {"event_action", action}, {"dedup_key", dedup_key}};
    if (action == "trigger") {
      if (summary.size() > kMaxSummary) summary = summary.substr(0, kMaxSummary - 3) + "...";
      std::string source = ParamString(with, "source");
      Json payload = {{"summary", summary},
                      {"source", source.empty() ? Hostname() : source},
                      {"severity", ParamString(with, "severity")},
                      {"timestamp", FormatTimeUtc(ctx.clock().NowUnixMs())}};
      for (const char* field : {"component", "group", "class"}) {
        if (!ParamString(with, field).empty()) payload[field] = ParamString(with, field);
      }
      Json details = with.contains("custom_details") ? with["custom_details"] : Json::object();
      if (details.is_object()) {
        details["medic_incident_id"] = ctx.incident_id();
        details["medic_run_id"] = ctx.run_id();
      }
      payload["custom_details"] = details;
      event["payload"] = payload;
      event["client"] = ParamString(with, "client");
      if (!ParamString(with, "client_url").empty())
        event["client_url"] = ParamString(with, "client_url");
      if (!links->empty()) event["links"] = *links;
    }
    outputs["dedup_key"] = dedup_key;

    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = event.dump();
    SendOptions options = SendOptionsFrom(with);
    int attempts = 0;
    auto r = SendBounded(ctx, req, options, &attempts);
    outputs["attempts"] = attempts;
    if (!r.ok()) return r.status().WithContext("pagerduty " + action);
    outputs["status"] = r->status;
    std::string what = "pagerduty " + action + ": " + DescribeRequest("POST", url);
    if (r->status < 200 || r->status >= 300) return AnswerStatus(what, *r, attempts);
    auto answer = ParseJsonAnswer(what, *r);
    if (!answer.ok()) return answer.status();
    if (answer->is_object()) {
      outputs["message"] = answer->value("message", "");
      std::string filed = answer->value("dedup_key", "");
      if (!filed.empty()) outputs["dedup_key"] = filed;
    }
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

}  // namespace

void RegisterPagerDutyActions(Registry& registry) {
  (void)registry.Add(std::make_unique<EventAction>());
}

}  // namespace medic
