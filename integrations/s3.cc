#include "integrations/s3.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <vector>

#include "base/redact.h"
#include "base/strings.h"
#include "integrations/sha256.h"
#include "integrations/zstd_stream.h"

namespace medic {
namespace {

constexpr size_t kMinPartSize = 5 << 20;
// S3 allows 10,000 parts; plan for fewer so that input that compresses badly still fits.
constexpr uint64_t kPlannedMaxParts = 9'000;
constexpr size_t kReadChunk = 1 << 20;
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string FirstNonEmpty(std::initializer_list<std::string> values) {
  for (const auto& v : values) {
    if (!v.empty()) return v;
  }
  return "";
}

std::string XmlUnescape(std::string_view s) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

/// The text of the first <tag>...</tag> in `xml`, unescaped; "" when absent.
std::string XmlText(const std::string& xml, const std::string& tag) {
  size_t open = xml.find("<" + tag + ">");
  if (open == std::string::npos) return "";
  size_t begin = open + tag.size() + 2;
  size_t end = xml.find("</" + tag + ">", begin);
  if (end == std::string::npos) return "";
  return XmlUnescape(std::string_view(xml).substr(begin, end - begin));
}

std::string StripQuotes(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
  return s;
}

bool IsTransientS3Code(const std::string& code) {
  return code == "RequestTimeout" || code == "RequestTimeoutException" ||
         code == "PriorRequestNotComplete" || code == "SlowDown" || code == "Throttling" ||
         code == "ThrottlingException" || code == "InternalError" || code == "ServiceUnavailable";
}

/// Retry on 5xx, 408, 429 and S3's transient error codes. CompleteMultipartUpload may
/// answer 200 with an <Error> body, which counts by its code.
bool IsTransientS3Answer(const HttpResponse& r) {
  if (IsRetryableHttpStatus(r.status)) return true;
  if (r.status >= 300 || r.body.find("<Error>") != std::string::npos) {
    return IsTransientS3Code(XmlText(r.body, "Code"));
  }
  return false;
}

bool IsFailedAnswer(const HttpResponse& r) {
  return r.status < 200 || r.status >= 300 || r.body.find("<Error>") != std::string::npos;
}

Status ValidateKey(const std::string& key) {
  if (key.empty()) return Status::Invalid("the object key is empty");
  if (key.size() > 1024) return Status::Invalid("the object key is longer than 1024 bytes");
  if (key[0] == '/') {
    return Status::Invalid("object key '" + key + "' starts with '/' (give it without)");
  }
  // libcurl would squash "." and ".." segments, storing the object under another name.
  for (const auto& segment : Split(key, '/')) {
    if (segment == "." || segment == "..") {
      return Status::Invalid("object key '" + key + "' has a '.' or '..' segment");
    }
  }
  return Status::Ok();
}

/// S3ErrorStatus, noting the attempts when the request was retried.
Status AnswerError(const std::string& what, const HttpResponse& r, int attempts) {
  return NoteAttempts(S3ErrorStatus(what, r), attempts);
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Never written, so always zero: what SparseFileReader hands out for holes.
char g_zeros[kReadChunk];

/// Reads a file front to back in chunks, handing out holes (never-written ranges of a
/// sparse core dump) as zeros without reading them: reading a hole allocates and zeroes
/// page-cache pages, which for a mostly-sparse 1 GiB core costs seconds of system time.
class SparseFileReader {
 public:
  /// `size` is the file's size when opened (0 for non-regular files: then plain reads).
  SparseFileReader(int fd, uint64_t size) : fd_(fd), size_(size), sparse_(size > 0) {}

  /// The next up to `cap` bytes (in `buf`, or in a shared zero buffer for a hole); empty
  /// at the end of the file. -1 with errno set on a read error.
  ssize_t Next(char* buf, size_t cap, std::string_view* out) {
    cap = std::min(cap, kReadChunk);
    if (sparse_ && pos_ < size_) {
      if (pos_ >= region_end_) FindRegion();
      if (sparse_ && region_is_hole_) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(cap, region_end_ - pos_));
        pos_ += n;
        *out = std::string_view(g_zeros, n);
        return static_cast<ssize_t>(n);
      }
      if (sparse_) cap = static_cast<size_t>(std::min<uint64_t>(cap, region_end_ - pos_));
    }
    // Past the size seen at open, read on: the file may have grown.
    for (;;) {
      ssize_t n = pread(fd_, buf, cap, static_cast<off_t>(pos_));
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) pos_ += static_cast<uint64_t>(n);
      if (n == 0 && pos_ < size_) size_ = pos_;  // truncated while we read
      *out = std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0);
      return n;
    }
  }

 private:
  void FindRegion() {
    off_t data = lseek(fd_, static_cast<off_t>(pos_), SEEK_DATA);
    if (data < 0 && errno == ENXIO) {  // no data after pos_: a hole to the end
      region_is_hole_ = true;
      region_end_ = size_;
      return;
    }
    if (data < 0) {  // SEEK_DATA not supported here: read everything
      sparse_ = false;
      return;
    }
    if (static_cast<uint64_t>(data) > pos_) {
      region_is_hole_ = true;
      region_end_ = std::min<uint64_t>(static_cast<uint64_t>(data), size_);
      return;
    }
    off_t hole = lseek(fd_, static_cast<off_t>(pos_), SEEK_HOLE);
    region_is_hole_ = false;
    region_end_ = hole > data ? static_cast<uint64_t>(hole) : size_;
  }

  int fd_;
  uint64_t size_;
  bool sparse_;
  uint64_t pos_ = 0;
  uint64_t region_end_ = 0;
  bool region_is_hole_ = false;
};

