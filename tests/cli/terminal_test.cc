// `medic run` on a real terminal: the live view in a tmux pane at 40, 80 and 200 columns,
// and after the pane is resized (SIGWINCH). Each redraw must replace the lines it drew, so
// every line has to fit the pane: a wrapped line takes two rows and the next redraw clears
// only one (a 70-column pane once showed 52 stacked copies of one retrying step).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using testing::CommandResult;
using testing::MedicBinary;
using testing::ReadFile;
using testing::ScopedTempDir;
using testing::WaitFor;
using testing::WriteFile;

// The columns a pane line takes (UTF-8 characters, no color: NO_COLOR is set).
int Columns(const std::string& line) {
  int n = 0;
  for (unsigned char c : line)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

class Terminal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveTool("tmux")) GTEST_SKIP() << "tmux is not installed";
    marker_ = dir_.Join("hold");
    // The first attempt fails with a long message; the second holds while the marker exists.
    WriteFile(dir_.Join("pb.yaml"), R"(name: narrow
budget: 3m
stages:
  - name: probe
    steps:
      - id: flaky_probe
        action: exec
        retries: 1
        retry_delay: 100ms
        with:
          argv:
            - sh
            - -c
            - |
              if [ ! -f "$0.tried" ]; then
                touch "$0.tried"
                echo "the probe could not reach http://127.0.0.1:1/healthz: connection refused after a long wait" >&2
                exit 1
              fi
              while [ -f "$0" ]; do sleep 0.05; done
            - )" + marker_ + "\n");
  }

  void TearDown() override {
    if (started_) Tmux({"kill-server"});
  }

  CommandResult Tmux(std::vector<std::string> args) {
    args.insert(args.begin(), {"tmux", "-S", dir_.Join("tmux.sock")});
    return testing::RunCommand(args, "", {}, 10'000);
  }

  // Starts `medic run` in a detached pane of `columns` x 30.
  void Start(int columns) {
    WriteFile(marker_, "");
    std::string command = "env MEDIC_DB=" + dir_.Join("medic.db") + " NO_COLOR=1 " + MedicBinary() +
                          " run " + dir_.Join("pb.yaml") + "; sleep 60";
    auto r =
        Tmux({"new-session", "-d", "-s", "t", "-x", std::to_string(columns), "-y", "30", command});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    started_ = true;
  }

  std::vector<std::string> Pane() {
    // -J joins a wrapped line back into one: a line wider than the pane shows as such.
    auto r = Tmux({"capture-pane", "-p", "-J", "-t", "t"});
    std::vector<std::string> lines;
    for (auto& line : Split(r.out, '\n')) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }

  // Waits until the second attempt is being drawn, lets the view redraw for a second, and
  // checks the pane: every line fits, the step is drawn once, the clock is on top of it.
  void ExpectLiveViewFits(int columns) {
    SCOPED_TRACE("at " + std::to_string(columns) + " columns");
    auto attempt2 = [&] {
      for (const auto& line : Pane())
        if (line.find("attempt 2") != std::string::npos) return true;
      return false;
    };
    ASSERT_TRUE(WaitFor(attempt2, 20'000)) << Join(Pane(), "\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    std::vector<std::string> pane = Pane();
    std::string shown = Join(pane, "\n");
    int live = 0, clock = -1, step = -1;
    static const std::regex kClock(R"(  narrow  [0-9.ms]+ / 3m00s)");
    for (size_t i = 0; i < pane.size(); ++i) {
      // The lines that are redrawn (the clock and below) must fit; the lines printed once
      // above them may wrap like any other output.
      if (clock >= 0) {
        EXPECT_LE(Columns(pane[i]), columns) << "line " << i << " is wider than the pane\n"
                                             << shown;
      }
      if (pane[i].find("flaky_probe") != std::string::npos &&
          pane[i].find("attempt 2") != std::string::npos) {
        ++live;
        step = static_cast<int>(i);
      }
      if (pane[i].rfind("  narrow  ", 0) == 0) {
        clock = static_cast<int>(i);
        EXPECT_LE(Columns(pane[i]), columns) << shown;
      }
    }
    EXPECT_EQ(live, 1) << "the running step is drawn once\n" << shown;
    ASSERT_GE(clock, 0) << shown;
    EXPECT_EQ(clock + 1, step) << "the run's clock is right above its steps\n" << shown;
    // What the step's line should show: all of it when it fits, else cut with "…".
    const std::string& line = pane[step];
    if (columns >= 200) {
      EXPECT_NE(line.find("connection refused after a long wait"), std::string::npos) << line;
      EXPECT_TRUE(std::regex_match(pane[clock], kClock)) << pane[clock];
    } else {
      EXPECT_EQ(Columns(line), columns) << line;  // cut to the width, "…" last
      EXPECT_EQ(line.substr(line.size() - 3), "…") << line;
    }
  }

  ScopedTempDir dir_;
  std::string marker_;
  bool started_ = false;
};

TEST_F(Terminal, TheLiveViewFitsA40ColumnPane) {
  Start(40);
  ExpectLiveViewFits(40);
}

TEST_F(Terminal, TheLiveViewFitsAn80ColumnPaneAndFollowsAResize) {
  Start(80);
  ExpectLiveViewFits(80);
  ASSERT_EQ(Tmux({"resize-window", "-t", "t", "-x", "50", "-y", "30"}).exit_code, 0);
  Tmux({"clear-history", "-t", "t"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ExpectLiveViewFits(50);
}

TEST_F(Terminal, TheLiveViewShowsEverythingIn200ColumnsAndTheStepsEndLine) {
  Start(200);
  ExpectLiveViewFits(200);
  std::filesystem::remove(marker_);
  auto done = [&] {
    for (const auto& line : Pane())
      if (line.find("run 1 (narrow") != std::string::npos) return true;
    return false;
  };
  ASSERT_TRUE(WaitFor(done, 20'000)) << Join(Pane(), "\n");
  std::string shown = Join(Pane(), "\n");
  EXPECT_NE(shown.find("✓ flaky_probe"), std::string::npos) << shown;
  for (const char* spinner : {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"})
    EXPECT_EQ(shown.find(spinner), std::string::npos) << "no live line left behind\n" << shown;
}

}  // namespace
}  // namespace medic
