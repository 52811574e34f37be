#include "env/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace medic {
namespace {

Result<std::string> ReadUpTo(const std::string& path, size_t max_bytes, bool* more) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::string out(max_bytes, '\0');
  f.read(out.data(), static_cast<std::streamsize>(max_bytes));
  if (f.bad()) return Status::Io("cannot read " + path + ": read failed");
  out.resize(static_cast<size_t>(f.gcount()));
  if (more) *more = f.peek() != std::ifstream::traits_type::eof();
  return out;
}

}  // namespace

Result<std::string> ReadFileHead(const std::string& path, size_t max_bytes) {
  return ReadUpTo(path, max_bytes, nullptr);
}

Result<std::string> ReadWholeFile(const std::string& path, size_t max_bytes) {
  bool more = false;
  auto text = ReadUpTo(path, max_bytes, &more);
  if (text.ok() && more)
    return Status::Invalid(path + " is larger than " + std::to_string(max_bytes) +
                           " bytes, more than medic reads from such a file");
  return text;
}

Result<std::string> LocalFileSystem::Read(const std::string& path, size_t max_bytes) {
  return ReadWholeFile(path, max_bytes);
}

}  // namespace medic
