// process.find, process.gcore and process.signal against a real Go HTTP server built
// for the test with Debian's `go` (standard library only, GOCACHE in a temp dir).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/strings.h"
#include "tests/integrations/playbook_harness.h"

namespace medic {
namespace {

using testing::Describe;
using testing::PeerProcess;
using testing::PlaybookHarness;
using testing::ScopedTempDir;

constexpr const char* kGoServer = R"(package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 2 {
		os.WriteFile(os.Args[2], []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	http.Serve(ln, nil)
}
)";

// Unusual enough that no other process on the machine carries it.
constexpr const char* kBinaryName = "medic-gosvc-t";

class ProcessActions : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    build_dir_ = new ScopedTempDir();
    if (!testing::HaveTool("go")) {
      *build_error_ = "go is not installed: apt-get install golang-go";
      return;
    }
    testing::WriteFile(build_dir_->Join("main.go"), kGoServer);
    auto r = testing::RunCommand(
        {"go", "build", "-o", build_dir_->Join(kBinaryName), build_dir_->Join("main.go")}, "",
        {{"GOCACHE", build_dir_->Join("cache")},
         {"GOPATH", build_dir_->Join("gopath")},
         {"GO111MODULE", "off"},
         {"GOFLAGS", ""},
         {"CGO_ENABLED", "0"}});
    if (r.exit_code != 0) *build_error_ = "go build failed: " + r.err;
  }
  static void TearDownTestSuite() { delete build_dir_; }

  void SetUp() override { ASSERT_TRUE(build_error_->empty()) << *build_error_; }

  /// Starts the Go server on a free port, writing its pid file; waits until it listens.
  bool StartServer(PeerProcess& p, int* port, const std::string& pid_file) {
    *port = testing::FreePort();
    if (!p.Start({build_dir_->Join(kBinaryName), std::to_string(*port), pid_file},
                 pid_file + ".log"))
      return false;
    return testing::WaitForPort(*port, 10'000);
  }

  PlaybookHarness h_;
  static ScopedTempDir* build_dir_;
  static std::string* build_error_;
};

ScopedTempDir* ProcessActions::build_dir_ = nullptr;
std::string* ProcessActions::build_error_ = new std::string();

