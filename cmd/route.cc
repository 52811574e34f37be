// `medic route list` and `medic route reset NAME`: the circuit breakers of `medic serve`'s
// routes, as the record holds them. A route whose runs kept failing stops starting runs on
// its own; `reset` lets it start them again before its window passes.
#include <cstdio>
#include <iostream>

#include "base/redact.h"
#include "base/strings.h"
#include "cmd/commands.h"
#include "env/env.h"
#include "server/guardrails.h"

namespace medic {
namespace {

Json BreakerJson(const RouteBreakerRecord& b, int64_t now) {
  Json j = {{"route", b.route},
            {"breaker", b.open(now) ? "open" : "closed"},
            {"failures", b.failures},
            {"opened_at", b.opened_at ? FormatTimeUtc(b.opened_at) : ""},
            {"open_until", b.open(now) ? FormatTimeUtc(b.open_until) : ""},
            {"reset_at", b.reset_at ? FormatTimeUtc(b.reset_at) : ""},
            {"reset_by", b.reset_by}};
  return j;
}

void ListRoutes(Context& ctx, bool json) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return ctx.Fail(store.status());
  auto breakers = (*store)->ListRouteBreakers();
  if (!breakers.ok()) return ctx.Fail(breakers.status());
  int64_t now = ctx.env().clock->NowUnixMs();
  if (json) {
    Json arr = Json::array();
    for (const auto& b : *breakers) arr.push_back(BreakerJson(b, now));
    std::cout << arr.dump(2) << std::endl;
    return;
  }
  if (breakers->empty()) {
    std::cout << "no route's circuit breaker has opened in " << (*store)->path() << "\n";
    return;
  }
  std::printf("%-24s %-8s %-24s %-24s %s\n", "ROUTE", "BREAKER", "OPENED (UTC)", "UNTIL (UTC)",
              "RESET");
  for (const auto& b : *breakers)
    std::printf("%-24s %-8s %-24s %-24s %s\n", b.route.c_str(), b.open(now) ? "open" : "closed",
                b.opened_at ? FormatTimeUtc(b.opened_at).c_str() : "-",
                b.open(now) ? FormatTimeUtc(b.open_until).c_str() : "-",
                b.reset_at ? (FormatTimeUtc(b.reset_at) + " by " + b.reset_by).c_str() : "-");
}

void ResetRoute(Context& ctx, const std::string& route, std::string by, bool dry_run) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return ctx.Fail(store.status());
  int64_t now = ctx.env().clock->NowUnixMs();
  auto breaker = (*store)->GetRouteBreaker(route);
  if (!breaker.ok()) return ctx.Fail(breaker.status());
  if (!breaker->open(now)) {
    std::printf("route '%s': its circuit breaker is not open; nothing to reset\n", route.c_str());
    return;
  }
  std::string what = "route '" + route + "': circuit breaker open since " +
                     FormatTimeUtc(breaker->opened_at) + " UTC (" +
                     std::to_string(breaker->failures) + " failed runs)";
  if (dry_run) {
    std::printf("%s\nwould close it: its next alert would start a run (dry run: nothing changed)\n",
                what.c_str());
    return;
  }
  if (by.empty()) by = ctx.env().Var("USER");
  if (by.empty()) by = "unknown";
  auto was = ResetBreaker(**store, route, now, Redact(by));
  if (!was.ok()) return ctx.Fail(was.status());
  std::printf("%s\nclosed: its next alert starts a run\n", what.c_str());
}

}  // namespace

void AddRouteCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    bool json = false;
    std::string route;
    std::string by;
    bool dry_run = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("route", "Show or reset the circuit breakers of serve's routes");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "List routes whose circuit breaker has opened");
  list->add_flag("--json", flags->json, "print JSON");
  list->callback([flags, &ctx] { ListRoutes(ctx, flags->json); });
  auto* reset = cmd->add_subcommand(
      "reset", "Close a route's circuit breaker: its next alert starts a run again");
  reset->add_option("name", flags->route, "the route's name in serve.yaml")->required();
  reset->add_option("--by", flags->by, "who resets it, for the record (default: $USER)");
  reset->add_flag("--dry-run", flags->dry_run, "say what would change, change nothing");
  reset->callback([flags, &ctx] { ResetRoute(ctx, flags->route, flags->by, flags->dry_run); });
}

}  // namespace medic
