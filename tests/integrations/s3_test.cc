// s3.upload against a real s3rver (and a proxy in front of it that drops parts), plus
// SigV4 signing checked against AWS's documented example and, for every request an
// upload makes, against a SigV4 implementation written here from the specification.
#include "integrations/s3.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/redact.h"
#include "integrations/sha256.h"
#include "tests/support/s3_peer.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using testing::FlakyS3Proxy;
using testing::RunCommand;
using testing::S3rverPeer;
using testing::ScopedTempDir;

constexpr size_t kMiB = 1 << 20;
constexpr const char* kBucket = "dumps";

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  for (size_t i = n & ~size_t{7}; i < n; ++i) s[i] = static_cast<char>(rng());
  return s;
}

/// A file of `size` bytes that is a hole except for random data at `extents`
/// (offset, length): the shape of a gcore of an idle Go process.
std::string MakeSparseFile(const std::string& path, size_t size,
                           const std::vector<std::pair<size_t, size_t>>& extents) {
  testing::WriteFile(path, "");
  EXPECT_EQ(truncate(path.c_str(), static_cast<off_t>(size)), 0);
  std::string content(size, '\0');
  FILE* f = std::fopen(path.c_str(), "r+b");
  uint64_t seed = 1;
  for (const auto& [offset, length] : extents) {
    std::string data = RandomBytes(length, seed++);
    std::fseek(f, static_cast<long>(offset), SEEK_SET);
    std::fwrite(data.data(), 1, data.size(), f);
    content.replace(offset, length, data);
  }
  std::fclose(f);
  return content;
}

