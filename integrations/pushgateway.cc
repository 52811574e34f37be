#include "integrations/pushgateway.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "base/redact.h"
#include "base/strings.h"
#include "env/http_client.h"
#include "integrations/endpoint.h"

namespace medic {
namespace {

bool IsMetricName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  }
  return true;
}

bool IsLabelName(const std::string& s) {
  return IsMetricName(s) && s.find(':') == std::string::npos && !StartsWith(s, "__");
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
  }
  return buf;
}

std::map<std::string, std::string> StringMap(const Json& with, const std::string& name) {
  std::map<std::string, std::string> out;
  if (!with.contains(name) || !with[name].is_object()) return out;
  for (auto it = with[name].begin(); it != with[name].end(); ++it)
    out[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  return out;
}

/// The group URL for a plan; placeholders of a dry run ("<incident.id>") stay readable.
std::string PlannedGroupUrl(const Json& with) {
  std::string url = ParamString(with, "url");
  if (url.empty()) url = "$" + ParamString(with, "url_env");
  std::string full = Redact(
      JoinUrl(url, PushgatewayGroupPath(ParamString(with, "job"), StringMap(with, "grouping"))));
  for (auto [from, to] : {std::pair<const char*, const char*>{"%3C", "<"}, {"%3E", ">"}}) {
    for (size_t at; (at = full.find(from)) != std::string::npos;) full.replace(at, 3, to);
  }
  return full;
}

std::vector<ParamSpec> GroupParams() {
  return {
      UrlParam("Pushgateway base URL, e.g. http://pushgateway:9091"),
      EnvVarParam("url_env", "the URL when `url` is not given", "PUSHGATEWAY_URL"),
      {.name = "job",
       .type = ParamType::kString,
       .default_value = "medic",
       .help = "the group's job label"},
      {.name = "grouping",
       .type = ParamType::kStringMap,
       .help = "further grouping labels, e.g. {incident: '{{ incident.id }}'}"},
      RequestTimeoutParam(),
  };
}

struct Group {
  std::string url;
  std::map<std::string, std::string> labels;
};

Result<Group> ResolveGroup(const Json& with) {
  auto base = ResolveConfig(with, "url", "url_env", "", /*secret=*/false);
  if (!base.ok()) return base.status();
  if (base->value.empty()) {
    return Status::Skipped("not configured: no Pushgateway URL (set `url`, or $" +
                           ParamString(with, "url_env") + ")");
  }
  MEDIC_RETURN_IF_ERROR(CheckHttpUrl(base->value, "Pushgateway URL from " + base->source));
  std::string job = ParamString(with, "job");
  if (job.empty()) return Status::Invalid("param 'job' is empty: the Pushgateway needs a job name");
  Group g;
  g.labels = StringMap(with, "grouping");
  for (const auto& [name, _] : g.labels) {
    if (!IsLabelName(name) || name == "job")
      return Status::Invalid("param 'grouping': '" + name +
                             "' is not a usable label name "
                             "([a-zA-Z_][a-zA-Z0-9_]*, not job, not starting with __)");
  }
  g.url = JoinUrl(base->value, PushgatewayGroupPath(job, g.labels));
  g.labels["job"] = job;
  return g;
}

Result<HttpResponse> Send(StepContext& ctx, const Json& with, const std::string& method,
                          const std::string& url, std::string body, int* attempts) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = std::move(body);
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "text/plain; version=0.0.4");
  SendOptions options;
  options.request_timeout_ms = ParamInt(with, "request_timeout");
  options.max_retries = 2;  // both calls are idempotent
  return SendBounded(ctx, req, options, attempts);
}

