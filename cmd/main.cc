// medic: runs the first minutes of a Go production incident as a playbook.
// Entry point: builds the command table, parses, and returns the exit code that the
// subcommand decided. Start reading at kCommands below.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "base/redact.h"
#include "cmd/commands.h"
#include "cmd/context.h"

namespace {

using AddCommand = void (*)(CLI::App&, medic::Context&);

constexpr AddCommand kCommands[] = {
    medic::AddRunCommand,     medic::AddResumeCommand,   medic::AddListCommand,
    medic::AddShowCommand,    medic::AddValidateCommand, medic::AddActionsCommand,
    medic::AddAnalyzeCommand, medic::AddTimelineCommand, medic::AddServeCommand,
    medic::AddApproveCommand, medic::AddCloseCommand,
};

constexpr const char* kFooter = R"(Exit codes:
  0    succeeded (analyze: a crash was analysed)
  1    the run failed, or the operation failed
  2    usage or validation error
  3    the run needs attention (a step awaits confirmation or was interrupted mid-way)
  4    analyze: no Go crash found in the input
  130  interrupted by Ctrl-C or SIGTERM (resume with `medic resume ID`)

Environment:
  MEDIC_DB       database path (default $XDG_DATA_HOME/medic/medic.db)
  NO_COLOR       disable colors)";

}  // namespace

int main(int argc, char** argv) {
  // A closed terminal or pipe (`medic run ... | head`) must never stop a run mid-way: writes
  // to it fail with EPIPE instead, and the run and its record go on.
  signal(SIGPIPE, SIG_IGN);
  medic::RegisterSecretsFromEnvironment();
  medic::Context ctx;
  const char* no_color = std::getenv("NO_COLOR");
  ctx.color = isatty(STDERR_FILENO) && !(no_color && *no_color);
  ctx.stdout_tty = isatty(STDOUT_FILENO);

  CLI::App app{"medic: runs the first three minutes of a Go production incident", "medic"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--db", ctx.db_path, "SQLite database (default: $MEDIC_DB, then XDG data dir)");
  app.set_version_flag("--version", "medic 0.1.0");
  for (AddCommand add : kCommands) add(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "medic: error: %s\nRun 'medic --help' for usage.\n", e.what());
    return medic::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "medic: internal error: %s\n", medic::Redact(e.what()).c_str());
    return medic::kExitFailed;
  }
  return ctx.exit_code;
}
