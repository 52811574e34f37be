// The code map of the README as a test: each folder includes only the folders below it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace medic {
namespace {

// Folder -> the folders it may include (besides itself). Keep in step with README "Code map".
const std::map<std::string, std::set<std::string>>& AllowedIncludes() {
  static const std::map<std::string, std::set<std::string>> kAllowed = {
      {"base", {}},
      {"env", {"base"}},
      {"lang", {"base"}},
      {"store", {"base"}},
      {"integrations", {"lang", "env", "base"}},
      {"playbooks", {"integrations", "store", "lang", "env", "base"}},
      {"report", {"store", "base"}},
      {"server", {"report", "playbooks", "integrations", "store", "lang", "env", "base"}},
      {"cmd", {"server", "report", "playbooks", "integrations", "store", "lang", "env", "base"}},
  };
  return kAllowed;
}

TEST(Layers, EachFolderIncludesOnlyTheFoldersBelowIt) {
  namespace fs = std::filesystem;
  const std::regex include(R"re(^\s*#\s*include\s+"([a-z_]+)/)re");
  std::vector<std::string> broken;
  int files = 0;
  for (const auto& [folder, allowed] : AllowedIncludes()) {
    fs::path root = fs::path(testing::SourceDir()) / folder;
    ASSERT_TRUE(fs::is_directory(root)) << root;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      std::string ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".cc" && ext != ".h")) continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        std::string target = m[1];
        if (target == folder || allowed.count(target) || !AllowedIncludes().count(target)) continue;
        broken.push_back(fs::relative(entry.path(), testing::SourceDir()).string() + ":" +
                         std::to_string(n) + ": " + folder + "/ may not include " + target + "/");
      }
    }
  }
  EXPECT_GT(files, 100);
  EXPECT_TRUE(broken.empty()) << [&] {
    std::string all;
    for (const auto& b : broken) all += b + "\n";
    return all;
  }();
}

// Nothing below cmd/ builds its own view of the machine: no process-wide singletons.
TEST(Layers, OnlyCmdBuildsTheSystemEnv) {
  namespace fs = std::filesystem;
  const std::regex singleton(R"(::Default\(\)|SystemEnv\s+\w+|std::getenv\("USER"\))");
  std::vector<std::string> found;
  for (const auto& [folder, allowed] : AllowedIncludes()) {
    if (folder == "cmd" || folder == "env") continue;
    for (const auto& entry :
         fs::recursive_directory_iterator(fs::path(testing::SourceDir()) / folder)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path());
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        if (std::regex_search(line, singleton))
          found.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + line);
      }
    }
  }
  EXPECT_TRUE(found.empty()) << found.size() << " found, first: " << found.front();
}

}  // namespace
}  // namespace medic
