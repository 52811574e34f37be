#include "integrations/s3_action.h"

#include <cstdlib>

#include "base/strings.h"
#include "integrations/s3.h"

namespace medic {
namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class UploadAction : public Action {
 public:
  UploadAction() {
    info_.name = "s3.upload";
    info_.summary =
        "Upload a file (zstd-compressed, multipart, sha256 recorded) to S3-compatible storage";
    info_.params = {
        {.name = "file",
         .type = ParamType::kString,
         .required = true,
         .help = "local file to upload"},
        {.name = "key",
         .type = ParamType::kString,
         .default_value = "",
         .help = "object key; default incidents/INCIDENT/run-RUN/FILE[.zst]"},
        {.name = "bucket",
         .type = ParamType::kString,
         .default_value = "",
         .help = "bucket; empty: $MEDIC_S3_BUCKET; none: step skipped"},
        {.name = "endpoint",
         .type = ParamType::kString,
         .default_value = "",
         .help = "S3 endpoint URL; default $AWS_ENDPOINT_URL or AWS"},
        {.name = "region",
         .type = ParamType::kString,
         .default_value = "",
         .help = "signing region; default $AWS_REGION or us-east-1"},
        {.name = "compress",
         .type = ParamType::kBool,
         .default_value = true,
         .help = "zstd-compress on the way"},
        {.name = "level", .type = ParamType::kInt, .default_value = 3, .help = "zstd level"},
        {.name = "part_size",
         .type = ParamType::kSize,
         .default_value = "8MiB",
         .help = "multipart part size (>= 5MiB)"},
        {.name = "sse",
         .type = ParamType::kString,
         .default_value = "",
         .help = "server-side encryption",
         .choices = {"", "AES256", "aws:kms"}},
        {.name = "sse_kms_key_id",
         .type = ParamType::kString,
         .default_value = "",
         .help = "KMS key for sse: aws:kms"},
    };
    info_.idempotent = true;
    info_.outputs = {{"url", "http(s) URL of the object"},
                     {"s3_uri", "s3://bucket/key"},
                     {"sha256_in", "sha256 of the file"},
                     {"sha256_out", "sha256 of the stored object"},
                     {"bytes_in", "file size"},
                     {"bytes_out", "stored size"},
                     {"parts", "parts uploaded"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string bucket = ParamString(with, "bucket");
    if (bucket.empty()) bucket = "$MEDIC_S3_BUCKET";
    return {std::string(ParamBool(with, "compress") ? "zstd | " : "") + "upload " +
            ParamString(with, "file") + " to s3://" + bucket + "/" +
            (ParamString(with, "key").empty() ? "incidents/..." : ParamString(with, "key"))};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    S3Config overrides;
    overrides.bucket = ParamString(with, "bucket");
    if (overrides.bucket.empty()) {
      overrides.bucket = ctx.env().Var("MEDIC_S3_BUCKET");
    }
    if (overrides.bucket.empty())
      return Status::Skipped("not configured: no bucket (set bucket or MEDIC_S3_BUCKET)");
    overrides.endpoint = ParamString(with, "endpoint");
    overrides.region = ParamString(with, "region");
    overrides.sse = ParamString(with, "sse");
    overrides.sse_kms_key_id = ParamString(with, "sse_kms_key_id");
    auto config = S3ConfigFromEnv(overrides);
    if (!config.ok()) return config.status();
    std::string file = ParamString(with, "file");
    bool compress = ParamBool(with, "compress");
    std::string key = ParamString(with, "key");
    if (key.empty()) {
      key = "incidents/" + std::to_string(ctx.incident_id()) + "/run-" +
            std::to_string(ctx.run_id()) + "/" + BaseName(file) + (compress ? ".zst" : "");
    }
    UploadOptions options;
    options.compress = compress;
    options.level = static_cast<int>(ParamInt(with, "level"));
    options.part_size = static_cast<size_t>(ParamInt(with, "part_size"));
    options.cancel = &ctx.cancel();
    options.request_timeout_ms = std::min<int64_t>(options.request_timeout_ms, ctx.RemainingMs());
    int64_t last = 0;
    options.progress = [&](const UploadProgress& p) {
      int64_t now = ctx.clock().MonotonicMs();
      if (now - last < 500) return;
      last = now;
      ctx.Progress("read " + std::to_string(p.bytes_read >> 20) + "/" +
                   std::to_string(p.bytes_total >> 20) + " MiB, uploaded " +
                   std::to_string(p.bytes_uploaded >> 20) + " MiB");
    };
    auto result = UploadFile(ctx.http(), *config, file, key, options);
    if (!result.ok()) return result.status();
    Json j = UploadResultToJson(*result);
    for (auto it = j.begin(); it != j.end(); ++it) outputs[it.key()] = *it;
    ArtifactInfo a;
    a.kind = "upload";
    a.path = file;
    a.url = result->url;
    a.size = static_cast<int64_t>(result->bytes_out);
    a.sha256 = result->sha256_out;
    a.description = result->s3_uri + " (sha256 of the original " + result->sha256_in + ")";
    return ctx.AddArtifact(a);
  }

 private:
  ActionInfo info_;
};

}  // namespace

void RegisterS3Actions(Registry& registry) { (void)registry.Add(std::make_unique<UploadAction>()); }

}  // namespace medic
