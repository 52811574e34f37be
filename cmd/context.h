// What every subcommand shares: global flags, the exit code it decides, and helpers to
// print errors and open the record. Exit codes are decided here in cmd/ and nowhere else.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "base/status.h"
#include "integrations/action.h"
#include "store/store.h"

namespace medic {

/// medic's documented exit codes (also printed by `medic --help`).
enum ExitCode : int {
  kExitOk = 0,              ///< succeeded / analysed
  kExitFailed = 1,          ///< the run failed, or an operation failed
  kExitUsage = 2,           ///< usage or validation error
  kExitNeedsAttention = 3,  ///< the run waits for a person (confirmation, interrupted step)
  kExitNoCrash = 4,         ///< `medic analyze` found no Go crash in its input
  kExitInterrupted = 130,   ///< stopped by Ctrl-C or SIGTERM; resumable
};

/// State shared by the subcommands of one invocation.
struct Context {
  std::string db_path;  ///< --db; empty means the default (see DefaultDatabasePath)
  int exit_code = kExitOk;
  bool color = false;  ///< stderr is a terminal and NO_COLOR is unset
  bool stdout_tty = false;

  /// Prints "medic: error: MESSAGE" (redacted) to stderr and sets exit_code from the
  /// status' code (invalid_argument -> 2, everything else -> 1) unless `exit_code` is given.
  void Fail(const Status& status, int exit_code = -1);

  /// The database path: --db, else $MEDIC_DB, else $XDG_DATA_HOME/medic/medic.db, else
  /// ~/.local/share/medic/medic.db.
  std::string DatabasePath() const;

  /// Opens the record at DatabasePath() (creating and migrating it).
  Result<std::unique_ptr<Store>> OpenStore() const;

  /// Where runs keep their files: the database's directory + "/runs".
  std::string WorkRoot() const;

  /// Every action medic knows (built on first use).
  const Registry& registry();

  /// The machine medic runs on (env/env.h): the only SystemEnv of the process, handed down
  /// to everything below cmd/.
  const Env& env();

 private:
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<SystemEnv> env_;
};

/// Wraps `text` in an ANSI color when `on`; `code` is an SGR number ("31" red, "32" green).
std::string Colorize(bool on, const char* code, const std::string& text);

}  // namespace medic
