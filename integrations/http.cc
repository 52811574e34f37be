#include "integrations/http.h"

#include <algorithm>
#include <fstream>

#include "base/redact.h"
#include "base/strings.h"
#include "env/http_client.h"
#include "integrations/endpoint.h"
#include "integrations/sha256.h"

namespace medic {
namespace {

HttpRequest BuildRequest(const Json& with, StepContext& ctx) {
  HttpRequest req;
  req.method = ParamString(with, "method");
  req.url = ParamString(with, "url");
  if (with.contains("headers")) {
    for (auto it = with["headers"].begin(); it != with["headers"].end(); ++it) {
      if (LooksSecretName(it.key())) RegisterSecret(it->get<std::string>());
      req.headers.emplace_back(it.key(), it->get<std::string>());
    }
  }
  if (with.contains("json")) {
    req.body = with["json"].dump();
    req.headers.emplace_back("Content-Type", "application/json");
  } else {
    req.body = ParamString(with, "body");
  }
  req.timeout_ms = std::min<int64_t>(ParamInt(with, "request_timeout"), ctx.RemainingMs());
  req.cancel = &ctx.cancel();
  return req;
}

// The host (and port, when the URL names one) a URL points at, lower-cased; "" when the URL
// is not http(s). `userinfo` is set when the URL carries "user@".
std::string UrlHost(const std::string& url, bool* userinfo) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  std::string authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  size_t at = authority.rfind('@');
  *userinfo = at != std::string::npos;
  if (*userinfo) authority = authority.substr(at + 1);
  std::transform(authority.begin(), authority.end(), authority.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return authority;
}

// `allowed_hosts`: the rendered URL must point at one of them ("host", "host:port",
// "*.example.com"; an entry may hold several, comma-separated, as one param can). A URL
// built from alert labels then cannot send medic's requests anywhere else.
Status CheckAllowedHost(const Json& with) {
  auto it = with.find("allowed_hosts");
  if (it == with.end() || !it->is_array() || it->empty()) return Status::Ok();
  std::string url = ParamString(with, "url");
  bool userinfo = false;
  std::string authority = UrlHost(url, &userinfo);
  if (userinfo)
    return Status::Invalid("url '" + Redact(url) +
                           "' carries user@ credentials; with allowed_hosts it may not");
  std::string host = authority;
  if (!host.empty() && host.front() == '[')
    host = host.substr(0, host.find(']') + 1);
  else
    host = host.substr(0, host.find(':'));
  std::vector<std::string> allowed;
  for (const auto& entry : *it)
    if (entry.is_string())
      for (const auto& one : Split(entry.get<std::string>(), ','))
        if (!Trim(one).empty()) allowed.emplace_back(Trim(one));
  for (std::string a : allowed) {
    std::transform(a.begin(), a.end(), a.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (a == authority || a == host) return Status::Ok();
    if (StartsWith(a, "*.") && host.size() > a.size() - 1 &&
        host.compare(host.size() - (a.size() - 1), a.size() - 1, a.substr(1)) == 0)
      return Status::Ok();
  }
  return Status::Invalid("url host '" + authority + "' is not in allowed_hosts (" +
                         Join(allowed, ", ") + "); nothing was sent");
}

std::vector<ParamSpec> RequestParams() {
  return {
      {.name = "url",
       .type = ParamType::kString,
       .required = true,
       .help = "http:// or https:// URL"},
      {.name = "allowed_hosts",
       .type = ParamType::kStringList,
       .help = "hosts the URL may point at (host, host:port, *.domain; comma-separated values "
               "allowed); checked before anything is sent. Use it whenever the URL is built "
               "from alert labels"},
      {.name = "method",
       .type = ParamType::kString,
       .default_value = "GET",
       .help = "HTTP method",
       .choices = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}},
      {.name = "headers", .type = ParamType::kStringMap, .help = "request headers"},
      {.name = "body", .type = ParamType::kString, .help = "request body"},
      {.name = "json", .type = ParamType::kAny, .help = "request body as JSON (sets Content-Type)"},
      ExpectStatusParam(),
      RequestTimeoutParam("limit for one request"),
      {.name = "save_to",
       .type = ParamType::kString,
       .help = "write the body to this file in the run's directory and record it as an artifact"},
      {.name = "artifact_kind",
       .type = ParamType::kString,
       .default_value = "http_body",
       .help = "artifact kind for save_to"},
  };
}

// Writes the body into the run's directory and records it (size, sha256).
Status SaveBody(const Json& with, const HttpResponse& r, StepContext& ctx, Json& outputs) {
  std::string name = ParamString(with, "save_to");
  if (name.empty()) return Status::Ok();
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    return Status::Invalid("save_to '" + name +
                           "' must be a plain file name (it goes in the run's directory)");
  std::string path = ctx.work_dir() + "/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f.write(r.body.data(), static_cast<std::streamsize>(r.body.size())))
    return Status::Io("cannot write " + path);
  f.close();
  ArtifactInfo a;
  a.kind = ParamString(with, "artifact_kind");
  a.path = path;
  a.size = static_cast<int64_t>(r.body.size());
  a.sha256 = Sha256Hex(r.body);
  a.description = ParamString(with, "method") + " " + Redact(ParamString(with, "url"));
  outputs["path"] = path;
  outputs["sha256"] = a.sha256;
  return ctx.AddArtifact(a);
}

void FillOutputs(const HttpResponse& r, Json& outputs) {
  outputs["status"] = r.status;
  outputs["body"] = r.body;
  outputs["body_truncated"] = r.truncated;
  Json headers = Json::object();
  for (const auto& [k, v] : r.headers) headers[k] = v;
  outputs["headers"] = headers;
  outputs["latency_ms"] = r.latency_ms;
}

class HttpRequestAction : public Action {
 public:
  HttpRequestAction() {
    info_.name = "http.request";
    info_.summary = "Send one HTTP request; fails unless the status is expected";
    info_.params = RequestParams();
    info_.outputs = {{"status", "HTTP status code"},
                     {"body", "response body (capped at 8 MiB)"},
                     {"headers", "response headers, names lower-cased"},
                     {"latency_ms", "time to the full response"}};
  }
  const ActionInfo& info() const override { return info_; }
  std::vector<std::string> Plan(const Json& with) const override {
    return {ParamString(with, "method") + " " + Redact(ParamString(with, "url"))};
  }
  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    MEDIC_RETURN_IF_ERROR(CheckAllowedHost(with));
    auto r = ctx.http().Send(BuildRequest(with, ctx));
    if (!r.ok()) return r.status();
    FillOutputs(*r, outputs);
    if (StatusExpected(with, r->status)) {
      if (!ParamString(with, "save_to").empty())
        outputs["body"] = "[saved to " + ParamString(with, "save_to") + "]";
      return SaveBody(with, *r, ctx, outputs);
    }
    std::string body(Trim(r->body.substr(0, 200)));
    return Status::Unavailable(
        ParamString(with, "method") + " " + Redact(ParamString(with, "url")) + " answered " +
        std::to_string(r->status) + (body.empty() ? "" : ": " + Redact(body)));
  }

