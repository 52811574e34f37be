// S3 peers for tests: S3rverPeer runs a real s3rver (npm, installed by
// tests/peers/s3rver/install.sh) on a free loopback port, and FlakyS3Proxy sits in front of
// it, recording every request head and dropping chosen uploads mid-part, so retry and
// abort paths run against real TCP failures.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_support.h"

namespace medic::testing {

/// Access key id and secret s3rver knows.
inline constexpr const char* kS3rverKey = "S3RVER";
inline constexpr const char* kS3rverSecret = "S3RVER";

/// A real s3rver on 127.0.0.1; stopped on destruction.
class S3rverPeer {
 public:
  /// Starts s3rver on a free port, storing objects under `data_dir`, with `buckets`
  /// created. Returns "" when it accepts connections, else what went wrong (e.g. s3rver
  /// is not installed: run tests/peers/s3rver/install.sh).
  std::string Start(const std::string& data_dir, const std::vector<std::string>& buckets);
  void Stop() { process_.Stop(); }
  int port() const { return port_; }
  /// "http://127.0.0.1:<port>".
  std::string endpoint() const;
  /// Where s3rver's npm package lives.
  static std::string PackageDir();

 private:
  PeerProcess process_;
  int port_ = -1;
};

/// A TCP proxy in front of an S3 server. Thread-safe; stops on destruction.
class FlakyS3Proxy {
 public:
  explicit FlakyS3Proxy(int upstream_port) : upstream_port_(upstream_port) {}
  ~FlakyS3Proxy() { Stop(); }
  FlakyS3Proxy(const FlakyS3Proxy&) = delete;
  FlakyS3Proxy& operator=(const FlakyS3Proxy&) = delete;

  /// Listens on a free loopback port. Returns false when it cannot.
  bool Start();
  void Stop();
  int port() const { return port_; }
  std::string endpoint() const;

  /// The next `times` uploads of part `part` (all of them when times < 0) lose their
  /// connection halfway through the body.
  void DropPart(int part, int times);
  /// Answers AbortMultipartUpload (DELETE ?uploadId=) with 204 itself, as S3 does: s3rver
  /// does not implement it.
  void AnswerAbort(bool on) { answer_abort_ = on; }

  /// Every request head seen, in arrival order ("PUT /b/k?partNumber=1&... HTTP/1.1\r\n...").
  std::vector<std::string> heads() const;
  /// How many requests had a request line starting with `method` and containing `part`.
  int Count(const std::string& method, const std::string& part) const;

 private:
  void AcceptLoop();
  void Serve(int client);

  int upstream_port_;
  int port_ = -1;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::atomic<bool> answer_abort_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<std::string> heads_;
  int drop_part_ = 0;
  int drop_times_ = 0;
};

}  // namespace medic::testing
