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
    // A test binary, and two GOPATH-era builds: a vendored library, and a package outside
    // GOPATH that the toolchain names after its directory ("_/abs/path/lib").
    std::vector<std::string> test_build = {
        "env", "-C", src, "go", "test", "-c", "-o", f.bin + "/gotest.test", "./gotest"};
    RunCommand(test_build, "", env, 600'000);
    auto gopath_env = env;
    gopath_env["GO111MODULE"] = "off";
    gopath_env["GOPATH"] = src + "/_gopath";
    GoBuild(src + "/_gopath/src/example.com/legacy", {}, f.bin + "/legacy", ".", gopath_env);
    gopath_env["GOPATH"] = root + "/gopath-empty";
    GoBuild(src + "/_outside", {}, f.bin + "/outside", ".", gopath_env);
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
        {"explicit_long", "explicit", {"long"}, {}},
        {"klog_structured", "klogpanic", {"structured"}, {}},
        {"klog_classic", "klogpanic", {"classic"}, {}},
        {"klog_callers", "klogpanic", {"callers"}, {}},
        {"jsonlog_hclog", "jsonlog", {"hclog"}, {}},
        {"jsonlog_logrus", "jsonlog", {"logrus"}, {}},
        {"jsonlog_zap", "jsonlog", {"zap"}, {}},
        {"jsonlog_logfmt", "jsonlog", {"logfmt"}, {}},
        {"jsonlog_noise", "jsonlog", {"noise"}, {}},
        {"gotest", "gotest.test", {"-test.run", "TestEviction"}, {}},
        {"gotest_suite", "gotest.test", {"-test.run", "TestSuite"}, {}},
        {"legacy", "legacy", {}, {}},
        {"outside", "outside", {}, {}},
    };
    if (f.cgo_ok) cases.push_back({"cgocrash", "cgocrash", {}, {}});
    for (const Case& c : cases) {
      std::vector<std::string> argv = {f.bin + "/" + c.program};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      auto run_env = c.env;
      if (!run_env.count("GOTRACEBACK")) run_env["GOTRACEBACK"] = "single";
      CommandResult r = RunCommand(argv, "", run_env, 60'000);
      // A test binary prints its verdicts on stdout and the runtime's trace on stderr;
      // `go test` shows both, in that order.
      f.outputs[c.name] = c.program == "gotest.test" ? r.out + r.err : r.err;
      if (f.outputs[c.name].empty()) {
        std::fprintf(stderr, "go fixtures: %s exited %d and printed nothing\n", c.name.c_str(),
                     r.exit_code);
      }
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
