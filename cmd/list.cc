// `medic list`: recent runs, newest first.
#include <cstdio>
#include <iostream>

#include "base/strings.h"
#include "cmd/commands.h"

namespace medic {

void AddListCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json = false;
    int limit = 50;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("list", "List recent runs, newest first");
  cmd->add_flag("--json", flags->json, "print JSON");
  cmd->add_option("-n,--limit", flags->limit, "how many (default 50)");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    auto runs = (*store)->ListRuns(flags->limit);
    if (!runs.ok()) return ctx.Fail(runs.status());
    if (flags->json) {
      Json arr = Json::array();
      for (const auto& r : *runs) {
        arr.push_back({{"id", r.id},
                       {"incident_id", r.incident_id},
                       {"playbook", r.playbook},
                       {"status", r.status},
                       {"trigger", r.trigger},
                       {"started_at", r.started_at ? Json(FormatTimeUtc(r.started_at)) : Json(nullptr)},
                       {"ended_at", r.ended_at ? Json(FormatTimeUtc(r.ended_at)) : Json(nullptr)}});
      }
      std::cout << arr.dump(2) << std::endl;
      return;
    }
    if (runs->empty()) {
      std::cout << "no runs yet in " << (*store)->path() << "\n";
      return;
    }
    std::printf("%-6s %-9s %-16s %-24s %s\n", "ID", "INCIDENT", "STATUS", "STARTED (UTC)", "PLAYBOOK");
    for (const auto& r : *runs) {
      std::printf("%-6lld %-9lld %-16s %-24s %s\n", static_cast<long long>(r.id),
                  static_cast<long long>(r.incident_id), r.status.c_str(),
                  r.started_at ? FormatTimeUtc(r.started_at).c_str() : "-", r.playbook.c_str());
    }
  });
}

}  // namespace medic
