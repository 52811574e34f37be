#include "integrations/endpoint.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/redact.h"
#include "base/strings.h"

namespace medic {
namespace {

// A server asking for a longer pause than this is treated as asking for this long.
constexpr int64_t kMaxRetryAfterMs = 60'000;

std::string OneLine(std::string_view text, size_t max) {
  std::string out;
  for (char c : Trim(text)) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
    if (out.size() >= max) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string JsonText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const auto& e : v) parts.push_back(JsonText(e));
    return Join(parts, "; ");
  }
  if (v.is_null()) return "";
  return v.dump();
}

int64_t RetryAfterMs(const HttpResponse& r) {
  std::string v(Trim(r.Header("retry-after")));
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 6)
    return -1;
  return std::min<int64_t>(std::stoll(v) * 1000, kMaxRetryAfterMs);
}

}  // namespace

Result<ConfigValue> ResolveConfig(const Json& with, const std::string& param,
                                  const std::string& env_param, const std::string& file_param,
                                  bool secret) {
  ConfigValue out;
  if (!param.empty() && !ParamString(with, param).empty()) {
    out.value = ParamString(with, param);
    out.source = "param '" + param + "'";
  } else if (std::string env = env_param.empty() ? "" : ParamString(with, env_param);
             !env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v && *v) {
      out.value = std::string(Trim(v));
      out.source = "$" + env;
    }
  }
  if (out.value.empty() && !file_param.empty() && !ParamString(with, file_param).empty()) {
    std::string path = ParamString(with, file_param);
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      int err = errno;
      std::string text =
          "param '" + file_param + "': cannot read " + path + ": " + std::strerror(err);
      return err == ENOENT ? Status::NotFound(text) : Status::Io(text);
    }
    std::stringstream ss;
    ss << f.rdbuf();
    out.value = std::string(Trim(ss.str()));
    out.source = "file " + path;
    if (out.value.empty())
      return Status::Invalid("param '" + file_param + "': " + path + " is empty");
  }
  if (secret && !out.value.empty()) RegisterSecret(out.value);
  return out;
}

Status CheckHttpUrl(const std::string& url, const std::string& what) {
  if (StartsWith(url, "http://") || StartsWith(url, "https://")) {
    if (url.find_first_of(" \t\r\n") == std::string::npos) return Status::Ok();
  }
  return Status::Invalid(what + " '" + Redact(url) + "' is not an http:// or https:// URL");
}

std::string JoinUrl(const std::string& base, const std::string& path) {
  std::string b = base;
  while (!b.empty() && b.back() == '/') b.pop_back();
  if (path.empty()) return b;
  return path[0] == '/' ? b + path : b + "/" + path;
}

Result<HttpResponse> SendBounded(StepContext& ctx, HttpRequest request, const SendOptions& options,
                                 int* attempts) {
  request.cancel = &ctx.cancel();
  RetryPolicy policy{.max_retries = options.max_retries,
                     .base_delay_ms = std::max<int64_t>(1, options.base_delay_ms),
                     .max_delay_ms = std::max<int64_t>(1, options.max_delay_ms)};
  RetryLimits limits{.cancel = &ctx.cancel(), .remaining_ms = [&ctx] { return ctx.RemainingMs(); }};
  return Retry<HttpResponse>(
      policy, limits, DescribeRequest(request.method, request.url),
      [&](int) {
        request.timeout_ms = std::min(options.request_timeout_ms, ctx.RemainingMs());
        return ctx.http().Send(request);
      },
      [&](const Result<HttpResponse>& r) {
        return RetryDecision{.again = IsRetryableHttpResult(r, options.retry_if),
                             .wait_ms = r.ok() ? RetryAfterMs(*r) : -1};
      },
      [&](int attempt, const Result<HttpResponse>& r, int64_t wait) {
        std::string why = r.ok() ? "HTTP " + std::to_string(r->status) : r.status().message();
        ctx.Progress("attempt " + std::to_string(attempt) + ": " + why + "; retrying in " +
                     FormatDurationMs(wait));
      },
      attempts);
}