 private:
  ActionInfo info_;
};

class HttpWaitAction : public Action {
 public:
  HttpWaitAction() {
    info_.name = "http.wait";
    info_.summary = "Poll a URL until it answers an expected status (or the step times out)";
    info_.params = RequestParams();
    info_.params.push_back({.name = "interval",
                            .type = ParamType::kDuration,
                            .default_value = "1s",
                            .help = "time between polls"});
    info_.params.push_back({.name = "max_attempts",
                            .type = ParamType::kInt,
                            .default_value = 0,
                            .help = "0: until the step's timeout"});
    info_.idempotent = true;
    info_.outputs = {{"status", "the last status"},
                     {"attempts", "how many requests were sent"},
                     {"latency_ms", "latency of the last request"},
                     {"body", "the last body"}};
  }
  const ActionInfo& info() const override { return info_; }
  std::vector<std::string> Plan(const Json& with) const override {
    return {"poll " + ParamString(with, "method") + " " + Redact(ParamString(with, "url"))};
  }
  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    MEDIC_RETURN_IF_ERROR(CheckAllowedHost(with));
    int64_t interval = ParamInt(with, "interval");
    int64_t max_attempts = ParamInt(with, "max_attempts");
    std::string last_error = "no answer yet";
    for (int64_t attempt = 1;; ++attempt) {
      outputs["attempts"] = attempt;
      auto r = ctx.http().Send(BuildRequest(with, ctx));
      if (r.ok()) {
        FillOutputs(*r, outputs);
        if (StatusExpected(with, r->status)) return SaveBody(with, *r, ctx, outputs);
        last_error = "last answer " + std::to_string(r->status);
      } else {
        if (r.status().code() == Code::kCancelled) return r.status();
        last_error = r.status().message();
      }
      ctx.Progress("attempt " + std::to_string(attempt) + ": " + last_error);
      if (max_attempts > 0 && attempt >= max_attempts)
        return Status::Unavailable("gave up after " + std::to_string(attempt) +
                                   " attempts: " + last_error);
      if (ctx.RemainingMs() <= interval)
        return Status::Timeout("not ready before the step's timeout: " + last_error);
      if (!ctx.cancel().SleepFor(interval)) return Status::Cancelled("stopped");
    }
  }

 private:
  ActionInfo info_;
};

}  // namespace

void RegisterHttpActions(Registry& registry) {
  (void)registry.Add(std::make_unique<HttpRequestAction>());
  (void)registry.Add(std::make_unique<HttpWaitAction>());
}

}  // namespace medic
