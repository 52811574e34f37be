// s3_upload_tool: runs UploadFile from the command line, for scripts/bench-s3 and manual
// checks until the s3.upload action is wired into medic. Credentials, region and endpoint
// come from the AWS_* environment unless given; prints the UploadResult as JSON.
//
//   s3_upload_tool --bucket B --key K [--endpoint URL] [--region R] [--level N]
//                  [--workers N] [--part-size-mib N] [--parallel N] [--no-compress]
//                  [--sse AES256|aws:kms] [--progress] FILE
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "integrations/s3.h"
#include "tests/support/test_env.h"

namespace {

int Usage(const char* error) {
  std::fprintf(stderr,
               "s3_upload_tool: %s\nusage: s3_upload_tool --bucket B --key K [--endpoint URL] "
               "[--region R] [--level N] [--workers N] [--part-size-mib N] [--parallel N] "
               "[--no-compress] [--sse AES256|aws:kms] [--progress] FILE\n",
               error);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  medic::S3Config overrides;
  medic::UploadOptions options;
  std::string key, path;
  bool show_progress = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    auto number = [&](int* out) {
      const char* v = value();
      if (!v) return false;
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (*end) return false;
      *out = static_cast<int>(n);
      return true;
    };
    int n = 0;
    if (arg == "--bucket" && i + 1 < argc) {
      overrides.bucket = value();
    } else if (arg == "--key" && i + 1 < argc) {
      key = value();
    } else if (arg == "--endpoint" && i + 1 < argc) {
      overrides.endpoint = value();
    } else if (arg == "--region" && i + 1 < argc) {
      overrides.region = value();
    } else if (arg == "--sse" && i + 1 < argc) {
      overrides.sse = value();
    } else if (arg == "--level") {
      if (!number(&options.level)) return Usage("--level needs a number");
    } else if (arg == "--workers") {
      if (!number(&options.workers)) return Usage("--workers needs a number");
    } else if (arg == "--parallel") {
      if (!number(&options.parallel_parts)) return Usage("--parallel needs a number");
    } else if (arg == "--part-size-mib") {
      if (!number(&n) || n <= 0) return Usage("--part-size-mib needs a positive number");
      options.part_size = static_cast<size_t>(n) << 20;
    } else if (arg == "--no-compress") {
      options.compress = false;
    } else if (arg == "--progress") {
      show_progress = true;
    } else if (!arg.empty() && arg[0] != '-' && path.empty()) {
      path = arg;
    } else {
      return Usage(("unexpected argument " + arg).c_str());
    }
  }
  if (path.empty() || key.empty()) return Usage("FILE and --key are required");

  medic::Result<medic::S3Config> config = medic::S3ConfigFromEnv(overrides);
  if (!config.ok()) {
    std::fprintf(stderr, "s3_upload_tool: %s\n", config.status().message().c_str());
    return 1;
  }
  if (show_progress) {
    options.progress = [last = uint64_t{0}](const medic::UploadProgress& p) mutable {
      uint64_t now = (p.bytes_read >> 26) + (p.bytes_uploaded >> 26) + p.parts_uploaded;
      if (now == last && p.bytes_read != p.bytes_total) return;
      last = now;
      std::fprintf(stderr, "\rread %llu/%llu MiB, uploaded %llu MiB in %d parts",
                   static_cast<unsigned long long>(p.bytes_read >> 20),
                   static_cast<unsigned long long>(p.bytes_total >> 20),
                   static_cast<unsigned long long>(p.bytes_uploaded >> 20), p.parts_uploaded);
    };
  }
  medic::Result<medic::UploadResult> result =
      medic::UploadFile(*medic::test::RealEnv().http, *config, path, key, options);
  if (show_progress) std::fprintf(stderr, "\n");
  if (!result.ok()) {
    std::fprintf(stderr, "s3_upload_tool: %s: %s\n", medic::CodeName(result.status().code()),
                 result.status().message().c_str());
    return 1;
  }
  std::printf("%s\n", medic::UploadResultToJson(*result).dump(2).c_str());
  return 0;
}
