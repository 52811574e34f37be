#include "integrations/prometheus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "base/duration.h"
#include "base/redact.h"
#include "base/strings.h"
#include "env/http_client.h"
#include "integrations/endpoint.h"
#include "integrations/metric_condition.h"
#include "integrations/sha256.h"

namespace medic {
namespace {

// Prometheus refuses range queries of more than 11,000 points per series.
constexpr int64_t kMaxPointsPerSeries = 11'000;

struct PromTarget {
  std::string base;
  HttpHeaders headers;
  int64_t timeout_ms = 10'000;
};

std::vector<ParamSpec> ConnectionParams() {
  return {
      UrlParam("Prometheus base URL, e.g. http://prometheus:9090"),
      EnvVarParam("url_env", "the URL when `url` is not given", "PROMETHEUS_URL"),
      {.name = "headers",
       .type = ParamType::kStringMap,
       .help = "extra request headers (e.g. Authorization, whose value is kept secret)"},
      RequestTimeoutParam(),
  };
}

Result<PromTarget> ResolveTarget(const Json& with) {
  auto url = ResolveConfig(with, "url", "url_env", "", /*secret=*/false);
  if (!url.ok()) return url.status();
  if (url->value.empty()) {
    return Status::Skipped("not configured: no Prometheus URL (set `url`, or $" +
                           ParamString(with, "url_env") + ")");
  }
  MEDIC_RETURN_IF_ERROR(CheckHttpUrl(url->value, "Prometheus URL from " + url->source));
  PromTarget t;
  t.base = url->value;
  t.timeout_ms = ParamInt(with, "request_timeout");
  if (with.contains("headers")) {
    for (auto it = with["headers"].begin(); it != with["headers"].end(); ++it) {
      if (LooksSecretName(it.key())) RegisterSecret(it->get<std::string>());
      t.headers.emplace_back(it.key(), it->get<std::string>());
    }
  }
  return t;
}

std::string FormBody(const std::vector<std::pair<std::string, std::string>>& form) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : form) parts.push_back(UrlEncode(k) + "=" + UrlEncode(v));
  return Join(parts, "&");
}

/// POSTs a form to an API path and returns the answer's `data`. `what` names the query.
Result<Json> ApiCall(StepContext& ctx, const PromTarget& t, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& form,
                     const std::string& what) {
  HttpRequest req;
  req.method = "POST";
  req.url = JoinUrl(t.base, path);
  req.headers = t.headers;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.body = FormBody(form);
  SendOptions options;
  options.request_timeout_ms = t.timeout_ms;
  options.max_retries = 2;
  // 503 is Prometheus saying the query timed out or was cancelled server-side: worth one
  // more try; 4xx are mistakes in the query.
  int attempts = 0;
  auto r = SendBounded(ctx, req, options, &attempts);
  if (!r.ok()) return r.status().WithContext(what);
  std::string where = DescribeRequest(req.method, req.url);
  if (r->status < 200 || r->status >= 300) return AnswerStatus(what + ": " + where, *r, attempts);
  auto body = ParseJsonAnswer(what + ": " + where, *r);
  if (!body.ok()) return body.status();
  if (!body->is_object() || body->value("status", "") != "success" || !body->contains("data")) {
    std::string detail = body->is_object()
                             ? body->value("error", std::string("no 'data' in the answer"))
                             : "the answer is not a JSON object";
    return Status::Unavailable(what + ": " + where + " did not succeed: " + Redact(detail));
  }
  return (*body)["data"];
}

int64_t ParseAt(const Json& with, StepContext& ctx, Status* error) {
  std::string at = ParamString(with, "at");
  if (at.empty()) return ctx.clock().NowUnixMs();
  int64_t ms = 0;
  if (ParseTimeRfc3339(at, &ms)) return ms;
  char* end = nullptr;
  double seconds = std::strtod(at.c_str(), &end);
  if (end && *end == '\0' && seconds > 0) return static_cast<int64_t>(seconds * 1000);
  *error = Status::Invalid("param 'at': '" + at + "' is neither an RFC 3339 time nor unix seconds");
  return 0;
}

Json ValueJson(double v, const std::string& text) {
  if (std::isfinite(v)) return v;
  return text;  // JSON has no NaN or Inf: keep Prometheus' own spelling.
}

