#include "tests/golang/go_fixtures.h"

#include <errno.h>  // program_invocation_short_name
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/test_support.h"

namespace medic::testing {
namespace {

struct Case {
  std::string name;
  std::string program;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
};

struct Fixtures {
  bool go_ok = false;
  bool cgo_ok = false;
  std::string bin;
  std::map<std::string, std::string> outputs;
};

std::map<std::string, std::string> GoEnv(const std::string& root) {
  return {{"GOCACHE", root + "/cache"}, {"GOPATH", root + "/gopath"}, {"GOFLAGS", ""},
          {"GOPROXY", "off"},           {"GO111MODULE", "on"},        {"GOTOOLCHAIN", "local"},
          {"GOTRACEBACK", "single"}};
}

// Builds `package_dir` (a module) into bin/ with `extra` flags; returns success.
bool GoBuild(const std::string& package_dir, const std::vector<std::string>& extra,
             const std::string& out, const std::string& pattern,
             std::map<std::string, std::string> env) {
  std::vector<std::string> argv = {"env", "-C", package_dir, "go", "build"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"-o", out, pattern});
  CommandResult r = RunCommand(argv, "", env, 600'000);
  if (r.exit_code != 0) {
    std::fprintf(stderr, "go fixtures: building %s failed (%d):\n%s\n", package_dir.c_str(),
                 r.exit_code, r.err.c_str());
  }
  return r.exit_code == 0;
}

// Starts the leak program with n subscribers, waits for "ready", sends SIGQUIT and returns
// the dump; `name` names its log under `root`.
std::string CaptureSigquitDump(const std::string& bin, const std::string& root,
                               const std::string& name, int n) {
  std::string log = root + "/" + name + ".log";
  std::filesystem::remove(log);
  PeerProcess p;
  if (!p.Start({bin + "/leak", std::to_string(n)}, log)) return "";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ReadFile(log).find("ready") == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline || !p.running()) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(p.pid(), SIGQUIT);
  while (p.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.Stop();
  return ReadFile(log);
}

Fixtures& Get() {
  static Fixtures f;
  static std::once_flag once;
  std::call_once(once, [] {
    if (!HaveTool("go")) return;
    // The build cache is shared (Go locks it); the programs and logs are per test binary, so
    // two binaries running at once never overwrite a program the other one is running.
    std::string root = BinaryDir() + "/go-fixtures";
    std::string own = root + "/" + program_invocation_short_name;
    std::string src = SourceDir() + "/tests/fixtures/go";
    f.bin = own + "/bin";
    std::filesystem::create_directories(f.bin);
    auto env = GoEnv(root);
    env["CGO_ENABLED"] = "0";
    f.go_ok = GoBuild(src, {}, f.bin + "/", "./...", env) &&
              GoBuild(src + "/trimpath", {"-trimpath"}, f.bin + "/trimpath", ".", env);
    if (!f.go_ok) return;
    env["CGO_ENABLED"] = "1";
    f.cgo_ok = HaveTool("gcc") && GoBuild(src + "/cgocrash", {}, f.bin + "/cgocrash", ".", env);

    std::vector<Case> cases = {
        {"nilmap", "nilmap", {}, {}},
        {"nilderef", "nilderef", {}, {}},
        {"index", "index", {}, {}},
        {"slicebounds", "slicebounds", {}, {}},
        {"closedchan", "closedchan", {}, {}},
        {"closedchan_nil", "closedchan", {"nil"}, {}},
        {"closedchan_send", "closedchan", {"send"}, {}},
        {"concurrentmap", "concurrentmap", {}, {}},
        {"concurrentmap_readwrite", "concurrentmap", {"readwrite"}, {}},
        {"concurrentmap_iterate", "concurrentmap", {"iterate"}, {}},
        {"waitgroup", "waitgroup", {}, {}},
        {"unlock", "unlock", {}, {}},
        {"unlock_rw", "unlock", {"rw"}, {}},
        {"stackoverflow", "stackoverflow", {}, {}},
        {"deadlock", "deadlock", {}, {}},
        {"divzero", "divzero", {}, {}},
        {"typeassert", "typeassert", {}, {}},
        {"badalloc", "badalloc", {}, {}},
        {"badalloc_chan", "badalloc", {"chan"}, {}},
        {"threadlimit", "threadlimit", {}, {}},
        {"explicit", "explicit", {}, {}},
        {"explicit_repanic", "explicit", {"repanic"}, {}},
        {"initpanic", "initpanic", {}, {}},
        {"httppanic", "httppanic", {}, {}},
        {"trimpath", "trimpath", {}, {}},
        {"nilmap_crash", "nilmap", {}, {{"GOTRACEBACK", "crash"}}},
    };
    if (f.cgo_ok) cases.push_back({"cgocrash", "cgocrash", {}, {}});
    for (const Case& c : cases) {
      std::vector<std::string> argv = {f.bin + "/" + c.program};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      auto run_env = c.env;
      if (!run_env.count("GOTRACEBACK")) run_env["GOTRACEBACK"] = "single";
      f.outputs[c.name] = RunCommand(argv, "", run_env, 60'000).err;
    }
    // An address-space limit makes the heap fail for real: "fatal error: out of memory".
    if (HaveTool("prlimit")) {
      f.outputs["oom"] =
          RunCommand({"prlimit", "--as=1000000000", f.bin + "/oom"}, "", {}, 60'000).err;
    }
    f.outputs["leak_sigquit"] = CaptureSigquitDump(f.bin, own, "leak_sigquit", 5000);
    f.outputs["idle_sigquit"] = CaptureSigquitDump(f.bin, own, "idle_sigquit", 8);
  });
  return f;
}

}  // namespace

std::string GoFixtureBinDir() { return Get().go_ok ? Get().bin : ""; }

std::string GoFixtureBinary(const std::string& name) { return Get().bin + "/" + name; }

bool GoFixturesAvailable() { return Get().go_ok; }

bool CgoFixtureAvailable() { return Get().cgo_ok; }

const std::string& CrashOutput(const std::string& name) {
  static const std::string kEmpty;
  const Fixtures& f = Get();
  auto it = f.outputs.find(name);
  return it == f.outputs.end() ? kEmpty : it->second;
}

}  // namespace medic::testing
