#include "integrations/alertmanager.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "base/redact.h"
#include "base/strings.h"
#include "env/http_client.h"
#include "integrations/endpoint.h"

namespace medic {
namespace {

bool IsLabelName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// Applies an operator prefix (=~ != !~ =) of `value` to `m`; returns the rest.
std::string TakeOperator(std::string_view value, SilenceMatcher& m, bool allow_plain_equal) {
  if (StartsWith(value, "=~")) {
    m.is_regex = true;
    value.remove_prefix(2);
  } else if (StartsWith(value, "!~")) {
    m.is_regex = true;
    m.is_equal = false;
    value.remove_prefix(2);
  } else if (StartsWith(value, "!=")) {
    m.is_equal = false;
    value.remove_prefix(2);
  } else if (allow_plain_equal && StartsWith(value, "=")) {
    value.remove_prefix(1);
  }
  return std::string(value);
}

/// Strips one pair of double quotes, undoing \" and \\ inside.
std::string Unquote(std::string_view v) {
  v = Trim(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

Result<SilenceMatcher> ParseMatcherString(const std::string& text) {
  size_t op = text.find_first_of("=!");
  SilenceMatcher m;
  m.name = std::string(
      Trim(std::string_view(text).substr(0, op == std::string::npos ? text.size() : op)));
  if (op == std::string::npos ||
      (text[op] == '!' && (op + 1 >= text.size() || (text[op + 1] != '=' && text[op + 1] != '~'))))
    return Status::Invalid("matcher '" + text +
                           "': expected name=value, name!=value, name=~regex or name!~regex");
  m.value = Unquote(TakeOperator(std::string_view(text).substr(op), m, /*allow_plain_equal=*/true));
  return m;
}

std::string ShowMatcher(const SilenceMatcher& m) {
  std::string op = m.is_regex ? (m.is_equal ? "=~" : "!~") : (m.is_equal ? "=" : "!=");
  return m.name + op + "\"" + m.value + "\"";
}

Json MatcherJson(const SilenceMatcher& m) {
  return {{"name", m.name}, {"value", m.value}, {"isRegex", m.is_regex}, {"isEqual", m.is_equal}};
}

std::vector<std::tuple<std::string, std::string, bool, bool>> Canonical(
    const std::vector<SilenceMatcher>& ms) {
  std::vector<std::tuple<std::string, std::string, bool, bool>> out;
  for (const auto& m : ms) out.emplace_back(m.name, m.value, m.is_regex, m.is_equal);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<ParamSpec> BaseParams() {
  return {
      UrlParam("Alertmanager base URL, e.g. http://alertmanager:9093"),
      EnvVarParam("url_env", "the URL when `url` is not given", "ALERTMANAGER_URL"),
      RequestTimeoutParam(),
  };
}

Result<std::string> ResolveBase(const Json& with) {
  auto url = ResolveConfig(with, "url", "url_env", "", /*secret=*/false);
  if (!url.ok()) return url.status();
  if (url->value.empty()) {
    return Status::Skipped("not configured: no Alertmanager URL (set `url`, or $" +
                           ParamString(with, "url_env") + ")");
  }
  MEDIC_RETURN_IF_ERROR(CheckHttpUrl(url->value, "Alertmanager URL from " + url->source));
  return url->value;
}

Result<HttpResponse> Call(StepContext& ctx, const Json& with, const std::string& method,
                          const std::string& url, const std::string& body, int retries,
                          int* attempts) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "application/json");
  SendOptions options;
  options.request_timeout_ms = ParamInt(with, "request_timeout");
  options.max_retries = retries;
  return SendBounded(ctx, req, options, attempts);
}

class SilenceAction : public Action {
 public:
  SilenceAction() {
    info_.name = "alertmanager.silence";
    info_.summary =
        "Silence matching alerts in Alertmanager for a while (reuses an identical active silence)";
    info_.params = BaseParams();
    std::vector<ParamSpec> more = {
        {.name = "matchers",
         .type = ParamType::kAny,
         .required = true,
         .help = "{label: value} (a value may start with =~ != !~) or a list like ['alertname=X', "
                 "'service=~\"checkout.*\"']"},
        {.name = "duration",
         .type = ParamType::kDuration,
         .default_value = "1h",
         .help = "how long the silence lasts"},
        {.name = "created_by",
         .type = ParamType::kString,
         .default_value = "medic",
         .help = "the silence's createdBy"},
        {.name = "comment",
         .type = ParamType::kString,
         .help = "the silence's comment; default names the incident, run and step"},
        {.name = "dedupe",
         .type = ParamType::kBool,
         .default_value = true,
         .help = "reuse an active silence with the same matchers, createdBy and comment"},
    };
    info_.params.insert(info_.params.begin(), more.begin(), more.end());
    // With dedupe (the default) a re-run finds the silence it made instead of adding one.
    info_.idempotent = true;
    info_.outputs = {{"silence_id", "the silence's id (for alertmanager.unsilence)"},
                     {"ends_at", "when it expires (RFC 3339)"},
                     {"reused", "true when an identical active silence was reused"},
                     {"silence_url", "the silence in Alertmanager's UI"},
                     {"matchers", "the matchers, as the API takes them"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string url = ParamString(with, "url");
    if (url.empty()) url = "$" + ParamString(with, "url_env");
    std::string what = "POST " + Redact(JoinUrl(url, "/api/v2/silences"));
    auto ms = ParseSilenceMatchers(with.value("matchers", Json()));
    if (ms.ok()) {
      std::vector<std::string> shown;
      for (const auto& m : *ms) shown.push_back(ShowMatcher(m));
      what += " {" + Join(shown, ", ") + "}";
    }
    return {what + " for " + FormatDurationMs(ParamInt(with, "duration"))};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    auto matchers = ParseSilenceMatchers(with.value("matchers", Json()));
    if (!matchers.ok()) return matchers.status().WithContext("param 'matchers'");
    int64_t duration = ParamInt(with, "duration");
    if (duration <= 0) return Status::Invalid("param 'duration' must be positive");
    auto base = ResolveBase(with);
    if (!base.ok()) return base.status();
    std::string comment = ParamString(with, "comment");
    if (comment.empty()) {
      comment = "medic: incident " + std::to_string(ctx.incident_id()) + ", run " +
                std::to_string(ctx.run_id()) + ", step " + ctx.step_id();
    }
    std::string created_by = ParamString(with, "created_by");
    Json api_matchers = Json::array();
    for (const auto& m : *matchers) api_matchers.push_back(MatcherJson(m));
    outputs["matchers"] = api_matchers;

    if (ParamBool(with, "dedupe")) {
      auto existing = FindSame(ctx, with, *base, *matchers, created_by, comment);
      if (!existing.ok()) return existing.status();
      if (!existing->is_null()) {
        std::string id = existing->value("id", "");
        outputs["silence_id"] = id;
        outputs["ends_at"] = existing->value("endsAt", "");
        outputs["reused"] = true;
        outputs["silence_url"] = JoinUrl(*base, "/#/silences/" + id);
        return Status::Ok();
      }
    }

    int64_t now = ctx.clock().NowUnixMs();
    Json body = {{"matchers", api_matchers},
                 {"startsAt", FormatTimeUtc(now)},
                 {"endsAt", FormatTimeUtc(now + duration)},
                 {"createdBy", created_by},
                 {"comment", comment}};
    std::string url = JoinUrl(*base, "/api/v2/silences");
    int attempts = 0;
    // Creating is not safe to repeat blindly (a lost answer may hide a created silence): a
    // step retry goes through the dedupe lookup above instead.
    auto r = Call(ctx, with, "POST", url, body.dump(), 0, &attempts);
    if (!r.ok()) return r.status();
    if (r->status != 200) return AnswerStatus(DescribeRequest("POST", url), *r, attempts);
    auto answer = ParseJsonAnswer(DescribeRequest("POST", url), *r);
    if (!answer.ok()) return answer.status();
    std::string id = answer->is_object() ? answer->value("silenceID", "") : "";
    if (id.empty())
      return Status::Unavailable(DescribeRequest("POST", url) + " answered without a silenceID");
    outputs["silence_id"] = id;
    outputs["ends_at"] = body["endsAt"];
    outputs["reused"] = false;
    outputs["silence_url"] = JoinUrl(*base, "/#/silences/" + id);
    return Status::Ok();
  }

 private:
  /// The active or pending silence with the same matchers, creator and comment, or null.
  static Result<Json> FindSame(StepContext& ctx, const Json& with, const std::string& base,
                               const std::vector<SilenceMatcher>& matchers,
                               const std::string& created_by, const std::string& comment) {
    std::string url = JoinUrl(base, "/api/v2/silences");
    int attempts = 0;
    auto r = Call(ctx, with, "GET", url, "", 2, &attempts);
    if (!r.ok()) return r.status();
    if (r->status != 200) return AnswerStatus(DescribeRequest("GET", url), *r, attempts);
    auto list = ParseJsonAnswer(DescribeRequest("GET", url), *r);
    if (!list.ok()) return list.status();
    if (!list->is_array())
      return Status::Unavailable(DescribeRequest("GET", url) + " did not answer a list");
    auto want = Canonical(matchers);
    for (const auto& s : *list) {
      if (!s.is_object()) continue;
      std::string state =
          s.contains("status") && s["status"].is_object() ? s["status"].value("state", "") : "";
      if (state != "active" && state != "pending") continue;
      if (s.value("comment", "") != comment || s.value("createdBy", "") != created_by) continue;
      std::vector<SilenceMatcher> theirs;
      for (const auto& m : s.value("matchers", Json::array())) {
        if (!m.is_object()) continue;
        theirs.push_back({m.value("name", ""), m.value("value", ""), m.value("isRegex", false),
                          m.value("isEqual", true)});
      }
      if (Canonical(theirs) == want) return s;
    }
    return Json();
  }

  ActionInfo info_;
};

class UnsilenceAction : public Action {
 public:
  UnsilenceAction() {
    info_.name = "alertmanager.unsilence";
    info_.summary = "Expire an Alertmanager silence (one made by alertmanager.silence)";
    info_.params = BaseParams();
    info_.params.insert(info_.params.begin(),
                        {.name = "id",
                         .type = ParamType::kString,
                         .required = true,
                         .help = "the silence id, e.g. '{{ steps.silence.outputs.silence_id }}'"});
    info_.idempotent = true;
    info_.outputs = {{"silence_id", "the silence expired"},
                     {"already_expired", "true when it had expired before"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string url = ParamString(with, "url");
    if (url.empty()) url = "$" + ParamString(with, "url_env");
    return {"DELETE " + Redact(JoinUrl(url, "/api/v2/silence/" + ParamString(with, "id")))};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    std::string id = ParamString(with, "id");
    if (id.empty()) return Status::Invalid("param 'id' is empty: which silence?");
    auto base = ResolveBase(with);
    if (!base.ok()) return base.status();
    std::string url = JoinUrl(*base, "/api/v2/silence/" + UrlEncode(id));
    outputs["silence_id"] = id;
    // Look first: Alertmanager answers a DELETE of an unknown id with a 500, and of an
    // expired one with a 200, so only the silence itself says what is true.
    int attempts = 0;
    auto got = Call(ctx, with, "GET", url, "", 2, &attempts);
    if (!got.ok()) return got.status();
    if (got->status == 404) {
      return Status::NotFound(DescribeRequest("GET", url) +
                              " answered HTTP 404: Alertmanager has no silence '" + id + "'");
    }
    if (got->status != 200) return AnswerStatus(DescribeRequest("GET", url), *got, attempts);
    auto silence = ParseJsonAnswer(DescribeRequest("GET", url), *got);
    if (!silence.ok()) return silence.status();
    std::string state =
        silence->is_object() && silence->contains("status") && (*silence)["status"].is_object()
            ? (*silence)["status"].value("state", "")
            : "";
    if (state == "expired") {
      outputs["already_expired"] = true;
      return Status::Ok();
    }
    auto r = Call(ctx, with, "DELETE", url, "", 2, &attempts);
    if (!r.ok()) return r.status();
    if (r->status == 200) {
      outputs["already_expired"] = false;
      return Status::Ok();
    }
    return AnswerStatus(DescribeRequest("DELETE", url), *r, attempts);
  }

 private:
  ActionInfo info_;
};

}  // namespace

Result<std::vector<SilenceMatcher>> ParseSilenceMatchers(const Json& matchers) {
  std::vector<SilenceMatcher> out;
  if (matchers.is_object()) {
    for (auto it = matchers.begin(); it != matchers.end(); ++it) {
      SilenceMatcher m;
      m.name = it.key();
      std::string v = it->is_string() ? it->get<std::string>() : it->dump();
      m.value = TakeOperator(v, m, /*allow_plain_equal=*/false);
      out.push_back(m);
    }
  } else if (matchers.is_array()) {
    for (const auto& e : matchers) {
      if (e.is_string()) {
        auto m = ParseMatcherString(e.get<std::string>());
        if (!m.ok()) return m.status();
        out.push_back(*m);
      } else if (e.is_object() && e.contains("name") && e.contains("value")) {
        SilenceMatcher m;
        m.name = e["name"].is_string() ? e["name"].get<std::string>() : e["name"].dump();
        m.value = e["value"].is_string() ? e["value"].get<std::string>() : e["value"].dump();
        m.is_regex = e.value("isRegex", false);
        m.is_equal = e.value("isEqual", true);
        out.push_back(m);
      } else {
        return Status::Invalid("each matcher must be a string like 'alertname=X' or {name, value}");
      }
    }
  } else {
    return Status::Invalid("expected a mapping {label: value} or a list of matchers");
  }
  if (out.empty()) return Status::Invalid("no matchers: a silence needs at least one");
  for (const auto& m : out) {
    if (!IsLabelName(m.name))
      return Status::Invalid("'" + m.name + "' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
  }
  return out;
}

void RegisterAlertmanagerActions(Registry& registry) {
  (void)registry.Add(std::make_unique<SilenceAction>());
  (void)registry.Add(std::make_unique<UnsilenceAction>());
}

}  // namespace medic