std::string Unzstd(const std::string& compressed) {
  auto r = RunCommand({"zstd", "-d", "-c", "-q"}, compressed);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

/// Sets environment variables for one scope and restores them after.
class ScopedEnv {
 public:
  void Set(const std::string& name, const std::optional<std::string>& value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

void ClearAwsEnv(ScopedEnv& env) {
  for (const char* name :
       {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
        "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}) {
    env.Set(name, std::nullopt);
  }
}

// ---- SigV4 by hand, from the specification, to check what libcurl signs ----

std::string Hex(const unsigned char* data, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

struct SignedRequest {
  std::string method, path, query;
  std::multimap<std::string, std::string> headers;  ///< lower-case names, trimmed values
  // From the Authorization header:
  std::string access_key, date, region, service, signed_headers, signature;
};

std::string Trimmed(std::string v) {
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  return v;
}

/// Parses "METHOD target HTTP/1.1\r\nName: value\r\n...".
SignedRequest ParseHead(const std::string& head) {
  SignedRequest r;
  std::vector<std::string> lines;
  for (size_t at = 0; at < head.size();) {
    size_t end = head.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    lines.push_back(head.substr(at, end - at));
    at = end + 2;
  }
  std::string target = lines[0].substr(lines[0].find(' ') + 1);
  r.method = lines[0].substr(0, lines[0].find(' '));
  target = target.substr(0, target.rfind(' '));
  r.path = target.substr(0, target.find('?'));
  if (target.find('?') != std::string::npos) r.query = target.substr(target.find('?') + 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    std::string name = lines[i].substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    r.headers.emplace(name, Trimmed(lines[i].substr(colon + 1)));
  }
  std::string auth = r.headers.find("authorization")->second;
  auto field = [&](const std::string& name) {
    size_t at = auth.find(name + "=");
    if (at == std::string::npos) return std::string();
    at += name.size() + 1;
    return Trimmed(auth.substr(at, auth.find(',', at) - at));
  };
  std::string credential = field("Credential");
  std::vector<std::string> scope;
  for (size_t at = 0;;) {
    size_t slash = credential.find('/', at);
    scope.push_back(credential.substr(at, slash - at));
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  if (scope.size() == 5) {
    r.access_key = scope[0];
    r.date = scope[1];
    r.region = scope[2];
    r.service = scope[3];
  }
  r.signed_headers = field("SignedHeaders");
  r.signature = field("Signature");
  return r;
}

/// The SigV4 signature of `r` with `secret`, computed as the AWS specification describes.
std::string SigV4(const SignedRequest& r, const std::string& secret) {
  std::vector<std::string> params;
  for (size_t at = 0; !r.query.empty();) {
    size_t amp = r.query.find('&', at);
    std::string p = r.query.substr(at, amp - at);
    if (p.find('=') == std::string::npos) p += "=";
    params.push_back(p);
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string canonical_query;
  for (const auto& p : params) canonical_query += (canonical_query.empty() ? "" : "&") + p;

  std::string canonical_headers;
  for (size_t at = 0;;) {
    size_t semi = r.signed_headers.find(';', at);
    std::string name = r.signed_headers.substr(at, semi - at);
    std::string values;
    auto [lo, hi] = r.headers.equal_range(name);
    for (auto it = lo; it != hi; ++it) values += (values.empty() ? "" : ",") + it->second;
    canonical_headers += name + ":" + values + "\n";
    if (semi == std::string::npos) break;
    at = semi + 1;
  }
  std::string amz_date = r.headers.find("x-amz-date")->second;
  std::string payload = r.headers.find("x-amz-content-sha256")->second;
  std::string canonical = r.method + "\n" + r.path + "\n" + canonical_query + "\n" +
                          canonical_headers + "\n" + r.signed_headers + "\n" + payload;
  std::string scope = r.date + "/" + r.region + "/" + r.service + "/aws4_request";
  std::string to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(canonical);
  std::string key =
      Hmac(Hmac(Hmac(Hmac("AWS4" + secret, r.date), r.region), r.service), "aws4_request");
  std::string sig = Hmac(key, to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

// The "GET Object" example of AWS's "Signature Calculations for the Authorization Header"
// (Signature Version 4, Amazon S3 API reference).
constexpr const char* kExampleKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kExampleEmptySha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kExampleAuthorization =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

TEST(S3Signing, TheHandWrittenVerifierReproducesTheAwsDocumentedGetObjectExample) {
  SignedRequest r = ParseHead(
      std::string("GET /test.txt HTTP/1.1\r\n"
                  "Host: examplebucket.s3.amazonaws.com\r\n"
                  "Authorization: ") +
      kExampleAuthorization +
      "\r\n"
      "Range: bytes=0-9\r\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n"
      "x-amz-date: 20130524T000000Z\r\n\r\n");
  EXPECT_EQ(SigV4(r, kExampleSecret),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(r.signature, SigV4(r, kExampleSecret));
}

TEST(S3Signing, CurlProducesTheAwsDocumentedAuthorizationForTheGetObjectExample) {
  httplib::Server server;
  std::mutex mu;
  std::string authorization;
  server.Get("/test.txt", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    authorization = req.get_header_value("Authorization");
    res.set_content("0123456789", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { server.listen_after_bind(); });

  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/test.txt";
  // curl takes the date from a caller's x-amz-date instead of the clock.
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", kExampleEmptySha},
                 {"x-amz-date", "20130524T000000Z"}};
  req.aws_sigv4 = "aws:amz:us-east-1:s3";
  req.user_password = std::string(kExampleKey) + ":" + kExampleSecret;
  Result<HttpResponse> r = CurlHttpClient().Send(req);
  server.stop();
  thread.join();
  ASSERT_TRUE(r.ok()) << r.status().message();

  // curl separates the fields with ", " where the example has ","; both are valid.
  std::string got = authorization;
  for (size_t at; (at = got.find(", ")) != std::string::npos;) got.erase(at + 1, 1);
  EXPECT_EQ(got, kExampleAuthorization);
}

TEST(S3Config, ExplicitParametersOverrideTheEnvironment) {
  ScopedEnv env;
  ClearAwsEnv(env);
  env.Set("AWS_ACCESS_KEY_ID", "ENVKEY");
  env.Set("AWS_SECRET_ACCESS_KEY", "env-secret-value");
  env.Set("AWS_SESSION_TOKEN", "env-session-token");
  env.Set("AWS_REGION", "eu-west-1");
  env.Set("AWS_ENDPOINT_URL", "http://env-endpoint:9000/");

  S3Config only_bucket;
  only_bucket.bucket = "b";
  Result<S3Config> from_env = S3ConfigFromEnv(only_bucket);
  ASSERT_TRUE(from_env.ok()) << from_env.status().message();
  EXPECT_EQ(from_env->access_key, "ENVKEY");
  EXPECT_EQ(from_env->secret_key, "env-secret-value");
  EXPECT_EQ(from_env->session_token, "env-session-token");
  EXPECT_EQ(from_env->region, "eu-west-1");
  EXPECT_EQ(from_env->endpoint, "http://env-endpoint:9000");

  S3Config explicit_config;
  explicit_config.bucket = "b";
  explicit_config.access_key = "PARAMKEY";
  explicit_config.secret_key = "param-secret";
  explicit_config.region = "ap-south-1";
  explicit_config.endpoint = "https://minio.example:9000";
  Result<S3Config> c = S3ConfigFromEnv(explicit_config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key, "PARAMKEY");
  EXPECT_EQ(c->secret_key, "param-secret");
  EXPECT_EQ(c->session_token, "") << "credentials are a set: the env's token is not mixed in";
  EXPECT_EQ(c->region, "ap-south-1");
  EXPECT_EQ(c->endpoint, "https://minio.example:9000");
}

TEST(S3Config, CustomEndpointsUsePathStyleAndAwsUsesVirtualHostedUrls) {
  ScopedEnv env;
  ClearAwsEnv(env);
  S3Config o;
  o.access_key = "K";
  o.secret_key = "secret";
  o.bucket = "dumps";
  o.region = "eu-central-1";
  Result<S3Config> aws = S3ConfigFromEnv(o);
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(S3ObjectUrl(*aws, "cores/a b.zst"),
            "https://dumps.s3.eu-central-1.amazonaws.com/cores/a%20b.zst");

  o.bucket = "dumps.example.com";  // dots break the *.s3 TLS wildcard
  EXPECT_EQ(S3ObjectUrl(*S3ConfigFromEnv(o), "k"),
            "https://s3.eu-central-1.amazonaws.com/dumps.example.com/k");

  o.bucket = "dumps";
  o.endpoint = "http://127.0.0.1:9000";
  EXPECT_EQ(S3ObjectUrl(*S3ConfigFromEnv(o), "cores/core.1"),
            "http://127.0.0.1:9000/dumps/cores/core.1");
}

TEST(S3Config, MissingCredentialsOrBucketAreClearErrors) {
  ScopedEnv env;
  ClearAwsEnv(env);
  S3Config o;
  o.bucket = "dumps";
  Result<S3Config> c = S3ConfigFromEnv(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);

  o.bucket = "";
  o.access_key = "K";
  o.secret_key = "secret";
  EXPECT_NE(S3ConfigFromEnv(o).status().message().find("bucket"), std::string::npos);

  o.bucket = "dumps";
  o.sse = "aes256";
  EXPECT_NE(S3ConfigFromEnv(o).status().message().find("AES256, aws:kms"), std::string::npos);
}

TEST(S3Config, SecretsReadFromTheEnvironmentAreRedacted) {
  ScopedEnv env;
  ClearAwsEnv(env);
  env.Set("AWS_ACCESS_KEY_ID", "K");
  env.Set("AWS_SECRET_ACCESS_KEY", "s3-config-test-secret-0123");
  env.Set("AWS_SESSION_TOKEN", "s3-config-test-token-4567");
  S3Config o;
  o.bucket = "dumps";
  ASSERT_TRUE(S3ConfigFromEnv(o).ok());
  std::string text = Redact("secret s3-config-test-secret-0123 token s3-config-test-token-4567");
  EXPECT_EQ(text.find("s3-config-test"), std::string::npos) << text;
}

TEST(S3ErrorStatus, NamesTheHttpStatusAndTheS3CodeAndMessage) {
  HttpResponse r;
  r.status = 404;
  r.body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
      "<Message>The specified bucket does not exist</Message></Error>";
  Status s = S3ErrorStatus("s3.upload s3://nope/k", r);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(
      s.message().rfind(
          "s3.upload s3://nope/k: HTTP 404 NoSuchBucket: The specified bucket does not exist", 0),
      0u)
      << s.message();

  r.status = 503;
  r.body =
      "<Error><Code>SlowDown</Code><Message>Reduce your request rate &amp; retry</Message></Error>";
  s = S3ErrorStatus("x", r);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.message(), "x: HTTP 503 SlowDown: Reduce your request rate & retry");
}

// ---- Uploads against s3rver ----

class S3Upload : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir();
    std::filesystem::create_directories(dir_->Join("s3"));
    peer_ = new S3rverPeer();
    start_error_ = peer_->Start(dir_->Join("s3"), {kBucket});
  }
  static void TearDownTestSuite() {
    delete peer_;
    delete dir_;
  }
  void SetUp() override { ASSERT_EQ(start_error_, ""); }

  static S3Config Config(const std::string& endpoint, const std::string& bucket = kBucket) {
    S3Config o;
    o.endpoint = endpoint;
    o.bucket = bucket;
    o.access_key = testing::kS3rverKey;
    o.secret_key = testing::kS3rverSecret;
    Result<S3Config> c = S3ConfigFromEnv(o);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return *c;
  }
  static S3Config Config() { return Config(peer_->endpoint()); }

  /// Small parts and quick retries, so tests stay fast.
  static UploadOptions Options() {
    UploadOptions o;
    o.part_size = 5 * kMiB;
    o.retry_base_ms = 5;
    o.retry_max_ms = 20;
    o.request_timeout_ms = 20'000;
    return o;
  }

  /// The object's bytes as s3rver stores them.
  static std::string Get(const std::string& key) {
    HttpRequest req = S3Request(Config(), "GET", key);
    req.max_response_bytes = 256 * kMiB;
    Result<HttpResponse> r = test::RealEnv().http->Send(req);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }

  std::string Path(const std::string& name) { return tmp_.Join(name); }

  static ScopedTempDir* dir_;
  static S3rverPeer* peer_;
  static std::string start_error_;
  ScopedTempDir tmp_;
  CurlHttpClient client_;
};

ScopedTempDir* S3Upload::dir_ = nullptr;
S3rverPeer* S3Upload::peer_ = nullptr;
std::string S3Upload::start_error_;

TEST_F(S3Upload, ASmallFileGoesUpInOnePutAndReadsBackByteForByte) {
  std::string content = RandomBytes(100'000, 7);
  testing::WriteFile(Path("small"), content);
  UploadOptions o = Options();
  o.compress = false;
  Result<UploadResult> r = UploadFile(client_, Config(), Path("small"), "cores/small.bin", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->multipart);
  EXPECT_EQ(r->parts, 1);
  EXPECT_EQ(r->bytes_in, content.size());
  EXPECT_EQ(r->bytes_out, content.size());
  EXPECT_EQ(r->sha256_in, Sha256Hex(content));
  EXPECT_EQ(r->sha256_out, r->sha256_in);
  EXPECT_EQ(r->url, peer_->endpoint() + "/dumps/cores/small.bin");
  EXPECT_EQ(r->s3_uri, "s3://dumps/cores/small.bin");
  EXPECT_FALSE(r->etag.empty());
  EXPECT_EQ(Get("cores/small.bin"), content);
}

TEST_F(S3Upload, AnEmptyFileBecomesAnEmptyObject) {
  testing::WriteFile(Path("empty"), "");
  UploadOptions o = Options();
  o.compress = false;
  Result<UploadResult> r = UploadFile(client_, Config(), Path("empty"), "cores/empty", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->bytes_in, 0u);
  EXPECT_EQ(r->bytes_out, 0u);
  EXPECT_EQ(r->sha256_in, Sha256Hex(""));
  EXPECT_EQ(Get("cores/empty"), "");
}

TEST_F(S3Upload, ACompressedUploadDecompressesToTheOriginalBytes) {
  std::string content;
  for (int i = 0; content.size() < 3 * kMiB; ++i) {
    content += "goroutine " + std::to_string(i) + " [chan receive, " + std::to_string(i % 97) +
               " minutes]:\nmain.worker(...)\n\t/app/main.go:42 +0x1d\n";
  }
  testing::WriteFile(Path("text"), content);
  Result<UploadResult> r = UploadFile(client_, Config(), Path("text"), "cores/text.zst", Options());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->compressed);
  EXPECT_FALSE(r->multipart);
  EXPECT_LT(r->bytes_out * 10, r->bytes_in);
  std::string stored = Get("cores/text.zst");
  EXPECT_EQ(stored.size(), r->bytes_out);
  EXPECT_EQ(Sha256Hex(stored), r->sha256_out);
  EXPECT_EQ(Unzstd(stored), content);
  EXPECT_EQ(r->sha256_in, Sha256Hex(content));
}

TEST_F(S3Upload, MultipartUploadOfASparseFileRoundTripsThroughS3rver) {
  // 12 MiB of incompressible data spread over a 40 MiB sparse file: three 5 MiB parts
  // once compressed.
  std::string content = MakeSparseFile(
      Path("core"), 40 * kMiB, {{0, 4 * kMiB}, {13 * kMiB, 4 * kMiB}, {36 * kMiB, 4 * kMiB}});
  Result<UploadResult> r = UploadFile(client_, Config(), Path("core"), "cores/core.zst", Options());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->multipart);
  EXPECT_EQ(r->parts, 3);
  EXPECT_EQ(r->bytes_in, content.size());
  EXPECT_EQ(r->retries, 0);
  std::string stored = Get("cores/core.zst");
  EXPECT_EQ(stored.size(), r->bytes_out);
  EXPECT_EQ(Sha256Hex(stored), r->sha256_out);
  std::string restored = Unzstd(stored);
  EXPECT_EQ(restored.size(), content.size());
  EXPECT_TRUE(restored == content);
  EXPECT_EQ(Sha256Hex(restored), r->sha256_in);
}

TEST_F(S3Upload, UncompressedMultipartStoresTheFileAsIsAndReportsProgress) {
  std::string content = MakeSparseFile(Path("core"), 11 * kMiB + 123, {{kMiB, 2 * kMiB}});
  std::vector<UploadProgress> seen;
  UploadOptions o = Options();
  o.compress = false;
  o.progress = [&](const UploadProgress& p) { seen.push_back(p); };
  Result<UploadResult> r = UploadFile(client_, Config(), Path("core"), "cores/raw", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->parts, 3);
  EXPECT_EQ(r->sha256_out, r->sha256_in);
  EXPECT_EQ(r->sha256_in, Sha256Hex(content));
  EXPECT_TRUE(Get("cores/raw") == content);

  ASSERT_FALSE(seen.empty());
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].bytes_read, seen[i - 1].bytes_read);
    EXPECT_GE(seen[i].bytes_uploaded, seen[i - 1].bytes_uploaded);
  }
  EXPECT_EQ(seen.front().bytes_total, content.size());
  EXPECT_EQ(seen.back().bytes_read, content.size());
  EXPECT_EQ(seen.back().bytes_uploaded, content.size());
  EXPECT_EQ(seen.back().parts_uploaded, 3);
}

TEST_F(S3Upload, AMissingBucketFailsAsNotFoundNamingTheBucketWithoutRetrying) {
  FlakyS3Proxy proxy(peer_->port());
  ASSERT_TRUE(proxy.Start());
  testing::WriteFile(Path("f"), "core");
  Result<UploadResult> r =
      UploadFile(client_, Config(proxy.endpoint(), "no-such-bucket"), Path("f"), "k", Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("s3://no-such-bucket/k"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 404 NoSuchBucket"), std::string::npos) << m;
  EXPECT_EQ(proxy.Count("PUT", "/no-such-bucket/k"), 1) << "a 404 is not worth retrying";
}

TEST_F(S3Upload, AnUnreachableEndpointFailsAsUnavailableNamingTheEndpoint) {
  int port = testing::FreePort();
  testing::WriteFile(Path("f"), "core");
  UploadOptions o = Options();
  o.max_retries = 2;
  Result<UploadResult> r =
      UploadFile(client_, Config("http://127.0.0.1:" + std::to_string(port)), Path("f"), "k", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << m;
  EXPECT_NE(m.find("cannot connect"), std::string::npos) << m;
  EXPECT_NE(m.find("after 3 attempts"), std::string::npos) << m;
}

TEST_F(S3Upload, AMissingFileFailsAsNotFoundBeforeTalkingToS3) {
  Result<UploadResult> r = UploadFile(client_, Config(), Path("absent"), "k", Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find(Path("absent")), std::string::npos);
}

TEST_F(S3Upload, APartDroppedMidTransferIsRetriedAndTheUploadSucceeds) {
  FlakyS3Proxy proxy(peer_->port());
  ASSERT_TRUE(proxy.Start());
  proxy.DropPart(2, 1);
  std::string content = RandomBytes(12 * kMiB, 3);
  testing::WriteFile(Path("core"), content);
  UploadOptions o = Options();
  o.compress = false;
  Result<UploadResult> r = UploadFile(client_, Config(proxy.endpoint()), Path("core"), "flaky", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->parts, 3);
  EXPECT_EQ(r->retries, 1);
  EXPECT_EQ(proxy.Count("PUT", "partNumber=2&"), 2);
  EXPECT_EQ(proxy.Count("PUT", "partNumber=1&"), 1);
  EXPECT_TRUE(Get("flaky") == content);
}

TEST_F(S3Upload, APartThatFailsEveryTimeAbortsTheUploadAndTheErrorNamesThePart) {
  FlakyS3Proxy proxy(peer_->port());
  ASSERT_TRUE(proxy.Start());
  proxy.DropPart(2, -1);
  proxy.AnswerAbort(true);
  testing::WriteFile(Path("core"), RandomBytes(12 * kMiB, 4));
  UploadOptions o = Options();
  o.compress = false;
  o.max_retries = 2;
  Result<UploadResult> r = UploadFile(client_, Config(proxy.endpoint()), Path("core"), "doomed", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  const std::string m = r.status().message();
  EXPECT_NE(m.find("s3://dumps/doomed: part 2"), std::string::npos) << m;
  EXPECT_NE(m.find("after 3 attempts"), std::string::npos) << m;
  EXPECT_NE(m.find("aborted"), std::string::npos) << m;
  EXPECT_EQ(proxy.Count("PUT", "partNumber=2&"), 3);
  EXPECT_EQ(proxy.Count("DELETE", "/dumps/doomed?uploadId="), 1);
  EXPECT_EQ(proxy.Count("POST", "/dumps/doomed?uploadId="), 0) << "never completed";
}

TEST_F(S3Upload, CancellingStopsTheUploadAndAbortsIt) {
  FlakyS3Proxy proxy(peer_->port());
  ASSERT_TRUE(proxy.Start());
  proxy.AnswerAbort(true);
  testing::WriteFile(Path("core"), RandomBytes(12 * kMiB, 5));
  CancelToken cancel;
  UploadOptions o = Options();
  o.compress = false;
  o.cancel = &cancel;
  o.progress = [&](const UploadProgress& p) {
    if (p.bytes_read >= 6 * kMiB) cancel.Cancel();
  };
  Result<UploadResult> r =
      UploadFile(client_, Config(proxy.endpoint()), Path("core"), "stopped", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().message();
  EXPECT_NE(r.status().message().find("aborted"), std::string::npos) << r.status().message();
  EXPECT_EQ(proxy.Count("DELETE", "/dumps/stopped?uploadId="), 1);
}

TEST_F(S3Upload, ErrorsNameTheS3CodeButNeverTheSecretKey) {
  testing::WriteFile(Path("f"), "core");
  S3Config c = Config();
  c.access_key = "UNKNOWNKEY";
  c.secret_key = "s3-test-secret-never-printed";
  RegisterSecret(c.secret_key);
  Result<UploadResult> r = UploadFile(client_, c, Path("f"), "k", Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("HTTP 403 InvalidAccessKeyId"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find("s3-test-secret"), std::string::npos);
}

TEST_F(S3Upload, ServerSideEncryptionHeadersGoWithTheObject) {
  FlakyS3Proxy proxy(peer_->port());
  ASSERT_TRUE(proxy.Start());
  testing::WriteFile(Path("f"), "core");
  S3Config c = Config(proxy.endpoint());
  c.sse = "aws:kms";
  c.sse_kms_key_id = "alias/medic-cores";
  Result<UploadResult> r = UploadFile(client_, c, Path("f"), "sse", Options());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> heads = proxy.heads();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_NE(heads[0].find("x-amz-server-side-encryption: aws:kms\r\n"), std::string::npos);
  EXPECT_NE(heads[0].find("x-amz-server-side-encryption-aws-kms-key-id: alias/medic-cores\r\n"),
            std::string::npos);
}

TEST_F(S3Upload, EveryRequestOfAMultipartUploadCarriesAValidSigV4Signature) {
  FlakyS3Proxy proxy(peer_->port());
  ASSERT_TRUE(proxy.Start());
  testing::WriteFile(Path("core"), RandomBytes(6 * kMiB, 6));
  S3Config c = Config(proxy.endpoint());
  c.session_token = "session-token-for-signing";
  UploadOptions o = Options();
  o.compress = false;
  Result<UploadResult> r = UploadFile(client_, c, Path("core"), "signed/core 1+2.bin", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> heads = proxy.heads();
  ASSERT_EQ(heads.size(), 4u);  // create, two parts, complete
  for (const auto& head : heads) {
    SignedRequest req = ParseHead(head);
    SCOPED_TRACE(head.substr(0, head.find("\r\n")));
    EXPECT_EQ(req.access_key, "S3RVER");
    EXPECT_EQ(req.region, "us-east-1");
    EXPECT_EQ(req.service, "s3");
    EXPECT_NE(req.signed_headers.find("x-amz-content-sha256"), std::string::npos);
    EXPECT_NE(req.signed_headers.find("x-amz-security-token"), std::string::npos);
    EXPECT_EQ(req.signed_headers.find("expect"), std::string::npos);
    EXPECT_EQ(req.signature, SigV4(req, testing::kS3rverSecret));
  }
}

}  // namespace
}  // namespace medic
