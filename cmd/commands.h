// One function per subcommand; each lives in its own cmd/<name>.cc and is wired from the
// table in cmd/main.cc.
#pragma once

#include <CLI/CLI.hpp>

#include "cmd/context.h"

namespace medic {

void AddAnalyzeCommand(CLI::App& app, Context& ctx);

}  // namespace medic
