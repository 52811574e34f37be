// The process runner when medic dies while it starts a step.
#include "env/process_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace medic {
namespace {

// Whether `pid` is gone (or a zombie nobody has reaped yet: it holds nothing open).
bool Gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  return paren == std::string::npos || line.substr(paren + 2, 1) == "Z";
}

bool GoneWithin(pid_t pid, int ms) {
  for (int waited = 0; waited < ms; waited += 20) {
    if (Gone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Gone(pid);
}

// A medic killed between starting a step's process and letting it go: the process must not
// wait for it forever. Until it execs it holds copies of all medic's descriptors, among them
// medic's database sessions (whose row locks then outlive medic, and no other replica can
// claim the run) and the go pipe of a step starting beside it. Here a forked process holds
// the go pipe as that sibling would, so the pipe never reaches EOF.
TEST(ProcessRunner, AStepNotYetLetGoDiesWithMedic) {
  for (SpawnMode mode : {SpawnMode::kSharedMemory, SpawnMode::kFork}) {
    int pids[2];
    ASSERT_EQ(pipe(pids), 0);
    pid_t medic = fork();
    ASSERT_GE(medic, 0);
    if (medic == 0) {
      close(pids[0]);
      PosixProcessRunner runner(mode);
      ProcessSpec spec;
      spec.argv = {"sleep", "30"};  // never let go, so never run
      (void)runner.Run(spec, nullptr, [&](pid_t step) {
        pid_t holder = fork();  // has the go pipe's write end, like a sibling step
        if (holder == 0) {
          sleep(30);
          _exit(0);
        }
        pid_t both[2] = {step, holder};
        (void)!write(pids[1], both, sizeof both);
        raise(SIGKILL);  // medic dies here
        return Status::Ok();
      });
      _exit(1);
    }
    close(pids[1]);
    pid_t both[2] = {0, 0};
    ASSERT_EQ(read(pids[0], both, sizeof both), static_cast<ssize_t>(sizeof both));
    close(pids[0]);
    int status = 0;
    ASSERT_EQ(waitpid(medic, &status, 0), medic);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_TRUE(GoneWithin(both[0], 5'000))
        << "the step's process (pid " << both[0] << ") still waits for a dead medic ("
        << (mode == SpawnMode::kFork ? "fork" : "clone") << ")";
    kill(both[1], SIGKILL);
    kill(both[0], SIGKILL);
  }
}

}  // namespace
}  // namespace medic
