#include "playbooks/yaml_bounds.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <filesystem>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "env/files.h"

namespace medic {
namespace {

struct Size {
  uint64_t nodes = 0;
  uint64_t bytes = 0;
};

struct OverBound {
  std::string what;
};

// Counts the expanded size of one document from the parser's events: an anchored node's
// size is recorded when it ends, and each alias adds that size again.
class Counter : public YAML::EventHandler {
 public:
  explicit Counter(const YamlBounds& b) : b_(b) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { Leaf(anchor, 0); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(anchor, value.size());
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (++aliases_ > b_.max_aliases)
      throw OverBound{"more than " + std::to_string(b_.max_aliases) + " aliases (line " +
                      std::to_string(mark.line + 1) + ")"};
    auto it = sizes_.find(anchor);
    if (it != sizes_.end()) Add(it->second);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  void Add(Size s) {
    total_.nodes += s.nodes;
    total_.bytes += s.bytes;
    if (total_.nodes > b_.max_nodes)
      throw OverBound{"more than " + std::to_string(b_.max_nodes) +
                      " values once its aliases are expanded"};
    if (total_.bytes > b_.max_scalar_bytes)
      throw OverBound{"more than " + std::to_string(b_.max_scalar_bytes >> 20) +
                      " MiB of text once its aliases are expanded"};
  }
  void Leaf(YAML::anchor_t anchor, uint64_t bytes) {
    Add({1, bytes});
    if (anchor) sizes_[anchor] = {1, bytes};
  }
  void Open(YAML::anchor_t anchor) {
    open_.push_back({anchor, total_});
    Add({1, 0});
  }
  void Close() {
    if (open_.empty()) return;
    auto [anchor, start] = open_.back();
    open_.pop_back();
    if (anchor) sizes_[anchor] = {total_.nodes - start.nodes, total_.bytes - start.bytes};
  }

  const YamlBounds& b_;
  Size total_;
  uint64_t aliases_ = 0;
  std::unordered_map<YAML::anchor_t, Size> sizes_;
  std::vector<std::pair<YAML::anchor_t, Size>> open_;
};

std::string TooLarge(const std::string& file, uint64_t size, const YamlBounds& b) {
  return file + ": " + std::to_string(size) + " bytes; medic reads YAML files of at most " +
         std::to_string(b.max_file_bytes >> 20) + " MiB (split it, or move data out of it)";
}

}  // namespace

Status CheckYamlBounds(std::string_view text, const std::string& file, const YamlBounds& bounds) {
  if (text.size() > bounds.max_file_bytes)
    return Status::Invalid(TooLarge(file, text.size(), bounds));
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    Counter counter(bounds);
    parser.HandleNextDocument(counter);
  } catch (const OverBound& over) {
    return Status::Invalid(file + ": the YAML holds " + over.what +
                           "; medic refuses it (anchors and aliases that repeat each other "
                           "grow without bound)");
  } catch (const YAML::Exception&) {
    return Status::Ok();  // the loader reports the syntax error with its position
  }
  return Status::Ok();
}

Status CheckYamlFileSize(const std::string& path, const YamlBounds& bounds) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec || size <= bounds.max_file_bytes) return Status::Ok();
  return Status::Invalid(TooLarge(path, size, bounds));
}

Result<std::string> ReadYamlFile(const std::string& path, const std::string& what,
                                 const YamlBounds& bounds) {
  MEDIC_RETURN_IF_ERROR(CheckYamlFileSize(path, bounds));
  auto text = ReadWholeFile(path, bounds.max_file_bytes);
  // "cannot read PATH: No such file or directory" -> "cannot read playbook PATH: ...".
  if (!text.ok() && text.status().code() == Code::kNotFound)
    return Status::NotFound("cannot read " + what + " " +
                            text.status().message().substr(std::string("cannot read ").size()));
  return text;
}

}  // namespace medic
