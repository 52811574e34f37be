// `medic validate FILE...`: every problem with file:line:column, step and suggestion.
#include <iostream>

#include "cmd/commands.h"
#include "playbooks/playbook.h"

namespace medic {

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
          std::cout << file << ": ok (" << pb->name << ", " << pb->Steps().size() << " steps)\n";
      } else {
        all_ok = false;
        r["problems"] = Json::array();
        std::string msg = pb.status().message();
        size_t start = 0;
        while (start <= msg.size()) {
          size_t nl = msg.find('\n', start);
          r["problems"].push_back(
              msg.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
          if (nl == std::string::npos) break;
          start = nl + 1;
        }
        if (!flags->json) std::cerr << msg << "\n";
      }
      results.push_back(r);
    }
    if (flags->json) std::cout << results.dump(2) << std::endl;
    ctx.exit_code = all_ok ? kExitOk : kExitUsage;
  });
}

}  // namespace medic
