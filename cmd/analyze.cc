#include "cmd/commands.h"

namespace medic {
void AddAnalyzeCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("analyze", "Classify a Go crash from logs, dumps or a core file");
  cmd->callback([&ctx] { ctx.exit_code = kExitUsage; });
}
}  // namespace medic
