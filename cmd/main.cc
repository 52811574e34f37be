// medic: runs the first minutes of a Go production incident as a playbook.
// Entry point: builds the command table, parses, and returns the exit code that the
// subcommand decided. Start reading at kCommands below.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/redact.h"
#include "base/strings.h"
#include "cmd/commands.h"
#include "cmd/context.h"

namespace {

using AddCommand = void (*)(CLI::App&, medic::Context&);

constexpr AddCommand kCommands[] = {
    medic::AddRunCommand,        medic::AddResumeCommand,   medic::AddListCommand,
    medic::AddShowCommand,       medic::AddValidateCommand, medic::AddActionsCommand,
    medic::AddAnalyzeCommand,    medic::AddTimelineCommand, medic::AddServeCommand,
    medic::AddApproveCommand,    medic::AddCloseCommand,    medic::AddRouteCommand,
    medic::AddCompletionCommand, medic::AddLogsCommand,     medic::AddDoctorCommand,
};

constexpr const char* kFooter = R"(Exit codes:
  0    succeeded (analyze: a crash was analysed)
  1    the run failed, the operation failed, or `doctor` found a failing check
  2    usage or validation error
  3    the run needs attention (a step awaits confirmation or was interrupted mid-way)
  4    analyze: no Go crash found in the input
  130  interrupted by Ctrl-C or SIGTERM (resume with `medic resume ID`)

Environment:
  MEDIC_DB       the record: a SQLite file (default $XDG_DATA_HOME/medic/medic.db) or a
                 postgres:// URI (password from PGPASSWORD or PGPASSFILE)
  NO_COLOR       disable colors)";

// Each command's help ends with examples: what people type at 3 a.m.
struct Examples {
  const char* command;
  const char* text;
};
constexpr Examples kExamples[] = {
    {"run",
     "  medic run golden.yaml --var service=checkout --dry-run   # every command, runs nothing\n"
     "  medic run golden.yaml --var service=checkout             # asks before destructive steps\n"
     "  medic run golden.yaml --var service=checkout --yes --json --strict"},
    {"resume",
     "  medic resume 12                  # go on after Ctrl-C or a crash\n"
     "  medic resume 12 --retry restart  # run a failed step again (asks again if destructive)\n"
     "  medic resume 12 --skip page --yes"},
    {"list", "  medic list\n  medic list --json --limit 50\n  medic list --unrouted"},
    {"show",
     "  medic show 12\n  medic show 12 --watch         # redraws until the run stops\n"
     "  medic show 12 --json | jq '.steps[] | {id, status}'"},
    {"validate", "  medic validate playbooks/library/golden-three-minutes-k8s.yaml"},
    {"actions", "  medic actions\n  medic actions kubectl.delete_pod\n  medic actions --json"},
    {"analyze",
     "  kubectl logs checkout-7d9f8-abcde --previous | medic analyze -\n"
     "  medic analyze --json crash.log\n"
     "  medic analyze --core core.4242 --binary ./checkout"},
    {"timeline",
     "  medic timeline 3                      # incident 3, text\n"
     "  medic timeline 3 --format html -o incident-3.html\n"
     "  medic timeline --run 12 --format md --tz Europe/Berlin"},
    {"serve", "  medic serve --listen 127.0.0.1:8787 --config serve.yaml"},
    {"approve", "  medic approve 12 restart   # lets step 'restart' of run 12 go"},
    {"close", "  medic close 3 --reason 'rolled back by hand'"},
    {"doctor",
     "  medic doctor                                  # debuggers, ptrace, the record\n"
     "  medic doctor --playbook /usr/share/medic/playbooks/golden-three-minutes-k8s.yaml \\\n"
     "      --var service=checkout --var namespace=shop  # + cluster access, URLs, keys\n"
     "  medic doctor --config /etc/medic/serve.yaml --json"},
    {"logs",
     "  medic logs 12                 # every step that ended, with what it printed\n"
     "  medic logs 12 capture_core    # one step\n"
     "  medic logs 12 -f              # follow a run medic serve is driving"},
    {"completion",
     "  source <(medic completion bash)          # this shell\n"
     "  medic completion bash > /usr/share/bash-completion/completions/medic\n"
     "  medic completion fish > ~/.config/fish/completions/medic.fish"},
    {"route",
     "  medic route list                # breakers that opened, and until when\n"
     "  medic route reset panics        # the route starts runs again"},
};

std::vector<std::string> CommandNames(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

// The first word that is not an option (nor the value of --db): the command's name.
int CommandIndex(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--db") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    return i;
  }
  return -1;
}

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
  app.add_option("--db", ctx.db_path, "the record: a SQLite file or a postgres:// URI (default: $MEDIC_DB, then XDG data dir)");
  app.set_version_flag("--version", "medic 0.1.0");
  for (AddCommand add : kCommands) add(app, ctx);
  for (CLI::App* sub : app.get_subcommands({}))
    for (const Examples& e : kExamples)
      if (sub->get_name() == e.command) sub->footer(std::string("Examples:\n") + e.text);
  std::vector<std::string> names = CommandNames(app);

  // `medic help CMD` is `medic CMD --help`; an unknown command gets a suggestion, not
  // "A subcommand is required".
  std::vector<std::string> args(argv, argv + argc);
  int at = CommandIndex(argc, argv);
  std::string command = at > 0 ? args[at] : "";
  if (command == "help") {
    args.erase(args.begin() + at);
    args.push_back("--help");
    command = at < static_cast<int>(args.size()) - 1 ? args[at] : "";
  }
  if (!command.empty() && std::find(names.begin(), names.end(), command) == names.end()) {
    std::string suggestion = medic::Suggest(command, names);
    std::fprintf(stderr, "medic: error: unknown command \"%s\"%s\nRun 'medic --help' for usage.\n",
                 command.c_str(),
                 suggestion.empty() ? "" : (" - did you mean \"" + suggestion + "\"?").c_str());
    return medic::kExitUsage;
  }
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());

  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string help = command.empty() ? "medic --help" : "medic " + command + " --help";
    std::fprintf(stderr, "medic: error: %s\nRun '%s' for usage.\n", e.what(), help.c_str());
    return medic::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "medic: internal error: %s\n", medic::Redact(e.what()).c_str());
    return medic::kExitFailed;
  }
  return ctx.exit_code;
}
