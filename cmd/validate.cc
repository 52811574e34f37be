// `medic validate FILE...`: every problem with file:line:column, step and suggestion.
#include <iostream>
#include <regex>

#include "base/strings.h"
#include "cmd/commands.h"
#include "playbooks/playbook.h"

namespace medic {
namespace {

// One line of a load error, "FILE:LINE:COL: [step 'ID': ]MESSAGE[ (did you mean 'X'?)]", as
// {"file", "line", "column", "step", "message", "suggestion"} (null when absent).
Json ProblemToJson(const std::string& file, const std::string& line) {
  Json j = {{"file", file},    {"line", nullptr}, {"column", nullptr},
            {"step", nullptr}, {"message", line}, {"suggestion", nullptr}};
  std::string rest = line;
  if (StartsWith(rest, file + ":")) {
    static const std::regex kPosition(R"(^(\d+):(\d+): )");
    std::smatch m;
    std::string after = rest.substr(file.size() + 1);
    if (std::regex_search(after, m, kPosition)) {
      j["line"] = std::stoi(m[1]);
      j["column"] = std::stoi(m[2]);
      rest = m.suffix();
    } else {
      rest = std::string(Trim(after));
    }
  }
  static const std::regex kStep(R"(^step '([^']*)': )");
  std::smatch m;
  if (std::regex_search(rest, m, kStep)) {
    j["step"] = m[1].str();
    rest = m.suffix();
  }
  static const std::regex kSuggestion(R"( \(did you mean '([^']*)'\?\))");
  if (std::regex_search(rest, m, kSuggestion)) j["suggestion"] = m[1].str();
  j["message"] = rest;
  return j;
}

}  // namespace

void AddValidateCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    std::vector<std::string> files;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("validate", "Check playbooks without running them");
  cmd->add_option("files", flags->files, "playbook YAML files")->required();
  cmd->add_flag("--json", flags->json, "print JSON");
  cmd->callback([flags, &ctx] {
    Json results = Json::array();
    bool all_ok = true;
    for (const auto& file : flags->files) {
      auto pb = LoadPlaybook(file, ctx.registry());
      Json r = {{"file", file}, {"ok", pb.ok()}};
      if (pb.ok()) {
        r["playbook"] = pb->name;
        r["steps"] = pb->Steps().size();
        if (!flags->json)
          std::cout << file << ": ok (" << pb->name << ", " << pb->Steps().size()
                    << (pb->Steps().size() == 1 ? " step)\n" : " steps)\n");
      } else {
        all_ok = false;
        r["problems"] = Json::array();
        std::string msg = pb.status().message();
        for (const std::string& line : Split(msg, '\n'))
          if (!line.empty()) r["problems"].push_back(ProblemToJson(file, line));
        if (!flags->json) std::cerr << msg << "\n";
      }
      results.push_back(r);
    }
    if (flags->json) std::cout << results.dump(2) << std::endl;
    ctx.exit_code = all_ok ? kExitOk : kExitUsage;
  });
}

}  // namespace medic
