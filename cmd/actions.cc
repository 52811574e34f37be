// `medic actions`: every action with its parameters, from the same schemas that
// `medic validate` checks against.
#include <iostream>

#include "base/strings.h"
#include "cmd/commands.h"

namespace medic {

void AddActionsCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json = false;
    std::string name;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("actions", "List the actions a playbook step can use, with parameters");
  cmd->add_option("name", flags->name, "show only this action");
  cmd->add_flag("--json", flags->json, "print JSON");
  cmd->callback([flags, &ctx] {
    const Registry& reg = ctx.registry();
    std::vector<std::string> names = reg.Names();
    if (!flags->name.empty()) {
      if (!reg.Find(flags->name))
        return ctx.Fail(Status::NotFound("unknown action '" + flags->name + "'" +
                                         DidYouMean(flags->name, names)),
                        kExitUsage);
      names = {flags->name};
    }
    Json arr = Json::array();
    for (const auto& n : names) {
      const ActionInfo& info = reg.Find(n)->info();
      if (flags->json) {
        Json params = Json::array();
        for (const auto& p : info.params) {
          Json pj = {{"name", p.name},
                     {"type", ParamTypeName(p.type)},
                     {"required", p.required},
                     {"default", p.default_value},
                     {"help", p.help}};
          if (!p.choices.empty()) pj["choices"] = p.choices;
          params.push_back(pj);
        }
        Json outputs = Json::array();
        for (const auto& o : info.outputs) outputs.push_back({{"name", o.name}, {"help", o.help}});
        arr.push_back({{"name", info.name},
                       {"summary", info.summary},
                       {"idempotent", info.idempotent},
                       {"destructive", info.destructive},
                       {"params", params},
                       {"outputs", outputs}});
        continue;
      }
      std::cout << info.name << "  " << info.summary;
      if (info.destructive) std::cout << " [destructive: needs confirmation]";
      if (info.idempotent) std::cout << " [idempotent]";
      std::cout << "\n";
      for (const auto& p : info.params) {
        std::cout << "    " << p.name << " (" << ParamTypeName(p.type)
                  << (p.required ? ", required" : "");
        if (!p.default_value.is_null()) std::cout << ", default " << p.default_value.dump();
        std::cout << ")  " << p.help;
        if (!p.choices.empty()) std::cout << " [" << Join(p.choices, "|") << "]";
        std::cout << "\n";
      }
      if (!info.outputs.empty()) {
        std::vector<std::string> outs;
        for (const auto& o : info.outputs) outs.push_back(o.name);
        std::cout << "    outputs: " << Join(outs, ", ") << "\n";
      }
    }
    if (flags->json) std::cout << arr.dump(2) << std::endl;
  });
}

}  // namespace medic