class FileCloser {
 public:
  explicit FileCloser(int fd) : fd_(fd) {}
  ~FileCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;

 private:
  int fd_;
};

struct PartOutcome {
  Status status;
  std::string etag;
  int attempts = 0;
};

/// One upload in progress: a single PUT, or a multipart upload whose parts are sent from
/// worker threads while the caller's thread reads and compresses the next ones.
class Upload {
 public:
  Upload(HttpClient& client, const S3Config& config, const std::string& key,
         const UploadOptions& options, std::string where)
      : client_(client), config_(config), key_(key), options_(options), where_(std::move(where)) {
    policy_.max_retries = std::max(0, options.max_retries);
    policy_.base_delay_ms = options.retry_base_ms;
    policy_.max_delay_ms = options.retry_max_ms;
  }

  ~Upload() { WaitAll(); }

  bool multipart() const { return !upload_id_.empty(); }
  int parts_sent() const { return next_part_ - 1; }
  int retries() const { return retries_.load(); }
  uint64_t bytes_uploaded() const { return bytes_uploaded_; }
  int parts_uploaded() const { return parts_uploaded_; }

  /// Starts the multipart upload (CreateMultipartUpload).
  Status Begin() {
    HttpRequest req = Prepare(S3Request(config_, "POST", key_, "uploads="));
    AddObjectHeaders(&req);
    int attempts = 0;
    Result<HttpResponse> r = SendWithRetry(client_, req, policy_, IsTransientS3Answer, &attempts);
    retries_ += attempts - 1;
    if (!r.ok()) return r.status().WithContext(where_ + ": starting the multipart upload");
    if (IsFailedAnswer(*r)) {
      return AnswerError(where_ + ": starting the multipart upload", *r, attempts);
    }
    upload_id_ = XmlText(r->body, "UploadId");
    if (upload_id_.empty()) {
      return Status::Unavailable(where_ + ": CreateMultipartUpload answered HTTP " +
                                 std::to_string(r->status) + " without an UploadId");
    }
    return Status::Ok();
  }

  /// Hands a full part to a worker. Blocks while parallel_parts are already in flight.
  /// Returns the first failure of any part so far.
  Status Submit(std::string body) {
    MEDIC_RETURN_IF_ERROR(Reap(/*block=*/false));
    while (static_cast<int>(in_flight_.size()) >= std::max(1, options_.parallel_parts)) {
      MEDIC_RETURN_IF_ERROR(ReapOne());
    }
    int number = next_part_++;
    etags_.emplace_back();
    uint64_t size = body.size();
    auto work = [this, number, body = std::move(body)]() mutable {
      return SendPart(number, std::move(body));
    };
    std::future<PartOutcome> f;
    try {
      f = std::async(std::launch::async, std::move(work));
    } catch (const std::system_error&) {
      // No thread to be had: send it on this thread instead.
      f = std::async(std::launch::deferred, std::move(work));
    }
    in_flight_.push_back({number, size, std::move(f)});
    return Status::Ok();
  }

