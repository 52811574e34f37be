// `medic serve`: the pager webhook server. Loads and checks the config (every route's
// playbook included), opens the record, and runs server::Server until SIGTERM/SIGINT; the
// server drains and the command exits 0. `--check` only validates the config.
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cmd/commands.h"
#include "server/config.h"
#include "server/server.h"

namespace medic {
namespace {

constexpr const char* kServeFooter = R"(Endpoints:
  POST /hooks/alertmanager   Alertmanager webhook (payload version 4)
  POST /hooks/pagerduty      PagerDuty v3 webhook (X-PagerDuty-Signature checked when
                             auth.pagerduty_secrets_file is set; X-Webhook-Id deduplicated)
  POST /hooks/generic        {"status": "firing"|"resolved", "labels": {...},
                              "annotations": {...}, "startsAt": RFC3339, "endsAt": RFC3339,
                              "fingerprint": "...", "group_key": "..."}, or {"alerts": [...]}
  GET  /healthz  /metrics  /incidents  /incidents/ID
Answers: 202 accepted (committed before the answer), 400 malformed, 401 unauthenticated,
404 no route matches (kept for `medic list --unrouted`), 413 over limits.max_body,
503 + Retry-After when the run queue is full.
Destructive steps wait for `medic approve RUN STEP` unless the route says auto_confirm.
Signals: SIGTERM/SIGINT drain and stop; SIGHUP re-reads the config and its tokens files
(routes and credentials; limits need a restart), keeping the running config if it does not load.)";

void SetUpLogging() {
  auto logger = spdlog::stderr_logger_mt("medic");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  const char* level = std::getenv("MEDIC_LOG_LEVEL");
  spdlog::set_level(level && *level ? spdlog::level::from_str(level) : spdlog::level::info);
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace

void AddServeCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string listen = "127.0.0.1:9095";
    std::string config;
    bool check = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "serve", "Run playbooks when alerts arrive (Alertmanager, PagerDuty, generic webhooks)");
  cmd->add_option("--listen", flags->listen,
                  "HOST:PORT to listen on (default 127.0.0.1:9095; :PORT for all interfaces)");
  cmd->add_option("--config", flags->config,
                  "YAML: auth, routes (alert labels -> playbook), limits")
      ->required();
  cmd->add_flag("--check", flags->check,
                "validate the config and every route's playbook, then exit");
  cmd->footer(kServeFooter);
  cmd->callback([flags, &ctx] {
    auto config = LoadServeConfig(flags->config, ctx.registry());
    if (!config.ok()) return ctx.Fail(config.status(), kExitUsage);
    if (flags->check) {
      std::cout << flags->config << ": ok (" << config->routes.size() << " routes)\n";
      for (const auto& r : config->routes)
        std::cout << "  " << r.name << " -> " << r.playbook_path << " (" << r.playbook->name << ", "
                  << r.playbook->Steps().size() << " steps"
                  << (r.auto_confirm ? ", auto_confirm" : "") << ")\n";
      return;
    }
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    SetUpLogging();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, [](int) { RequestServeReload(); });  // systemctl reload
    CancelToken stop;
    ScopedSignalCancel signals(&stop);
    Server server(ctx.env(), std::move(*config), **store, ctx.registry(),
                  {flags->listen, ctx.WorkRoot()});
    Status bound = server.Bind();
    if (!bound.ok()) return ctx.Fail(bound);
    std::fprintf(stderr, "medic serve: listening on %s (record: %s)\n", server.url().c_str(),
                 (*store)->path().c_str());
    Status st = server.Run(stop);
    if (!st.ok()) return ctx.Fail(st);
    ctx.exit_code = kExitOk;
  });
}

}  // namespace medic
