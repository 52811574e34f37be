// Helpers shared by the actions that call an outside HTTP endpoint (Prometheus,
// Pushgateway, Alertmanager, PagerDuty, Slack, webhooks): where an endpoint or a secret
// comes from (a parameter, an environment variable or a file), sending with retries that
// never outlive the step's deadline, and turning an unwelcome answer into an error that
// quotes the peer. Start with ResolveConfig() and SendBounded().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "env/http_client.h"
#include "integrations/action.h"

namespace medic {

/// A configuration value and where it came from ("param 'url'", "$SLACK_WEBHOOK_URL",
/// "file /etc/medic/key"), for messages that never show the value itself.
struct ConfigValue {
  std::string value;
  std::string source;
};

/// The first one set of: the parameter `param`, the environment variable named by the
/// parameter `env_param`, the trimmed contents of the file named by `file_param` (pass ""
/// to skip a source). An empty value means "not configured". A named file that cannot be
/// read is an error. When `secret`, the value is registered with RegisterSecret().
Result<ConfigValue> ResolveConfig(const Json& with, const std::string& param,
                                  const std::string& env_param, const std::string& file_param,
                                  bool secret);

/// Fails with kInvalidArgument unless `url` is an http:// or https:// URL; `what` names it.
Status CheckHttpUrl(const std::string& url, const std::string& what);

/// `base` and `path` joined with exactly one '/' between them.
std::string JoinUrl(const std::string& base, const std::string& path);

/// How SendBounded retries.
struct SendOptions {
  int64_t request_timeout_ms = 10'000;  ///< one attempt; capped by the step's time left
  int max_retries = 0;                  ///< attempts after the first
  int64_t base_delay_ms = 500;          ///< backoff before retry n: base * 2^(n-1), jittered
  int64_t max_delay_ms = 10'000;
  RetryPredicate retry_if;  ///< which answers to retry; IsRetryableHttpStatus if null
};

/// Sends `request` through ctx.http() with the step's cancel token. Retries when there was
/// no answer (unreachable, timed out) or `retry_if` says so, with exponential backoff and
/// jitter, honouring a Retry-After header given in seconds; never waits or sends past the
/// step's deadline. Returns the last answer (check its status) or the last failure, with
/// "(after N attempts)" when there were several. `attempts` receives the count.
Result<HttpResponse> SendBounded(StepContext& ctx, HttpRequest request, const SendOptions& options,
                                 int* attempts = nullptr);

/// The peer's own words from an answer: JSON "error"/"message"/"errors", else the start of
/// the body text; one line, at most 300 characters, redacted. "" when the body is empty.
std::string PeerMessage(const HttpResponse& response);

/// The error for an answer outside 2xx: "WHAT answered HTTP 400: <peer message>". The code
/// follows the status: 400/422 kInvalidArgument (the runner does not retry it), 401/403
/// kFailedPrecondition (with a hint to check credentials), 404 kNotFound, anything else
/// kUnavailable. Notes the attempts when there were several.
Status AnswerStatus(const std::string& what, const HttpResponse& response, int attempts = 1);

/// The body parsed as JSON, or kUnavailable "WHAT: the answer is not JSON (...)".
Result<Json> ParseJsonAnswer(const std::string& what, const HttpResponse& response);

/// "METHOD URL" with credentials in the URL redacted, for messages and plans.
std::string DescribeRequest(const std::string& method, const std::string& url);

/// True when `status` is one the step's `expect_status` parameter lists ("200", "2xx"), or
/// a 2xx when it lists none.
bool StatusExpected(const Json& with, long status);

/// The `request_timeout` parameter shared by every endpoint action (default 10s); `help`
/// says what it bounds.
ParamSpec RequestTimeoutParam(
    const std::string& help =
        "limit for one request (the step's timeout still bounds all of them)");

/// The optional `url` parameter of an endpoint that may come from `url_env` instead; `what`
/// describes it ("Prometheus base URL, e.g. http://prometheus:9090").
ParamSpec UrlParam(const std::string& what);

/// A parameter `name` naming the environment variable that holds `what` ("the routing key"),
/// by default `env` (null: none); read with ResolveConfig().
ParamSpec EnvVarParam(const std::string& name, const std::string& what, Json env = nullptr);

/// A parameter `name` naming a file that holds `what`; read with ResolveConfig().
ParamSpec FileParam(const std::string& name, const std::string& what);

/// The `expect_status` parameter that StatusExpected() reads.
ParamSpec ExpectStatusParam();

/// `max_retries` (default `retries`) and `retry_delay` (the first backoff, default 1s).
std::vector<ParamSpec> RetryParams(int retries);

/// SendOptions from request_timeout, max_retries and retry_delay in `with`.
SendOptions SendOptionsFrom(const Json& with);

}  // namespace medic