  /// Collects finished parts; with `block`, waits for all of them.
  Status Reap(bool block) {
    while (!in_flight_.empty()) {
      auto& front = in_flight_.front().future;
      if (!block && front.wait_for(std::chrono::seconds(0)) != std::future_status::ready) break;
      MEDIC_RETURN_IF_ERROR(ReapOne());
    }
    return Status::Ok();
  }

  /// CompleteMultipartUpload after every part is in; returns S3's ETag of the object.
  Result<std::string> Complete() {
    MEDIC_RETURN_IF_ERROR(Reap(/*block=*/true));
    std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    for (size_t i = 0; i < etags_.size(); ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags_[i] +
             "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    HttpRequest req = Prepare(S3Request(config_, "POST", key_, UploadIdQuery(), std::move(xml)));
    req.headers.emplace_back("Content-Type", "application/xml");
    int attempts = 0;
    Result<HttpResponse> r = SendWithRetry(client_, req, policy_, IsTransientS3Answer, &attempts);
    retries_ += attempts - 1;
    std::string what =
        where_ + ": completing the multipart upload of " + std::to_string(etags_.size()) + " parts";
    if (!r.ok()) return r.status().WithContext(what);
    if (attempts > 1 && XmlText(r->body, "Code") == "NoSuchUpload") {
      // An earlier attempt may have completed the upload and lost only the answer.
      HttpRequest head = Prepare(S3Request(config_, "HEAD", key_));
      Result<HttpResponse> h = SendWithRetry(client_, head, policy_, IsTransientS3Answer);
      if (h.ok() && h->status == 200) return StripQuotes(h->Header("etag"));
    }
    if (IsFailedAnswer(*r)) return AnswerError(what, *r, attempts);
    return StripQuotes(XmlText(r->body, "ETag"));
  }

  /// AbortMultipartUpload, best effort and not cancellable (the run may be cancelled
  /// already). Returns a clause for the error message.
  std::string Abort() {
    WaitAll();
    if (upload_id_.empty()) return "";
    HttpRequest req = S3Request(config_, "DELETE", key_, UploadIdQuery());
    req.timeout_ms = 30'000;
    req.connect_timeout_ms = std::min<int64_t>(options_.connect_timeout_ms, 10'000);
    RetryPolicy policy = policy_;
    policy.max_retries = std::min(policy.max_retries, 2);
    Result<HttpResponse> r = SendWithRetry(client_, req, policy, IsTransientS3Answer);
    std::string id = "multipart upload " + upload_id_;
    if (!r.ok()) {
      return "; aborting " + id + " failed too (" + r.status().message() +
             "): its parts stay stored until a bucket lifecycle rule removes them";
    }
    if (r->status == 204 || r->status == 200 || r->status == 404) return "; " + id + " aborted";
    return "; aborting " + id + " failed too (" +
           S3ErrorStatus("AbortMultipartUpload", *r).message() +
           "): its parts stay stored until a bucket lifecycle rule removes them";
  }

  /// PutObject of `body` in one request; returns S3's ETag.
  Result<std::string> PutSingle(std::string body) {
    uint64_t size = body.size();
    HttpRequest req = Prepare(S3Request(config_, "PUT", key_, "", std::move(body)));
    AddObjectHeaders(&req);
    int attempts = 0;
    Result<HttpResponse> r = SendWithRetry(client_, req, policy_, IsTransientS3Answer, &attempts);
    retries_ += attempts - 1;
    if (!r.ok()) return r.status().WithContext(where_);
    if (IsFailedAnswer(*r)) return AnswerError(where_, *r, attempts);
    bytes_uploaded_ = size;
    parts_uploaded_ = 1;
    return StripQuotes(r->Header("etag"));
  }

 private:
  struct InFlight {
    int number;
    uint64_t size;
    std::future<PartOutcome> future;
  };

  std::string UploadIdQuery() const { return "uploadId=" + UrlEncode(upload_id_); }

  HttpRequest Prepare(HttpRequest req) const {
    req.timeout_ms = options_.request_timeout_ms;
    req.connect_timeout_ms = options_.connect_timeout_ms;
    req.cancel = options_.cancel;
    return req;
  }

  void AddObjectHeaders(HttpRequest* req) const {
    std::string type = options_.content_type;
    if (type.empty()) type = options_.compress ? "application/zstd" : "application/octet-stream";
    req->headers.emplace_back("Content-Type", type);
    if (!config_.sse.empty()) {
      req->headers.emplace_back("x-amz-server-side-encryption", config_.sse);
      if (!config_.sse_kms_key_id.empty()) {
        req->headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id",
                                  config_.sse_kms_key_id);
      }
    }
  }

  PartOutcome SendPart(int number, std::string body) {
    PartOutcome out;
    std::string query = "partNumber=" + std::to_string(number) + "&" + UploadIdQuery();
    HttpRequest req = Prepare(S3Request(config_, "PUT", key_, query, std::move(body)));
    req.headers.emplace_back("Content-Type", "application/octet-stream");
    Result<HttpResponse> r =
        SendWithRetry(client_, req, policy_, IsTransientS3Answer, &out.attempts);
    retries_ += out.attempts - 1;
    std::string what = where_ + ": part " + std::to_string(number);
    if (!r.ok()) {
      out.status = r.status().WithContext(what);
    } else if (IsFailedAnswer(*r)) {
      out.status = AnswerError(what, *r, out.attempts);
    } else {
      out.etag = r->Header("etag");
      if (out.etag.empty()) {
        out.status = Status::Unavailable(what + ": S3 answered HTTP " + std::to_string(r->status) +
                                         " without an ETag");
      }
    }
    return out;
  }

  Status ReapOne() {
    InFlight job = std::move(in_flight_.front());
    in_flight_.pop_front();
    PartOutcome outcome = job.future.get();
    if (!outcome.status.ok()) return outcome.status;
    etags_[job.number - 1] = outcome.etag;
    bytes_uploaded_ += job.size;
    ++parts_uploaded_;
    return Status::Ok();
  }

  /// Waits for the parts being sent; parts deferred to this thread are dropped unsent.
  void WaitAll() {
    for (auto& job : in_flight_) {
      if (job.future.wait_for(std::chrono::seconds(0)) != std::future_status::deferred) {
        job.future.wait();
      }
    }
    in_flight_.clear();
  }

  HttpClient& client_;
  const S3Config& config_;
  const std::string& key_;
  const UploadOptions& options_;
  std::string where_;
  RetryPolicy policy_;
  std::string upload_id_;
  int next_part_ = 1;
  std::vector<std::string> etags_;
  std::deque<InFlight> in_flight_;
  std::atomic<int> retries_{0};
  uint64_t bytes_uploaded_ = 0;
  int parts_uploaded_ = 0;
};

}  // namespace

