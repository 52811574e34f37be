#include "env/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>

#include "base/redact.h"

namespace medic {
namespace {

struct Transfer {
  HttpResponse* response;
  size_t max_bytes;
  const CancelToken* cancel;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string& body = t->response->body;
  if (body.size() < t->max_bytes) {
    size_t take = std::min(len, t->max_bytes - body.size());
    body.append(data, take);
    if (take < len) t->response->truncated = true;
  } else {
    t->response->truncated = true;
  }
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) t->response->headers.clear();  // a new response (redirect, 100)
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    size_t b = value.find_first_not_of(' ');
    t->response->headers.emplace_back(name, b == std::string::npos ? "" : value.substr(b));
  }
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel && t->cancel->cancelled() ? 1 : 0;
}

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  }
  return "";
}

CurlHttpClient::CurlHttpClient() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& req) {
  HttpResponse response;
  Transfer transfer{&response, req.max_response_bytes, req.cancel};
  CURL* curl = curl_easy_init();
  if (!curl) return Status::Internal("curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  // Large bodies must not wait for "100 Continue" round trips. curl 7.88's SigV4 signer
  // would sign that removal line as an empty "expect" header which is never sent (so S3
  // answers SignatureDoesNotMatch); signed requests keep curl's unsigned
  // "Expect: 100-continue" and wait for the 100 only briefly.
  if (req.aws_sigv4.empty()) {
    headers = curl_slist_append(headers, "Expect:");
  } else {
    curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 300L);
  }

  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(1, req.timeout_ms)));
  curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max<int64_t>(1, std::min(req.connect_timeout_ms, req.timeout_ms))));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!req.aws_sigv4.empty()) curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, req.aws_sigv4.c_str());
  if (!req.user_password.empty())
    curl_easy_setopt(curl, CURLOPT_USERPWD, req.user_password.c_str());

  auto start = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(curl);
  response.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  if (rc == CURLE_OK) return response;
  std::string what = req.method + " " + Redact(req.url);
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status::Timeout(what + ": no answer within " + std::to_string(req.timeout_ms) + " ms");
    case CURLE_ABORTED_BY_CALLBACK:
      return Status::Cancelled(what + ": cancelled");
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Status::Unavailable(what + ": cannot connect (" + Redact(detail) + ")");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::Invalid(what + ": bad URL (" + Redact(detail) + ")");
    default:
      return Status::Unavailable(what + ": " + Redact(detail));
  }
}

bool IsRetryableHttpStatus(long status) {
  return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

bool IsRetryableHttpResult(const Result<HttpResponse>& result, const RetryPredicate& retry_if) {
  if (!result.ok()) return IsRetryableFailure(result.status());
  return retry_if ? retry_if(*result) : IsRetryableHttpStatus(result->status);
}

Result<HttpResponse> SendWithRetry(HttpClient& client, const HttpRequest& request,
                                   const RetryPolicy& policy, const RetryPredicate& retry_if,
                                   int* attempts) {
  RetryLimits limits;
  limits.cancel = request.cancel;
  return Retry<HttpResponse>(
      policy, limits, request.method + " " + Redact(request.url),
      [&](int) { return client.Send(request); },
      [&](const Result<HttpResponse>& r) {
        return RetryDecision{.again = IsRetryableHttpResult(r, retry_if)};
      },
      nullptr, attempts);
}

}  // namespace medic
