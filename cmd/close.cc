// `medic close INCIDENT`: closes an incident by hand (it otherwise closes when all its alerts
// resolve). Later alerts with the same dedup key open a new incident and a new run.
#include <cstdio>

#include "base/redact.h"
#include "cmd/commands.h"
#include "env/env.h"

namespace medic {

void AddCloseCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    int64_t id = 0;
    std::string reason;
    bool dry_run = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("close", "Close an incident (further alerts open a new one)");
  cmd->add_option("incident", flags->id, "incident id (see `medic list`)")->required();
  cmd->add_option("--reason", flags->reason, "why, for the record");
  cmd->add_flag("--dry-run", flags->dry_run, "say what would be closed, close nothing");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    auto incident = (*store)->GetIncident(flags->id);
    if (!incident.ok()) return ctx.Fail(incident.status());
    if (incident->status == "closed") {
      std::printf("incident %lld is already closed\n", static_cast<long long>(flags->id));
      return;
    }
    if (flags->dry_run) {
      std::printf(
          "would close incident %lld (%s); further alerts would open a new one\n"
          "dry run: nothing changed\n",
          static_cast<long long>(flags->id), Redact(incident->title).c_str());
      return;
    }
    std::string why =
        "closed with `medic close`" + (flags->reason.empty() ? "" : ": " + flags->reason);
    Status st = (*store)->CloseIncident(flags->id, ctx.env().clock->NowUnixMs(), Redact(why));
    if (!st.ok()) return ctx.Fail(st);
    std::printf("incident %lld closed\n", static_cast<long long>(flags->id));
  });
}

}  // namespace medic