Result<S3Config> S3ConfigFromEnv(const S3Config& overrides) {
  S3Config c;
  c.endpoint = FirstNonEmpty(
      {overrides.endpoint, Getenv("AWS_ENDPOINT_URL_S3"), Getenv("AWS_ENDPOINT_URL")});
  c.region = FirstNonEmpty(
      {overrides.region, Getenv("AWS_REGION"), Getenv("AWS_DEFAULT_REGION"), "us-east-1"});
  c.bucket = overrides.bucket;
  if (!overrides.access_key.empty()) {
    c.access_key = overrides.access_key;
    c.secret_key = overrides.secret_key;
    c.session_token = overrides.session_token;
  } else {
    c.access_key = Getenv("AWS_ACCESS_KEY_ID");
    c.secret_key = FirstNonEmpty({overrides.secret_key, Getenv("AWS_SECRET_ACCESS_KEY")});
    c.session_token = FirstNonEmpty({overrides.session_token, Getenv("AWS_SESSION_TOKEN")});
  }
  c.sse = overrides.sse;
  c.sse_kms_key_id = overrides.sse_kms_key_id;
  RegisterSecret(c.secret_key);
  RegisterSecret(c.session_token);

  while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();
  if (!c.endpoint.empty() && !StartsWith(c.endpoint, "http://") &&
      !StartsWith(c.endpoint, "https://")) {
    return Status::Invalid("S3 endpoint '" + Redact(c.endpoint) +
                           "' is not an http:// or https:// URL");
  }
  if (c.bucket.empty()) return Status::Invalid("no S3 bucket given");
  if (c.bucket.find_first_of("/ \t\r\n?#") != std::string::npos) {
    return Status::Invalid("S3 bucket '" + c.bucket +
                           "' is not a bucket name (no '/', '?', spaces)");
  }
  if (c.access_key.empty() || c.secret_key.empty()) {
    return Status::Invalid(
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give "
        "access_key and secret_key");
  }
  if (!c.sse.empty() && c.sse != "AES256" && c.sse != "aws:kms") {
    return Status::Invalid("S3 server-side encryption '" + c.sse +
                           "' is not one of AES256, aws:kms");
  }
  if (!c.sse_kms_key_id.empty() && c.sse != "aws:kms") {
    return Status::Invalid("an SSE KMS key id needs sse 'aws:kms'");
  }
  c.path_style = !c.endpoint.empty() || c.bucket.find('.') != std::string::npos;
  return c;
}

