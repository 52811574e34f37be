// S3-compatible object storage (AWS, MinIO, Ceph, GCS interop): where s3.upload sends a
// core dump. Start with UploadFile: it streams a file (optionally zstd-compressed) in
// bounded memory, as one PUT when small and as a multipart upload otherwise, retrying
// parts, aborting on failure, and recording SHA-256s of what it read and what it sent.
// Requests are signed with libcurl's built-in SigV4 through the HttpClient seam.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/cancel.h"
#include "base/json.h"
#include "base/status.h"
#include "env/http_client.h"

namespace medic {

/// Where and as whom to talk to S3. Secrets are registered for redaction when read by
/// S3ConfigFromEnv.
struct S3Config {
  std::string endpoint;  ///< "http(s)://host[:port]"; empty = AWS for `region`
  std::string region;    ///< signing region; "us-east-1" when nothing says otherwise
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string session_token;   ///< for temporary credentials; sent as x-amz-security-token
  std::string sse;             ///< "", "AES256" or "aws:kms"
  std::string sse_kms_key_id;  ///< only with sse == "aws:kms"; empty = the bucket's default key
  /// Path-style URLs (endpoint/bucket/key). Decided by S3ConfigFromEnv: always for a custom
  /// endpoint, and for AWS buckets whose names contain dots (TLS wildcard certificates).
  bool path_style = true;
};

/// The configuration from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
/// AWS_SESSION_TOKEN, AWS_REGION or AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 or
/// AWS_ENDPOINT_URL) with every non-empty field of `overrides` taking precedence.
/// Credentials are taken as a set: an explicit access_key means the environment's secret
/// and session token are not used. Registers the secret key and session token with
/// RegisterSecret(). kInvalidArgument when the bucket or credentials are missing, the
/// endpoint is not an http(s) URL, or the SSE settings are not ones S3 knows.
/// (`overrides.path_style` is ignored: it is derived, see S3Config.)
Result<S3Config> S3ConfigFromEnv(const S3Config& overrides);

/// The http(s) URL of `key` in config.bucket, the key percent-encoded per path segment.
std::string S3ObjectUrl(const S3Config& config, const std::string& key);

/// A request for `key` (empty = the bucket itself) signed with SigV4 for `config`:
/// x-amz-content-sha256 is the hash of `body`, the session token header is set when there
/// is one. `query` must already be canonical (sorted, percent-encoded: "partNumber=1&
/// uploadId=..."), because libcurl 7.88 signs the query string as given.
HttpRequest S3Request(const S3Config& config, const std::string& method, const std::string& key,
                      const std::string& query = "", std::string body = "");

/// An S3 error answer turned into a Status that names what was being done, the HTTP status
/// and S3's <Code> and <Message>: 404 NoSuchBucket/NoSuchKey -> kNotFound, 401/403 ->
/// kFailedPrecondition, 5xx -> kUnavailable, other 4xx -> kInvalidArgument.
Status S3ErrorStatus(const std::string& what, const HttpResponse& response);

/// What UploadFile reports while it works. bytes_* count the original file (read) and what
/// went over the wire (uploaded, acknowledged by S3).
struct UploadProgress {
  uint64_t bytes_read = 0;
  uint64_t bytes_total = 0;  ///< the file's size when the upload started
  uint64_t bytes_uploaded = 0;
  int parts_uploaded = 0;
};

struct UploadOptions {
  bool compress = true;  ///< zstd-compress on the way (the key is used as given: add .zst)
  int level = 3;         ///< zstd level; higher levels gain little on core dumps
  int workers = 0;       ///< zstd worker threads; 0 = compress on the calling thread
  /// Bytes per part (>= 5 MiB, S3's minimum except for the last). Files small enough to
  /// fit in one part go up in a single PUT. Grown automatically for inputs so big that
  /// 10,000 parts would not hold them.
  size_t part_size = 8 << 20;
  int parallel_parts = 2;       ///< parts in flight at once; memory ~ (this + 1) * part_size
  int max_retries = 4;          ///< per request, after its first attempt
  int64_t retry_base_ms = 250;  ///< backoff before the first retry, doubling after
  int64_t retry_max_ms = 8'000;
  int64_t request_timeout_ms = 300'000;  ///< per request (one part)
  int64_t connect_timeout_ms = 10'000;
  std::string content_type;  ///< default application/zstd or application/octet-stream
  /// Called on the calling thread after each chunk read and each part uploaded.
  std::function<void(const UploadProgress&)> progress;
  const CancelToken* cancel = nullptr;  ///< stops the upload (and aborts a multipart one)
};

struct UploadResult {
  std::string url;     ///< http(s) URL of the object
  std::string s3_uri;  ///< s3://bucket/key
  std::string bucket;
  std::string key;
  uint64_t bytes_in = 0;   ///< bytes read from the file
  uint64_t bytes_out = 0;  ///< bytes stored in S3
  std::string sha256_in;   ///< of the file as read
  std::string sha256_out;  ///< of the object as stored (equals sha256_in without compression)
  bool compressed = false;
  bool multipart = false;
  int parts = 0;     ///< 1 for a single PUT
  int retries = 0;   ///< requests that had to be sent again
  std::string etag;  ///< as S3 returned it (quotes removed)
  int64_t duration_ms = 0;
};

/// The result as JSON (the step output s3.upload records).
Json UploadResultToJson(const UploadResult& result);

/// Uploads the file at `path` to config.bucket/`key`. Reads the file in chunks (holes of a
/// sparse core are not read: they are zeros), compresses them as a stream into part
/// buffers and sends each part as it fills, so memory stays around
/// (parallel_parts + 1) * part_size whatever the file's size. Each request is
/// retried (bounded, exponential backoff) on connection errors, timeouts, 5xx and S3's
/// transient 4xx (408, 429, RequestTimeout, SlowDown); never on other 4xx. When a
/// multipart upload fails or is cancelled it is aborted, and the error says which part
/// failed and whether the abort worked. Errors name the bucket, key, HTTP status and S3
/// error code; kNotFound for a missing file or bucket, kIo for read errors, kCancelled,
/// kUnavailable/kTimeout when S3 cannot be reached. Calls client.Send from up to
/// parallel_parts threads at once, so `client` must be thread-safe (CurlHttpClient is).
Result<UploadResult> UploadFile(HttpClient& client, const S3Config& config, const std::string& path,
                                const std::string& key, const UploadOptions& options);

}  // namespace medic
