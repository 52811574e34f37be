// SHA-256 for integrity records: what medic read and what it uploaded (s3.upload, cores), and
// the x-amz-content-sha256 of each signed S3 request. A thin wrapper over OpenSSL's EVP
// so callers hash streams chunk by chunk without holding them in memory.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"

namespace medic {

/// An incremental SHA-256. Not thread-safe; movable, not copyable.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  /// The digest of everything passed so far as 64 lower-case hex digits. Ends this hash:
  /// call it once.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A Sha256 fed on a background thread, so hashing a large input overlaps whatever the
/// caller does with it next (compressing, sending). Use from one thread.
class BackgroundSha256 {
 public:
  BackgroundSha256();
  ~BackgroundSha256();
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;

  /// Hashes `data` in the background after waiting for the previous chunk to be done.
  /// `data` must stay valid and unchanged until the next Submit() or HexDigest(): double
  /// buffering (read into one buffer while the other is hashed) keeps both threads busy.
  void Submit(std::string_view data);
  /// Waits for everything submitted, then as Sha256::HexDigest().
  std::string HexDigest();

 private:
  void Run();
  void WaitIdle(std::unique_lock<std::mutex>& lock);

  Sha256 sha_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string_view pending_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;  ///< not started when threads cannot be had: Submit hashes inline
};

/// The SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

/// The SHA-256 of the file at `path`, read in 1 MiB chunks, as 64 lower-case hex digits.
/// kIo when it cannot be opened or read.
Result<std::string> Sha256File(const std::string& path);

}  // namespace medic