class SnapshotAction : public Action {
 public:
  SnapshotAction() {
    info_.name = "prometheus.snapshot";
    info_.summary =
        "Freeze PromQL range queries around the incident into a JSON file (artifact 'snapshot')";
    info_.params = ConnectionParams();
    info_.params.insert(info_.params.begin(),
                        {{.name = "queries",
                          .type = ParamType::kStringList,
                          .required = true,
                          .help = "PromQL expressions"},
                         {.name = "before",
                          .type = ParamType::kDuration,
                          .default_value = "15m",
                          .help = "window start: this long before `at`"},
                         {.name = "after",
                          .type = ParamType::kDuration,
                          .default_value = "0s",
                          .help = "window end: this long after `at`"},
                         {.name = "step",
                          .type = ParamType::kDuration,
                          .default_value = "15s",
                          .help = "resolution of the range queries"},
                         {.name = "at",
                          .type = ParamType::kString,
                          .help = "the incident's time (RFC 3339 or unix seconds); default now"}});
    info_.idempotent = true;
    info_.outputs = {{"path", "the snapshot file (JSON, one entry per query)"},
                     {"sha256", "SHA-256 of the file"},
                     {"size", "bytes"},
                     {"series", "number of series per query, in query order"},
                     {"series_total", "series over all queries"},
                     {"start", "window start (RFC 3339)"},
                     {"end", "window end (RFC 3339)"},
                     {"failed_queries", "queries Prometheus rejected, with its message"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string url = ParamString(with, "url");
    if (url.empty()) url = "$" + ParamString(with, "url_env");
    std::vector<std::string> plan;
    for (const auto& q : ParamStringList(with, "queries")) {
      plan.push_back("POST " + Redact(JoinUrl(url, "/api/v1/query_range")) + " query=" + q +
                     " [at-" + FormatDurationMs(ParamInt(with, "before")) + ", at+" +
                     FormatDurationMs(ParamInt(with, "after")) + "] step " +
                     FormatDurationMs(ParamInt(with, "step")));
    }
    return plan;
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    auto target = ResolveTarget(with);
    if (!target.ok()) return target.status();
    auto queries = ParamStringList(with, "queries");
    if (queries.empty())
      return Status::Invalid("param 'queries' is empty: give at least one PromQL expression");
    Status bad_at;
    int64_t at = ParseAt(with, ctx, &bad_at);
    if (!bad_at.ok()) return bad_at;
    int64_t before = ParamInt(with, "before"), after = ParamInt(with, "after"),
            step = ParamInt(with, "step");
    if (step < 1) return Status::Invalid("param 'step' must be at least 1ms");
    if ((before + after) / step > kMaxPointsPerSeries) {
      return Status::Invalid("the window (" + FormatDurationMs(before + after) + ") over step " +
                             FormatDurationMs(step) + " is more than Prometheus' " +
                             std::to_string(kMaxPointsPerSeries) +
                             " points per series: raise `step`");
    }
    int64_t start = at - before, end = at + after;
    outputs["start"] = FormatTimeUtc(start);
    outputs["end"] = FormatTimeUtc(end);

    Json file = {{"prometheus", Redact(target->base)},
                 {"at", FormatTimeUtc(at)},
                 {"start", FormatTimeUtc(start)},
                 {"end", FormatTimeUtc(end)},
                 {"step_seconds", static_cast<double>(step) / 1000.0},
                 {"taken_at", FormatTimeUtc(ctx.clock().NowUnixMs())},
                 {"queries", Json::array()}};
    Json series = Json::array();
    Json failed = Json::array();
    int64_t total = 0;
    for (size_t i = 0; i < queries.size(); ++i) {
      const std::string& q = queries[i];
      ctx.Progress("query " + std::to_string(i + 1) + "/" + std::to_string(queries.size()) + ": " +
                   q);
      auto data = ApiCall(ctx, *target, "/api/v1/query_range",
                          {{"query", q},
                           {"start", PromTime(start)},
                           {"end", PromTime(end)},
                           {"step", PromTime(step)}},
                          "prometheus query '" + q + "'");
      Json entry = {{"query", q}};
      if (!data.ok()) {
        // No answer at all (unreachable, timeout, cancelled): the other queries would fare
        // no better.
        Code code = data.status().code();
        if (code == Code::kCancelled || code == Code::kTimeout ||
            (code == Code::kUnavailable &&
             data.status().message().find("answered HTTP") == std::string::npos))
          return data.status();
        entry["error"] = data.status().message();
        failed.push_back({{"query", q}, {"error", data.status().message()}});
        series.push_back(0);
      } else {
        const Json& result = data->contains("result") ? (*data)["result"] : Json::array();
        int64_t n = result.is_array() ? static_cast<int64_t>(result.size()) : 1;
        entry["resultType"] = data->value("resultType", "");
        entry["result"] = result;
        series.push_back(n);
        total += n;
      }
      file["queries"].push_back(entry);
    }
    outputs["series"] = series;
    outputs["series_total"] = total;
    if (!failed.empty()) outputs["failed_queries"] = failed;

    std::string path = ctx.work_dir() + "/prometheus-" + ctx.step_id() + ".json";
    std::string text = file.dump(1);
    {
      std::string tmp = path + ".tmp";
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
      out.close();
      std::error_code ec;
      if (!out || (std::filesystem::rename(tmp, path, ec), ec))
        return Status::Io("cannot write the snapshot to " + path);
    }
    ArtifactInfo artifact;
    artifact.kind = "snapshot";
    artifact.path = path;
    artifact.size = static_cast<int64_t>(text.size());
    artifact.sha256 = Sha256Hex(text);
    artifact.description = "Prometheus snapshot of " + std::to_string(queries.size()) +
                           " queries, " + FormatTimeUtc(start) + " to " + FormatTimeUtc(end);
    outputs["path"] = path;
    outputs["sha256"] = artifact.sha256;
    outputs["size"] = artifact.size;
    MEDIC_RETURN_IF_ERROR(ctx.AddArtifact(artifact));
    if (!failed.empty()) {
      std::vector<std::string> why;
      for (const auto& f : failed) why.push_back(f["error"].get<std::string>());
      return Status::Invalid(
          std::to_string(failed.size()) + " of " + std::to_string(queries.size()) +
          " queries failed (the others are in " + path + "): " + Join(why, "; "));
    }
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

/// One evaluation of an instant query: its values, or nothing.
struct Sample {
  std::vector<double> values;
  std::vector<std::string> texts;
};

Result<Sample> Instant(StepContext& ctx, const PromTarget& t, const std::string& query,
                       int64_t at_ms, const std::string& what) {
  auto data = ApiCall(ctx, t, "/api/v1/query", {{"query", query}, {"time", PromTime(at_ms)}}, what);
  if (!data.ok()) return data.status();
  std::string type = data->value("resultType", "");
  const Json& result = data->contains("result") ? (*data)["result"] : Json();
  Sample s;
  auto add = [&](const Json& pair) -> bool {
    if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) return false;
    s.texts.push_back(pair[1].get<std::string>());
    s.values.push_back(ParsePromValue(s.texts.back()));
    return true;
  };
  bool ok = true;
  if (type == "scalar") {
    ok = add(result);
  } else if (type == "vector" && result.is_array()) {
    for (const auto& e : result) ok = ok && e.is_object() && e.contains("value") && add(e["value"]);
  } else if (type == "matrix") {
    return Status::Invalid(what +
                           " returns a range vector; a check needs one value per series "
                           "(wrap it in a function such as rate() or max_over_time())");
  } else {
    ok = false;
  }
  if (!ok) return Status::Unavailable(what + ": malformed answer (resultType '" + type + "')");
  return s;
}

struct Baseline {
  bool enabled = false;
  int64_t offset_ms = 0;
  int64_t at_ms = 0;  ///< `at`: the baseline is at_ms - offset_ms instead of now - offset_ms
  double tolerance = 0;
  bool relative = false;
  std::string text;
};

Result<Baseline> ParseBaseline(const Json& with) {
  Baseline b;
  if (!with.contains("baseline")) return b;
  const Json& j = with["baseline"];
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "offset" && it.key() != "tolerance" && it.key() != "at")
      return Status::Invalid("param 'baseline': unknown key '" + it.key() +
                             "' (expected offset, tolerance, at)");
  }
  b.enabled = true;
  Json offset = j.value("offset", Json("1h"));
  Json tol = j.value("tolerance", Json("0%"));
  if (offset.is_number()) {
    b.offset_ms = static_cast<int64_t>(offset.get<double>() * 1000);
  } else if (offset.is_string()) {
    auto d = ParseDurationMs(offset.get<std::string>());
    if (!d.ok()) return Status::Invalid("param 'baseline.offset': " + d.status().message());
    b.offset_ms = *d;
  }
  if (b.offset_ms <= 0)
    return Status::Invalid("param 'baseline.offset' must be a positive duration like 1h");
  if (j.contains("at")) {
    const Json& at = j["at"];
    if (!at.is_string() || !ParseTimeRfc3339(at.get<std::string>(), &b.at_ms))
      return Status::Invalid("param 'baseline.at': " + at.dump() +
                             " is not an RFC 3339 time like 2026-11-22T03:00:00Z");
  }
  std::string t = tol.is_string() ? tol.get<std::string>() : tol.dump();
  b.relative = EndsWith(t, "%");
  std::string number = b.relative ? t.substr(0, t.size() - 1) : t;
  char* end = nullptr;
  b.tolerance = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || b.tolerance < 0 || !std::isfinite(b.tolerance))
    return Status::Invalid("param 'baseline.tolerance': '" + t + "' is not like 3% or 0.05");
  if (b.relative) b.tolerance /= 100;
  b.text = "within " + t + " of the value " + FormatDurationMs(b.offset_ms) +
           (b.at_ms ? " before " + FormatTimeUtc(b.at_ms) : " earlier");
  return b;
}