std::string PeerMessage(const HttpResponse& response) {
  std::string_view body = Trim(response.body);
  if (body.empty()) return "";
  std::string text;
  if (body.front() == '{') {
    try {
      Json j = Json::parse(body);
      std::vector<std::string> parts;
      for (const char* key : {"error", "message", "errors", "msg", "detail"}) {
        if (j.contains(key)) {
          std::string t = JsonText(j[key]);
          if (!t.empty() && std::find(parts.begin(), parts.end(), t) == parts.end())
            parts.push_back(t);
        }
      }
      if (!parts.empty()) text = Join(parts, ": ");
    } catch (const std::exception&) {
      // Not JSON after all: quote the text.
    }
  }
  if (text.empty()) text = std::string(body.substr(0, 400));
  return Redact(OneLine(text, 300));
}

Status AnswerStatus(const std::string& what, const HttpResponse& response, int attempts) {
  std::string text = what + " answered HTTP " + std::to_string(response.status);
  std::string peer = PeerMessage(response);
  if (!peer.empty()) text += ": " + peer;
  Code code = Code::kUnavailable;
  long s = response.status;
  if (s == 400 || s == 422) {
    code = Code::kInvalidArgument;
  } else if (s == 401 || s == 403) {
    code = Code::kFailedPrecondition;
    text += " (check the credentials or key)";
  } else if (s == 404) {
    code = Code::kNotFound;
  }
  return Status(code, Redact(NoteAttempts(text, attempts)));
}

Result<Json> ParseJsonAnswer(const std::string& what, const HttpResponse& response) {
  try {
    return Json::parse(response.body);
  } catch (const std::exception&) {
    std::string start = OneLine(response.body, 80);
    return Status::Unavailable(
        what + ": the answer is not JSON (" +
        (start.empty() ? std::string("empty body") : "starts '" + Redact(start) + "'") + ")");
  }
}

std::string DescribeRequest(const std::string& method, const std::string& url) {
  return method + " " + Redact(url);
}

bool StatusExpected(const Json& with, long status) {
  auto codes = ParamStringList(with, "expect_status");
  if (codes.empty()) return status >= 200 && status < 300;
  for (const auto& c : codes) {
    if (c == std::to_string(status)) return true;
    // "2xx" style classes.
    if (c.size() == 3 && c[1] == 'x' && c[2] == 'x' && c[0] == '0' + status / 100) return true;
  }
  return false;
}

ParamSpec RequestTimeoutParam(const std::string& help) {
  return {.name = "request_timeout",
          .type = ParamType::kDuration,
          .default_value = "10s",
          .help = help};
}

ParamSpec UrlParam(const std::string& what) {
  return {.name = "url", .type = ParamType::kString, .help = what + " (else $url_env)"};
}

ParamSpec EnvVarParam(const std::string& name, const std::string& what, Json env) {
  return {.name = name,
          .type = ParamType::kString,
          .default_value = std::move(env),
          .help = "environment variable holding " + what};
}

ParamSpec FileParam(const std::string& name, const std::string& what) {
  return {.name = name, .type = ParamType::kString, .help = "file holding " + what};
}

ParamSpec ExpectStatusParam() {
  return {.name = "expect_status",
          .type = ParamType::kStringList,
          .help = "acceptable status codes, e.g. [200, 204] or [2xx]; default any 2xx"};
}

std::vector<ParamSpec> RetryParams(int retries) {
  return {{.name = "max_retries",
           .type = ParamType::kInt,
           .default_value = retries,
           .help = "retries on no answer, 408, 429 and 5xx (never on other 4xx), within the step's "
                   "timeout"},
          {.name = "retry_delay",
           .type = ParamType::kDuration,
           .default_value = "1s",
           .help = "first backoff; doubles each retry (a Retry-After header wins)"}};
}

SendOptions SendOptionsFrom(const Json& with) {
  SendOptions o;
  if (with.contains("request_timeout")) o.request_timeout_ms = ParamInt(with, "request_timeout");
  o.max_retries = static_cast<int>(std::max<int64_t>(0, ParamInt(with, "max_retries")));
  if (with.contains("retry_delay"))
    o.base_delay_ms = std::max<int64_t>(1, ParamInt(with, "retry_delay"));
  o.max_delay_ms = std::max<int64_t>(o.base_delay_ms, 30'000);
  return o;
}

}  // namespace medic
