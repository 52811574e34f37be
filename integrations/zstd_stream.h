// Streaming zstd compression: feed a large input chunk by chunk and collect the compressed
// bytes as they come, so a multi-gigabyte core dump is never held in memory. Used by
// s3.upload; the frames it writes carry a content checksum and decompress with `zstd -d`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace medic {

/// One zstd frame written incrementally. Not thread-safe; one frame per object.
class ZstdCompressor {
 public:
  /// A compressor at `level` (1..19, or negative for the fast levels) using `workers`
  /// background threads (0 = compress on the caller's thread). kInvalidArgument for a
  /// level zstd does not accept.
  static Result<std::unique_ptr<ZstdCompressor>> Create(int level, int workers);
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  /// Receives compressed bytes in pieces of at most ~128 KiB; an error stops compression
  /// and is returned by Compress.
  using Sink = std::function<Status(std::string_view)>;

  /// Compresses `input`, passing whatever output is ready to `sink` (zstd may hold some
  /// back). With `finish`, flushes everything and closes the frame; the compressor must not
  /// be used after that. kInternal when zstd fails, or the sink's error.
  Status Compress(std::string_view input, bool finish, const Sink& sink);
  /// The same, appending the output to `*out`.
  Status Compress(std::string_view input, bool finish, std::string* out);

 private:
  ZstdCompressor() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medic