class PushAction : public Action {
 public:
  PushAction() {
    info_.name = "pushgateway.push";
    info_.summary =
        "Push a marker metric (e.g. medic_incident_frozen{service,reason} 1) to a Pushgateway "
        "group";
    info_.params = GroupParams();
    std::vector<ParamSpec> more = {
        {.name = "metric",
         .type = ParamType::kString,
         .default_value = "medic_incident_frozen",
         .help = "metric name"},
        {.name = "labels",
         .type = ParamType::kStringMap,
         .help = "the metric's labels, e.g. {service: checkout, reason: crashloop}"},
        {.name = "value",
         .type = ParamType::kNumber,
         .default_value = 1,
         .help = "the sample value"},
        {.name = "type",
         .type = ParamType::kString,
         .default_value = "gauge",
         .help = "metric type",
         .choices = {"gauge", "counter", "untyped"}},
        {.name = "help",
         .type = ParamType::kString,
         .default_value = "Set by medic while it handles an incident.",
         .help = "HELP text"},
        {.name = "text",
         .type = ParamType::kString,
         .help = "push this text exposition instead of metric/labels/value"},
        {.name = "method",
         .type = ParamType::kString,
         .default_value = "PUT",
         .help = "PUT replaces the whole group; POST replaces only metrics of the same name",
         .choices = {"PUT", "POST"}},
    };
    info_.params.insert(info_.params.end() - 1, more.begin(), more.end());
    info_.idempotent = true;
    info_.outputs = {{"group_url", "the group's URL (delete it with pushgateway.delete)"},
                     {"grouping", "the group's labels, job included"},
                     {"pushed", "the text exposition that was pushed"},
                     {"status", "HTTP status"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    auto body = Body(with);
    std::string line = body.ok() ? *body : "";
    while (!line.empty() && line.back() == '\n') line.pop_back();
    size_t last = line.rfind('\n');
    if (last != std::string::npos) line = line.substr(last + 1);
    return {ParamString(with, "method") + " " + PlannedGroupUrl(with) + " " + line};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    auto group = ResolveGroup(with);
    if (!group.ok()) return group.status();
    auto body = Body(with);
    if (!body.ok()) return body.status();
    outputs["group_url"] = group->url;
    outputs["grouping"] = group->labels;
    outputs["pushed"] = *body;
    std::string method = ParamString(with, "method");
    int attempts = 0;
    auto r = Send(ctx, with, method, group->url, *body, &attempts);
    if (!r.ok()) return r.status();
    outputs["status"] = r->status;
    if (r->status < 200 || r->status >= 300)
      return AnswerStatus(DescribeRequest(method, group->url), *r, attempts);
    return Status::Ok();
  }

 private:
  static Result<std::string> Body(const Json& with) {
    std::string text = ParamString(with, "text");
    if (!text.empty()) return EndsWith(text, "\n") ? text : text + "\n";
    std::string metric = ParamString(with, "metric");
    if (!IsMetricName(metric))
      return Status::Invalid("param 'metric': '" + metric +
                             "' is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
    std::vector<std::string> labels;
    for (const auto& [name, value] : StringMap(with, "labels")) {
      if (!IsLabelName(name))
        return Status::Invalid("param 'labels': '" + name +
                               "' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
      labels.push_back(name + "=\"" + EscapeLabelValue(value) + "\"");
    }
    double value =
        with.contains("value") && with["value"].is_number() ? with["value"].get<double>() : 1;
    std::string out = "# HELP " + metric + " " + EscapeHelp(ParamString(with, "help")) + "\n";
    out += "# TYPE " + metric + " " + ParamString(with, "type") + "\n";
    out += metric + (labels.empty() ? "" : "{" + Join(labels, ",") + "}") + " " +
           FormatValue(value) + "\n";
    return out;
  }

  ActionInfo info_;
};

class DeleteAction : public Action {
 public:
  DeleteAction() {
    info_.name = "pushgateway.delete";
    info_.summary = "Delete a Pushgateway group (the markers pushed for this incident)";
    info_.params = GroupParams();
    info_.idempotent = true;
    info_.outputs = {{"group_url", "the group's URL"}, {"status", "HTTP status"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    return {"DELETE " + PlannedGroupUrl(with)};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    auto group = ResolveGroup(with);
    if (!group.ok()) return group.status();
    outputs["group_url"] = group->url;
    int attempts = 0;
    auto r = Send(ctx, with, "DELETE", group->url, "", &attempts);
    if (!r.ok()) return r.status();
    outputs["status"] = r->status;
    if (r->status < 200 || r->status >= 300)
      return AnswerStatus(DescribeRequest("DELETE", group->url), *r, attempts);
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

std::string PathValue(const std::string& name, const std::string& value) {
  if (value.empty() || value.find('/') != std::string::npos)
    return name + "@base64/" + Base64Url(value);
  return name + "/" + UrlEncode(value);
}

}  // namespace

std::string Base64Url(const std::string& data) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (data.empty()) return "=";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < data.size()) {
    uint32_t n = static_cast<uint8_t>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<uint8_t>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string PushgatewayGroupPath(const std::string& job,
                                 const std::map<std::string, std::string>& grouping) {
  std::string path = "/metrics/" + PathValue("job", job);
  for (const auto& [name, value] : grouping) path += "/" + PathValue(name, value);
  return path;
}

void RegisterPushgatewayActions(Registry& registry) {
  (void)registry.Add(std::make_unique<PushAction>());
  (void)registry.Add(std::make_unique<DeleteAction>());
}

}  // namespace medic
