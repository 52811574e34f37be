// One function per subcommand; each lives in its own cmd/<name>.cc and is wired from the
// table in cmd/main.cc.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

#include "cmd/context.h"
#include "playbooks/runner.h"

namespace medic {

void AddRunCommand(CLI::App& app, Context& ctx);
void AddResumeCommand(CLI::App& app, Context& ctx);
void AddListCommand(CLI::App& app, Context& ctx);
void AddShowCommand(CLI::App& app, Context& ctx);
void AddValidateCommand(CLI::App& app, Context& ctx);
void AddActionsCommand(CLI::App& app, Context& ctx);
void AddAnalyzeCommand(CLI::App& app, Context& ctx);
void AddTimelineCommand(CLI::App& app, Context& ctx);
void AddServeCommand(CLI::App& app, Context& ctx);
void AddApproveCommand(CLI::App& app, Context& ctx);
void AddCloseCommand(CLI::App& app, Context& ctx);
void AddRouteCommand(CLI::App& app, Context& ctx);
void AddCompletionCommand(CLI::App& app, Context& ctx);
void AddLogsCommand(CLI::App& app, Context& ctx);
void AddDoctorCommand(CLI::App& app, Context& ctx);

/// Drives run `run_id` with live progress on stderr (Ctrl-C/SIGTERM interrupt it), then
/// prints the result (JSON or text) on stdout and sets ctx.exit_code. Shared by run and
/// resume.
/// How `medic run` and `medic resume` report the run they drove.
struct ReportFlags {
  bool json = false;    ///< --json: the run as JSON on stdout
  bool strict = false;  ///< --strict: a run that succeeded with warnings exits 1
};

/// Adds --json and --strict to `cmd`.
void AddReportFlags(CLI::App* cmd, ReportFlags* flags);

/// `--var NAME=VALUE` flags as a JSON object of strings; kInvalidArgument naming a flag
/// without '='. Shared by run and doctor.
Result<Json> ParseVarFlags(const std::vector<std::string>& flags);

void DriveAndReport(Context& ctx, Store& store, int64_t run_id, RunOptions options,
                    const ReportFlags& report);

}  // namespace medic