bool WithinTolerance(const Baseline& b, double value, double base) {
  double allowed = b.relative ? b.tolerance * std::fabs(base) : b.tolerance;
  return std::fabs(value - base) <= allowed;
}

std::string Values(const std::vector<double>& values, const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (size_t i = 0; i < values.size() && i < 5; ++i) out.push_back(texts[i]);
  if (values.size() > 5) out.push_back("...");
  return Join(out, ", ");
}

class CheckAction : public Action {
 public:
  CheckAction() {
    info_.name = "prometheus.check";
    info_.summary =
        "Verify a PromQL query against a condition and/or a baseline, measurement by "
        "measurement (like an Argo Rollouts analysis)";
    info_.params = ConnectionParams();
    info_.params.insert(
        info_.params.begin(),
        {{.name = "query",
          .type = ParamType::kString,
          .required = true,
          .help = "PromQL expression (instant query)"},
         {.name = "success",
          .type = ParamType::kString,
          .help = "condition on `result`, e.g. 'result < 0.12'; every series must satisfy it"},
         {.name = "interval",
          .type = ParamType::kDuration,
          .default_value = "10s",
          .help = "time between measurements"},
         {.name = "count",
          .type = ParamType::kInt,
          .default_value = 1,
          .help = "measurements to take"},
         {.name = "failure_limit",
          .type = ParamType::kInt,
          .default_value = 0,
          .help = "failed measurements tolerated"},
         {.name = "baseline",
          .type = ParamType::kObject,
          .help =
              "{offset: 1h, tolerance: 3%, at: TIME}: also compare with the query at now-offset, "
              "or at TIME-offset when `at` (RFC 3339, e.g. {{ incident.detected_at }}) is given; a "
              "number for tolerance is absolute; the query must return one series"},
         {.name = "on_empty",
          .type = ParamType::kString,
          .default_value = "fail",
          .help = "when the query returns nothing: fail the measurement, pass it, or skip it (a "
                  "check whose measurements were all skipped is recorded as skipped)",
          .choices = {"fail", "pass", "skip"}}});
    info_.idempotent = true;
    info_.outputs = {{"measurements", "every measurement: time, value, passed (and baseline)"},
                     {"passed", "measurements that passed"},
                     {"failed", "measurements that failed"},
                     {"skipped", "measurements with no data (on_empty: skip)"},
                     {"value", "the last value measured"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string url = ParamString(with, "url");
    if (url.empty()) url = "$" + ParamString(with, "url_env");
    std::string plan = "POST " + Redact(JoinUrl(url, "/api/v1/query")) +
                       " query=" + ParamString(with, "query") + " x" +
                       std::to_string(ParamInt(with, "count")) + " every " +
                       FormatDurationMs(ParamInt(with, "interval"));
    if (!ParamString(with, "success").empty())
      plan += ", pass when " + ParamString(with, "success");
    return {plan};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    std::string query = ParamString(with, "query");
    std::string success = ParamString(with, "success");
    std::optional<MetricCondition> condition;
    if (!success.empty()) {
      auto parsed = MetricCondition::Parse(success);
      if (!parsed.ok()) return parsed.status().WithContext("param 'success'");
      condition = *parsed;
    }
    auto baseline = ParseBaseline(with);
    if (!baseline.ok()) return baseline.status();
    if (!condition && !baseline->enabled)
      return Status::Invalid(
          "prometheus.check needs `success` (e.g. 'result < 0.12'), `baseline`, or both");
    int64_t count = ParamInt(with, "count"), limit = ParamInt(with, "failure_limit");
    int64_t interval = ParamInt(with, "interval");
    if (count < 1) return Status::Invalid("param 'count' must be at least 1");
    if (limit < 0) return Status::Invalid("param 'failure_limit' must not be negative");
    auto target = ResolveTarget(with);
    if (!target.ok()) return target.status();
    std::string on_empty = ParamString(with, "on_empty");
    std::string what = "prometheus query '" + query + "'";

    Json measurements = Json::array();
    int64_t passed = 0, failed = 0, skipped = 0;
    std::vector<std::string> last_values;
    std::string last_reason;
    auto publish = [&] {
      outputs["measurements"] = measurements;
      outputs["passed"] = passed;
      outputs["failed"] = failed;
      outputs["skipped"] = skipped;
    };
    publish();
    for (int64_t i = 1; i <= count; ++i) {
      int64_t now = ctx.clock().NowUnixMs();
      auto sample = Instant(ctx, *target, query, now, what);
      if (!sample.ok()) return sample.status();
      Json m = {{"time", FormatTimeUtc(now)}};
      std::string verdict;  // "pass" | "fail" | "skip"
      std::string reason;
      if (sample->values.empty()) {
        m["value"] = nullptr;
        verdict = on_empty;
        reason = "no data";
      } else {
        if (sample->values.size() == 1) {
          m["value"] = ValueJson(sample->values[0], sample->texts[0]);
        } else {
          Json vs = Json::array();
          for (size_t k = 0; k < sample->values.size(); ++k)
            vs.push_back(ValueJson(sample->values[k], sample->texts[k]));
          m["value"] = vs;
        }
        verdict = "pass";
        if (condition) {
          for (double v : sample->values) {
            if (!condition->Evaluate(v)) {
              verdict = "fail";
              reason = "'" + success + "' is false";
            }
          }
        }
        last_values.push_back(Values(sample->values, sample->texts));
      }
      if (baseline->enabled && verdict != "skip" && !sample->values.empty()) {
        if (sample->values.size() != 1)
          return Status::Invalid(
              what + " returned " + std::to_string(sample->values.size()) +
              " series; a baseline comparison needs one (wrap it in sum() or max())");
        int64_t base_at = (baseline->at_ms ? baseline->at_ms : now) - baseline->offset_ms;
        auto base = Instant(ctx, *target, query, base_at, what + " (baseline)");
        if (!base.ok()) return base.status();
        if (base->values.empty()) {
          m["baseline"] = nullptr;
          if (on_empty != "pass") {
            if (verdict == "pass") verdict = on_empty;
            reason = "no baseline data at " + FormatTimeUtc(base_at);
          }
        } else {
          m["baseline"] = ValueJson(base->values[0], base->texts[0]);
          if (!WithinTolerance(*baseline, sample->values[0], base->values[0])) {
            verdict = "fail";
            reason = "not " + baseline->text + " (" + base->texts[0] + ")";
          }
        }
      }
      if (verdict == "pass") {
        ++passed;
        m["passed"] = true;
      } else if (verdict == "fail") {
        ++failed;
        m["passed"] = false;
        last_reason = reason;
      } else {
        ++skipped;
        m["passed"] = nullptr;
        m["skipped"] = reason;
      }
      if (!m["value"].is_null()) outputs["value"] = m["value"];
      measurements.push_back(m);
      publish();
      ctx.Progress("measurement " + std::to_string(i) + "/" + std::to_string(count) + ": " +
                   (m["value"].is_null() ? std::string("no data") : m["value"].dump()) + " " +
                   verdict);
      // Like Argo: stop as soon as the failure limit is exceeded.
      if (failed > limit) break;
      if (i < count) {
        if (ctx.RemainingMs() <= interval) {
          return Status::Timeout(what + ": only " + std::to_string(i) + " of " +
                                 std::to_string(count) +
                                 " measurements fit in the step's timeout (interval " +
                                 FormatDurationMs(interval) + ")");
        }
        if (!ctx.cancel().SleepFor(interval)) return Status::Cancelled("stopped");
      }
    }
    if (failed > limit) {
      std::vector<std::string> recent(last_values.end() - std::min<size_t>(last_values.size(), 5),
                                      last_values.end());
      return Status::Precondition(
          what + " failed " + std::to_string(failed) + " of " +
          std::to_string(measurements.size()) + " measurements (failure_limit " +
          std::to_string(limit) + "): " + last_reason +
          (recent.empty() ? std::string("") : "; last values: " + Join(recent, "; ")));
    }
    if (passed == 0 && failed == 0) {
      return Status::Skipped(what + " returned no data in " + std::to_string(skipped) +
                             " measurements (on_empty: skip)");
    }
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

}  // namespace

double ParsePromValue(const std::string& text) {
  const char* s = text.c_str();
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0') return std::nan("");
  return v;
}

std::string PromTime(int64_t unix_ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(unix_ms / 1000),
                static_cast<long long>(unix_ms % 1000));
  return buf;
}

void RegisterPrometheusActions(Registry& registry) {
  (void)registry.Add(std::make_unique<SnapshotAction>());
  (void)registry.Add(std::make_unique<CheckAction>());
}

}  // namespace medic