std::string S3ObjectUrl(const S3Config& config, const std::string& key) {
  std::string path = key.empty() ? "" : "/" + UrlEncode(key, /*keep_slash=*/true);
  if (!config.endpoint.empty()) return config.endpoint + "/" + config.bucket + path;
  std::string region = config.region.empty() ? "us-east-1" : config.region;
  if (config.path_style) {
    return "https://s3." + region + ".amazonaws.com/" + config.bucket + path;
  }
  return "https://" + config.bucket + ".s3." + region + ".amazonaws.com" +
         (path.empty() ? "/" : path);
}

HttpRequest S3Request(const S3Config& config, const std::string& method, const std::string& key,
                      const std::string& query, std::string body) {
  HttpRequest req;
  req.method = method;
  req.url = S3ObjectUrl(config, key) + (query.empty() ? "" : "?" + query);
  req.headers.emplace_back("x-amz-content-sha256",
                           body.empty() ? std::string(kEmptySha256) : Sha256Hex(body));
  if (!config.session_token.empty()) {
    req.headers.emplace_back("x-amz-security-token", config.session_token);
  }
  req.body = std::move(body);
  req.aws_sigv4 =
      "aws:amz:" + (config.region.empty() ? std::string("us-east-1") : config.region) + ":s3";
  req.user_password = config.access_key + ":" + config.secret_key;
  return req;
}

Status S3ErrorStatus(const std::string& what, const HttpResponse& response) {
  std::string code = XmlText(response.body, "Code");
  std::string message = XmlText(response.body, "Message");
  std::string text = what + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  Code kind = Code::kInvalidArgument;
  if (code == "NoSuchBucket") {
    kind = Code::kNotFound;
    text += " (create the bucket, or check the bucket name and endpoint)";
  } else if (response.status == 404) {
    kind = Code::kNotFound;
  } else if (response.status == 401 || response.status == 403 || code == "ExpiredToken" ||
             code == "InvalidToken" || code == "TokenRefreshRequired") {
    kind = Code::kFailedPrecondition;
    text += " (check the access key, secret key, session token and region)";
  } else if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
             response.status == 301) {
    kind = Code::kFailedPrecondition;
    text += " (the bucket lives in another region: set AWS_REGION or region)";
  } else if (response.status >= 500 || IsTransientS3Code(code)) {
    kind = Code::kUnavailable;
  }
  return Status(kind, Redact(text));
}

Json UploadResultToJson(const UploadResult& r) {
  Json j;
  j["url"] = r.url;
  j["s3_uri"] = r.s3_uri;
  j["bucket"] = r.bucket;
  j["key"] = r.key;
  j["bytes_in"] = r.bytes_in;
  j["bytes_out"] = r.bytes_out;
  j["sha256_in"] = r.sha256_in;
  j["sha256_out"] = r.sha256_out;
  j["compressed"] = r.compressed;
  j["multipart"] = r.multipart;
  j["parts"] = r.parts;
  j["retries"] = r.retries;
  j["etag"] = r.etag;
  j["duration_ms"] = r.duration_ms;
  return j;
}

