// HttpClient: the seam for every HTTP call medic makes (Prometheus, Alertmanager, S3,
// PagerDuty, webhooks, http.request). CurlHttpClient is the one real implementation; it
// honours deadlines and the run's CancelToken, caps response bodies, and can sign requests
// with AWS SigV4 through libcurl's built-in support.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/cancel.h"
#include "base/escape.h"
#include "base/retry.h"
#include "base/status.h"

namespace medic {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;             ///< sent as-is when non-empty or method needs it
  int64_t timeout_ms = 30'000;  ///< whole request, connect included
  int64_t connect_timeout_ms = 5'000;
  size_t max_response_bytes = 8 << 20;  ///< the rest is dropped and `truncated` set
  const CancelToken* cancel = nullptr;  ///< aborts the transfer when cancelled
  std::string aws_sigv4;                ///< e.g. "aws:amz:us-east-1:s3"; empty = unsigned
  std::string user_password;            ///< "user:password" for SigV4 keys or basic auth
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  ///< names lower-cased, in arrival order
  std::string body;
  bool truncated = false;
  int64_t latency_ms = 0;

  /// The first header named `name` (case-insensitive), or "".
  std::string Header(const std::string& name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// Sends the request. An HTTP error status is not a failure here (check `status`); a
  /// failure is no answer at all: unreachable (kUnavailable), deadline (kTimeout),
  /// cancelled (kCancelled). Messages name the method and URL, never credentials.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

/// libcurl-backed client. Thread-safe: each Send uses its own easy handle.
class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient();
  Result<HttpResponse> Send(const HttpRequest& request) override;
};

/// True for answers worth another try: 408, 429 and 5xx other than 501 and 505.
bool IsRetryableHttpStatus(long status);

/// Decides from an answer whether to try again; SendWithRetry uses IsRetryableHttpStatus
/// when none is given.
using RetryPredicate = std::function<bool(const HttpResponse&)>;

/// True when `result` is worth another try: no answer at all (IsRetryableFailure) or an
/// answer that `retry_if` (IsRetryableHttpStatus when null) calls transient.
bool IsRetryableHttpResult(const Result<HttpResponse>& result, const RetryPredicate& retry_if);

/// Sends `request` through Retry() (retry.h): again when IsRetryableHttpResult, with the
/// policy's backoff, the wait waking on request.cancel; no deadline beyond each attempt's
/// timeout. Returns the last answer (which may still be an error status: check it) or the
/// last failure, noted "(after N attempts)" when there was more than one. `attempts`, when
/// given, receives the number of attempts made. The request must be safe to repeat.
/// Thread-safe when `client` is.
Result<HttpResponse> SendWithRetry(HttpClient& client, const HttpRequest& request,
                                   const RetryPolicy& policy,
                                   const RetryPredicate& retry_if = nullptr,
                                   int* attempts = nullptr);

}  // namespace medic