TEST_F(ProcessActions, FindLocatesTheGoServerByNameByPortAndByPidFile) {
  PeerProcess server;
  int port = 0;
  std::string pid_file = h_.dir().Join("svc.pid");
  ASSERT_TRUE(StartServer(server, &port, pid_file));
  auto run = h_.Run(R"(name: f
stages:
  - name: find
    parallel: true
    steps:
      - {id: by_name, action: process.find, with: {name: )" +
                    std::string(kBinaryName) + R"(}}
      - {id: by_port, action: process.find, with: {port: )" +
                    std::to_string(port) + R"(}}
      - {id: by_pid_file, action: process.find, with: {pid_file: ")" +
                    pid_file + R"("}}
      - {id: by_all, action: process.find, with: {name: )" +
                    std::string(kBinaryName) + ", port: " + std::to_string(port) + R"(}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  for (const char* id : {"by_name", "by_port", "by_pid_file", "by_all"}) {
    auto step = h_.Step(run->id, id);
    ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
    EXPECT_EQ(step.outputs["pid"], server.pid()) << id;
    EXPECT_EQ(step.outputs["pids"], Json::array({server.pid()})) << id;
    EXPECT_EQ(step.outputs["exe"], build_dir_->Join(kBinaryName)) << id;
    EXPECT_EQ(step.outputs["argv"][1], std::to_string(port)) << id;
  }
}

TEST_F(ProcessActions, FindFailsClearlyWhenNothingMatches) {
  int port = testing::FreePort();
  auto run = h_.Run(R"(name: f
stages:
  - name: find
    parallel: true
    steps:
      - {id: name, action: process.find, on_failure: continue, with: {name: no-such-process-medic}}
      - {id: port, action: process.find, on_failure: continue, with: {port: )" +
                    std::to_string(port) + R"(}}
      - {id: pid_file, action: process.find, on_failure: continue, with: {pid_file: /nonexistent/medic.pid}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_NE(h_.Step(run->id, "name")
                .error.find("no running process matches name 'no-such-process-medic'"),
            std::string::npos)
      << h_.Step(run->id, "name").error;
  EXPECT_NE(
      h_.Step(run->id, "port").error.find("nothing listens on TCP port " + std::to_string(port)),
      std::string::npos)
      << h_.Step(run->id, "port").error;
  EXPECT_NE(h_.Step(run->id, "pid_file").error.find("cannot read pid file /nonexistent/medic.pid"),
            std::string::npos)
      << h_.Step(run->id, "pid_file").error;
}

TEST_F(ProcessActions, FindRefusesSeveralMatchesUnlessAllowed) {
  PeerProcess a, b;
  int port_a = 0, port_b = 0;
  ASSERT_TRUE(StartServer(a, &port_a, h_.dir().Join("a.pid")));
  ASSERT_TRUE(StartServer(b, &port_b, h_.dir().Join("b.pid")));
  auto strict = h_.RunStep("process.find", std::string("{name: ") + kBinaryName + "}");
  ASSERT_TRUE(strict.ok()) << strict.status().message();
  auto step = h_.Step(strict->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("2 processes match name"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("set allow_many: true"), std::string::npos) << step.error;

  auto lenient =
      h_.RunStep("process.find", std::string("{name: ") + kBinaryName + ", allow_many: true}");
  ASSERT_TRUE(lenient.ok()) << lenient.status().message();
  auto found = h_.Step(lenient->id);
  ASSERT_EQ(found.status, StepStatus::kSucceeded) << Describe(found);
  EXPECT_EQ(found.outputs["pids"].size(), 2u);
  EXPECT_EQ(found.outputs["pid"], std::min(a.pid(), b.pid()));
}

TEST_F(ProcessActions, GcoreWritesANonEmptyCoreAndRecordsItAsAnArtifact) {
  if (!testing::HaveTool("gcore")) GTEST_SKIP() << "gcore is not installed: apt-get install gdb";
  PeerProcess server;
  int port = 0;
  ASSERT_TRUE(StartServer(server, &port, h_.dir().Join("svc.pid")));
  auto run = h_.Run(R"(name: g
stages:
  - name: capture
    steps:
      - {id: find, action: process.find, with: {port: )" +
                    std::to_string(port) + R"(}}
      - {id: core, action: process.gcore, timeout: 60s, with: {pid: "{{ steps.find.outputs.pid }}"}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id, "core");
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  std::string path = step.outputs["path"];
  EXPECT_TRUE(EndsWith(path, "/core." + std::to_string(server.pid()))) << path;
  struct stat st = {};
  ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
  EXPECT_GT(st.st_size, 0);
  auto artifacts = h_.Artifacts(run->id);
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].kind, "core");
  EXPECT_EQ(artifacts[0].path, path);
  EXPECT_EQ(artifacts[0].size, static_cast<int64_t>(st.st_size));
  EXPECT_NE(artifacts[0].description.find(kBinaryName), std::string::npos)
      << artifacts[0].description;
  EXPECT_TRUE(server.running()) << "gcore pauses the process; it must not stop it";
  EXPECT_TRUE(testing::PortOpen(port));
  std::filesystem::remove(path);  // about a gigabyte of mostly zero pages
}

TEST_F(ProcessActions, GcoreOfAProcessThatIsGoneFailsClearly) {
  PeerProcess server;
  int port = 0;
  ASSERT_TRUE(StartServer(server, &port, h_.dir().Join("svc.pid")));
  pid_t pid = server.pid();
  server.Stop();
  auto run = h_.RunStep("process.gcore", "{pid: " + std::to_string(pid) + "}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("no running process " + std::to_string(pid)), std::string::npos)
      << step.error;
}

TEST_F(ProcessActions, GcoreWithoutGdbInstalledSaysWhatToInstall) {
  PeerProcess server;
  int port = 0;
  ASSERT_TRUE(StartServer(server, &port, h_.dir().Join("svc.pid")));
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", h_.dir().path().c_str(), 1);
  auto run = h_.RunStep("process.gcore", "{pid: " + std::to_string(server.pid()) + "}");
  setenv("PATH", path.c_str(), 1);
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("apt-get install gdb"), std::string::npos) << step.error;
}

TEST_F(ProcessActions, SignalQuitMakesTheGoServerDumpItsGoroutinesAndExit) {
  PeerProcess server;
  int port = 0;
  std::string pid_file = h_.dir().Join("svc.pid");
  ASSERT_TRUE(StartServer(server, &port, pid_file));
  auto run = h_.Run(R"(name: s
stages:
  - name: stop
    steps:
      - {id: find, action: process.find, with: {pid_file: ")" +
                    pid_file + R"("}}
      - {id: quit, action: process.signal, with: {pid: "{{ steps.find.outputs.pid }}", signal: SIGQUIT, wait: 10s}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id, "quit");
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  EXPECT_EQ(step.outputs["signal"], "QUIT");
  EXPECT_EQ(step.outputs["exited"], true);
  EXPECT_NE(testing::ReadFile(server.log_path()).find("goroutine "), std::string::npos)
      << "Go prints every goroutine's stack on SIGQUIT";
}

TEST_F(ProcessActions, SignalIsDestructiveAndNeedsConfirmation) {
  const ActionInfo& info = h_.registry().Find("process.signal")->info();
  EXPECT_TRUE(info.destructive);
  EXPECT_FALSE(info.idempotent);
  EXPECT_FALSE(h_.registry().Find("process.gcore")->info().destructive);
  EXPECT_TRUE(h_.registry().Find("process.find")->info().idempotent);
}

TEST_F(ProcessActions, SignalRefusesUnknownSignalsAndInit) {
  auto run = h_.Run(R"(name: s
stages:
  - name: s
    parallel: true
    steps:
      - {id: name, action: process.signal, on_failure: continue, with: {pid: 99999, signal: TREM}}
      - {id: init, action: process.signal, on_failure: continue, with: {pid: 1, signal: KILL}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_NE(h_.Step(run->id, "name").error.find("unknown signal 'TREM' (did you mean 'TERM'?)"),
            std::string::npos)
      << h_.Step(run->id, "name").error;
  EXPECT_NE(h_.Step(run->id, "init").error.find("refusing to signal pid 1"), std::string::npos)
      << h_.Step(run->id, "init").error;
}

}  // namespace
}  // namespace medic
