// `medic analyze`: classify a Go crash from logs, goroutine dumps or a core file.
// Parses flags, calls golang::AnalyzeStream / AnalyzeCore, prints text or --json, and maps
// the outcome to an exit code: 0 analysed, 4 no Go crash found, 2 usage errors, 130 when
// Ctrl-C or SIGTERM stopped the debugger reading a core.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "base/cancel.h"
#include "cmd/commands.h"
#include "env/env.h"
#include "integrations/golang/analyzer.h"
#include "integrations/golang/report.h"

namespace medic {
namespace {

struct AnalyzeFlags {
  std::string input;
  bool json = false;
  std::string core;
  std::string binary;
  std::string known;
};

void RunAnalyze(const AnalyzeFlags& f, Context& ctx) {
  bool core_mode = !f.core.empty() || !f.binary.empty();
  if (core_mode && !f.input.empty()) {
    ctx.Fail(Status::Invalid("give either FILE or --core/--binary, not both"));
    return;
  }
  if (core_mode && (f.core.empty() || f.binary.empty())) {
    ctx.Fail(
        Status::Invalid("--core needs --binary (the executable that produced the core), "
                        "and --binary needs --core"));
    return;
  }
  if (!core_mode && f.input.empty()) {
    ctx.Fail(
        Status::Invalid("nothing to analyze: give a FILE, '-' for stdin, or "
                        "--core CORE --binary BIN"));
    return;
  }
  golang::AnalyzeOptions opts;
  if (!f.known.empty()) {
    Result<golang::KnownSignatures> known = golang::LoadKnownSignatures(f.known);
    if (!known.ok()) {
      ctx.Fail(Status::Invalid(known.status().message()));
      return;
    }
    opts.known = std::move(*known);
  }

  Result<golang::Analysis> result = Status::Internal("not analysed");
  if (core_mode) {
    // Ctrl-C stops the debugger's whole process group, not just medic.
    CancelToken cancel;
    ScopedSignalCancel signals(&cancel);
    ProcessRunner& processes = *ctx.env().processes;
    opts.run_debugger = [&cancel, &processes](const ProcessSpec& spec) {
      return processes.Run(spec, &cancel, nullptr);
    };
    result = golang::AnalyzeCore(f.core, f.binary, opts);
  } else if (f.input == "-") {
    result = golang::AnalyzeStream(std::cin, opts);
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(f.input, ec)) {
      ctx.Fail(Status::Invalid(f.input + ": is a directory; give a log file, '-' for stdin, or "
                                         "--core FILE --binary EXE"));
      return;
    }
    std::ifstream in(f.input, std::ios::binary);
    if (!in) {
      ctx.Fail(Status::Invalid(f.input + ": cannot open the file to analyze"));
      return;
    }
    result = golang::AnalyzeStream(in, opts);
  }
  if (!result.ok()) {
    bool interrupted = result.status().code() == Code::kCancelled;
    ctx.Fail(result.status(), interrupted ? kExitInterrupted : -1);
    return;
  }
  const golang::Analysis& a = *result;
  if (f.json) {
    std::cout << golang::AnalysisToJson(a).dump(2, ' ', false, Json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << golang::AnalysisToText(a, ctx.stdout_tty && ctx.color);
  }
  std::cout.flush();
  if (!a.crash_found) {
    std::fprintf(stderr, "medic: no Go crash found: %s\n", a.no_crash_reason.c_str());
    ctx.exit_code = kExitNoCrash;
    return;
  }
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddAnalyzeCommand(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<AnalyzeFlags>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Classify a Go crash from logs, goroutine dumps or a core file, and say what to do");
  cmd->add_option("FILE", flags->input,
                  "log or dump with Go crash output ('-' reads stdin); container-runtime "
                  "prefixes and JSON log records are unwrapped");
  cmd->add_flag("--json", flags->json, "print one JSON object instead of text");
  cmd->add_option("--core", flags->core, "core file of a Go program (needs --binary)");
  cmd->add_option("--binary", flags->binary, "the Go executable that produced --core");
  cmd->add_option("--known", flags->known,
                  "JSON file of known crash signatures and the build that fixes each: "
                  "{\"signatures\": [{\"signature\": \"CATEGORY FUNCTION\", \"fixed_in\": "
                  "\"IMAGE\"}]}");
  cmd->footer(
      "Exit codes: 0 analysed, 4 no Go crash found in the input, 2 usage error, 1 failure "
      "(e.g. the debugger for --core is missing), 130 interrupted by Ctrl-C or SIGTERM.");
  cmd->callback([flags, &ctx] { RunAnalyze(*flags, ctx); });
}

}  // namespace medic