Result<UploadResult> UploadFile(HttpClient& client, const S3Config& config, const std::string& path,
                                const std::string& key, const UploadOptions& options) {
  auto started = std::chrono::steady_clock::now();
  std::string where = "s3.upload s3://" + config.bucket + "/" + key;
  MEDIC_RETURN_IF_ERROR(ValidateKey(key).WithContext("s3.upload"));
  if (options.part_size < kMinPartSize) {
    return Status::Invalid(where + ": part_size " + std::to_string(options.part_size) +
                           " is below S3's minimum of 5 MiB");
  }

  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string text = where + ": cannot open " + path + ": " + ErrnoText(err);
    return err == ENOENT ? Status::NotFound(text) : Status::Io(text);
  }
  FileCloser closer(fd);
  struct stat st = {};
  if (fstat(fd, &st) != 0) {
    return Status::Io(where + ": cannot stat " + path + ": " + ErrnoText(errno));
  }
  if (S_ISDIR(st.st_mode)) return Status::Invalid(where + ": " + path + " is a directory");
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  uint64_t total = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;

  // Grow parts (in whole MiB) for inputs so large that the part limit would be reached.
  size_t part_size = options.part_size;
  uint64_t needed = total / kPlannedMaxParts + 1;
  if (needed > part_size) part_size = static_cast<size_t>((needed + (1 << 20) - 1) >> 20 << 20);

  std::unique_ptr<ZstdCompressor> compressor;
  if (options.compress) {
    auto created = ZstdCompressor::Create(options.level, options.workers);
    if (!created.ok()) return created.status().WithContext(where);
    compressor = std::move(*created);
  }

  Upload upload(client, config, key, options, where);
  // Two read buffers: one is hashed in the background while the other is compressed.
  // Declared before the hasher, which may still be reading one when an error returns.
  std::vector<char> buffers[2] = {std::vector<char>(kReadChunk), std::vector<char>(kReadChunk)};
  BackgroundSha256 sha_in;
  Sha256 sha_out;
  UploadProgress progress;
  progress.bytes_total = total;
  uint64_t bytes_out = 0;
  std::string part;
  part.reserve(part_size);

  auto report = [&] {
    if (!options.progress) return;
    progress.bytes_uploaded = upload.bytes_uploaded();
    progress.parts_uploaded = upload.parts_uploaded();
    options.progress(progress);
  };
  // Fills parts to exactly part_size; a full one starts the multipart upload if needed and
  // goes to a worker, and the next part gets a fresh buffer.
  auto emit = [&](std::string_view bytes) -> Status {
    sha_out.Update(bytes);
    bytes_out += bytes.size();
    while (!bytes.empty()) {
      size_t take = std::min(bytes.size(), part_size - part.size());
      part.append(bytes.data(), take);
      bytes.remove_prefix(take);
      if (part.size() == part_size) {
        if (!upload.multipart()) MEDIC_RETURN_IF_ERROR(upload.Begin());
        MEDIC_RETURN_IF_ERROR(upload.Submit(std::move(part)));
        part = std::string();
        part.reserve(part_size);
      }
    }
    return Status::Ok();
  };

  auto fail = [&](const Status& s) -> Status {
    return Status(s.code(), s.message() + upload.Abort());
  };

  SparseFileReader reader(fd, total);
  for (int k = 0;; k ^= 1) {
    std::vector<char>& chunk = buffers[k];
    if (options.cancel && options.cancel->cancelled()) {
      return fail(Status::Cancelled(where + ": cancelled after reading " +
                                    std::to_string(progress.bytes_read) + " of " +
                                    std::to_string(total) + " bytes"));
    }
    std::string_view data;
    ssize_t n = reader.Next(chunk.data(), chunk.size(), &data);
    if (n < 0) return fail(Status::Io(where + ": reading " + path + ": " + ErrnoText(errno)));
    sha_in.Submit(data);
    progress.bytes_read += data.size();
    bool eof = n == 0;
    Status s = compressor ? compressor->Compress(data, eof, emit) : emit(data);
    if (!s.ok()) return fail(s);
    if (Status reaped = upload.Reap(/*block=*/false); !reaped.ok()) return fail(reaped);
    report();
    if (eof) break;
  }

  UploadResult result;
  if (upload.multipart()) {
    if (!part.empty()) {
      if (Status s = upload.Submit(std::move(part)); !s.ok()) return fail(s);
    }
    Result<std::string> etag = upload.Complete();
    if (!etag.ok()) return fail(etag.status());
    result.etag = *etag;
  } else {
    Result<std::string> etag = upload.PutSingle(std::move(part));
    if (!etag.ok()) return etag.status();
    result.etag = *etag;
  }
  report();

  result.url = S3ObjectUrl(config, key);
  result.s3_uri = "s3://" + config.bucket + "/" + key;
  result.bucket = config.bucket;
  result.key = key;
  result.bytes_in = progress.bytes_read;
  result.bytes_out = bytes_out;
  result.sha256_in = sha_in.HexDigest();
  result.sha256_out = sha_out.HexDigest();
  result.compressed = options.compress;
  result.multipart = upload.multipart();
  result.parts = upload.multipart() ? upload.parts_sent() : 1;
  result.retries = upload.retries();
  result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  return result;
}

}  // namespace medic
