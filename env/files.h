// Reading files: the two ways medic reads a file whole, and the FileSystem seam that the
// engine and the loaders read playbooks, configs and secret files through. Streams (a log
// to analyze, a core to hash) are read where they are used; everything else comes here.
#pragma once

#include <cstddef>
#include <string>

#include "base/status.h"

namespace medic {

/// Up to `max_bytes` from the start of `path` (a magic number, the head of a log, a key
/// file). kNotFound when it cannot be opened, naming the path.
Result<std::string> ReadFileHead(const std::string& path, size_t max_bytes);

/// The whole of `path`. kNotFound when it cannot be opened; kInvalidArgument, naming the
/// limit, when it holds more than `max_bytes`.
Result<std::string> ReadWholeFile(const std::string& path, size_t max_bytes);

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  /// As ReadWholeFile.
  virtual Result<std::string> Read(const std::string& path, size_t max_bytes) = 0;
};

/// The machine's files.
class LocalFileSystem : public FileSystem {
 public:
  Result<std::string> Read(const std::string& path, size_t max_bytes) override;
};

}  // namespace medic
