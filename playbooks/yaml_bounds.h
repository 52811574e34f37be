// Bounds on the YAML medic reads (playbooks, serve configs): a file's size, and the size a
// document reaches once its aliases are expanded. A few hundred bytes of nested anchors
// ("a billion laughs") expand to gigabytes in every later pass over the document; the check
// here walks the parser's events once, counting what each anchor expands to, before any
// node is built. Start with CheckYamlBounds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace medic {

struct YamlBounds {
  uint64_t max_file_bytes = 2u << 20;     ///< the text itself
  uint64_t max_nodes = 200'000;           ///< scalars, sequences and maps, aliases expanded
  uint64_t max_scalar_bytes = 16u << 20;  ///< all scalars' bytes, aliases expanded
  uint64_t max_aliases = 1'000;           ///< `*name` references
};

/// Fails with kInvalidArgument ("FILE: ...: what to do") when `text` is over any bound.
/// A syntax error is not reported here (the loader reports it with its position): Ok.
Status CheckYamlBounds(std::string_view text, const std::string& file,
                       const YamlBounds& bounds = {});

/// Fails with kInvalidArgument when the file at `path` is larger than bounds.max_file_bytes
/// (checked before it is read). Ok when it cannot be stat'ed (the reader reports that).
Status CheckYamlFileSize(const std::string& path, const YamlBounds& bounds = {});

/// The text of the YAML file at `path`, checked with CheckYamlFileSize first (its parser
/// checks CheckYamlBounds); kNotFound
/// says "cannot read WHAT PATH" (`what`: "playbook", "config").
Result<std::string> ReadYamlFile(const std::string& path, const std::string& what,
                                 const YamlBounds& bounds = {});

}  // namespace medic
