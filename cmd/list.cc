// `medic list`: recent runs, newest first (--json: each run as `medic show --json` prints it,
// without its steps); `--unrouted`: alerts no serve route matched.
#include <cstdio>
#include <iostream>

#include "base/strings.h"
#include "cmd/commands.h"
#include "report/record_json.h"
#include "store/alerts.h"

namespace medic {
namespace {

void ListUnrouted(Context& ctx, Store& store, int limit, bool json) {
  auto alerts = AlertStore(store).ListUnrouted(limit);
  if (!alerts.ok()) return ctx.Fail(alerts.status());
  if (json) {
    Json arr = Json::array();
    for (const auto& a : *alerts)
      arr.push_back({{"id", a.id},
                     {"received_at", FormatTimeUtc(a.received_at)},
                     {"source", a.source},
                     {"status", a.status},
                     {"fingerprint", a.fingerprint},
                     {"labels", a.labels},
                     {"annotations", a.annotations},
                     {"reason", a.reason}});
    std::cout << arr.dump(2) << std::endl;
    return;
  }
  if (alerts->empty()) {
    std::cout << "no unrouted alerts in " << store.path() << "\n";
    return;
  }
  std::printf("%-6s %-24s %-13s %-9s %s\n", "ID", "RECEIVED (UTC)", "SOURCE", "STATUS",
              "LABELS / REASON");
  for (const auto& a : *alerts)
    std::printf("%-6lld %-24s %-13s %-9s %s\n%56s%s\n", static_cast<long long>(a.id),
                FormatTimeUtc(a.received_at).c_str(), a.source.c_str(), a.status.c_str(),
                a.labels.dump().c_str(), "", a.reason.c_str());
}

}  // namespace

void AddListCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json = false;
    int limit = 50;
    bool unrouted = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("list", "List recent runs, newest first");
  cmd->add_flag("--json", flags->json, "print JSON");
  cmd->add_option("-n,--limit", flags->limit, "how many (default 50)");
  cmd->add_flag("--unrouted", flags->unrouted,
                "list alerts `medic serve` received that no route matched");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    if (flags->unrouted) return ListUnrouted(ctx, **store, flags->limit, flags->json);
    auto runs = (*store)->ListRuns(flags->limit);
    if (!runs.ok()) return ctx.Fail(runs.status());
    int64_t now = ctx.env().clock->NowUnixMs();
    if (flags->json) {
      Json arr = Json::array();
      for (const auto& r : *runs) arr.push_back(RunSummaryToJson(r, {.now_ms = now}));
      std::cout << arr.dump(2) << std::endl;
      return;
    }
    // A route that stopped starting runs is the first thing to know.
    auto breakers = (*store)->ListRouteBreakers();
    if (breakers.ok())
      for (const auto& b : *breakers)
        if (b.open(now))
          std::printf(
              "route '%s': circuit breaker open until %s UTC after %lld failed runs; no new run "
              "starts (`medic route reset %s`)\n",
              b.route.c_str(), FormatTimeUtc(b.open_until).c_str(),
              static_cast<long long>(b.failures), b.route.c_str());
    if (runs->empty()) {
      std::cout << "no runs yet in " << (*store)->path() << "\n";
      return;
    }
    std::printf("%-6s %-9s %-16s %-24s %-9s %s\n", "ID", "INCIDENT", "STATUS", "STARTED (UTC)",
                "WARNINGS", "PLAYBOOK");
    for (const auto& r : *runs) {
      size_t warnings = r.warnings.is_array() ? r.warnings.size() : 0;
      std::printf("%-6lld %-9lld %-16s %-24s %-9s %s\n", static_cast<long long>(r.id),
                  static_cast<long long>(r.incident_id), ShownRunStatus(r, now).c_str(),
                  r.started_at ? FormatTimeUtc(r.started_at).c_str() : "-",
                  warnings ? std::to_string(warnings).c_str() : "-", r.playbook.c_str());
    }
  });
}

}  // namespace medic
