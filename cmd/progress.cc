#include "cmd/progress.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "base/redact.h"
#include "base/strings.h"
#include "cmd/context.h"
#include "cmd/run_view.h"
#include "env/clock.h"

namespace medic {
namespace {

std::string WallClock() {
  time_t t = time(nullptr);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[16];
  strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

const char* kSpinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};

// Set by SIGWINCH: the ticker redraws at once, at the new width.
std::atomic<bool> resized{false};

void OnResize(int) { resized = true; }

}  // namespace

ProgressPrinter::ProgressPrinter(bool live, bool color) : live_(live), color_(color) {
  if (!live_) return;
  struct sigaction sa = {};
  sa.sa_handler = OnResize;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGWINCH, &sa, nullptr);
  ticker_ = std::thread([this] { Ticker(); });
}

void ProgressPrinter::SetRun(const std::string& playbook, int64_t started_unix_ms,
                             int64_t budget_ms, Clock& clock) {
  std::lock_guard<std::mutex> lock(mu_);
  clock_ = &clock;
  playbook_ = playbook;
  started_unix_ms_ = started_unix_ms;
  budget_ms_ = budget_ms;
}

ProgressPrinter::~ProgressPrinter() {
  stop_ = true;
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  ClearLiveLocked();
}

void ProgressPrinter::Ticker() {
  while (!stop_) {
    for (int i = 0; i < 5 && !stop_ && !resized.exchange(false); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(mu_);
    ++frame_;
    ClearLiveLocked();
    DrawLiveLocked();
  }
}

void ProgressPrinter::ClearLiveLocked() {
  for (; drawn_ > 0; --drawn_) std::fputs("\033[1A\033[2K", stderr);
}

void ProgressPrinter::DrawLiveLocked() {
  // Every line fits the terminal: a wrapped line would take two rows, and the next redraw
  // would clear only one of them.
  int columns = TerminalWidth(80, STDERR_FILENO);
  auto draw = [&](const std::string& line) {
    std::fprintf(stderr, "%s\n", FitToWidth(line, columns).c_str());
    ++drawn_;
  };
  if (clock_ && started_unix_ms_ > 0 && !running_.empty()) {
    int64_t elapsed = std::max<int64_t>(0, clock_->NowUnixMs() - started_unix_ms_);
    std::string clock = "  " + playbook_ + "  " + FormatDurationMs(elapsed);
    if (budget_ms_ > 0) {
      clock += " / " + FormatDurationMs(budget_ms_);
      if (elapsed > budget_ms_) clock += Colorize(color_, "33", " OVER");
    }
    draw(Colorize(color_, "1", clock));
  }
  int64_t now = SteadyNowMs();
  for (const auto& [id, l] : running_) {
    std::string line = "  " + Colorize(color_, "36", kSpinner[frame_ % 10]) + " " + id + "  " +
                       FormatDurationMs(now - l.start_ms);
    if (l.budget_ms > 0) {
      line += " / " + FormatDurationMs(l.budget_ms) + " budget";
      if (now - l.start_ms > l.budget_ms) line += Colorize(color_, "33", " OVER");
    }
    if (l.attempt > 1) line += "  attempt " + std::to_string(l.attempt);
    if (!l.note.empty()) line += "  " + l.note;
    draw(line);
  }
  std::fflush(stderr);
}

void ProgressPrinter::PrintLocked(const std::string& line) {
  if (live_) ClearLiveLocked();
  std::fprintf(stderr, "%s\n", line.c_str());
  if (live_) DrawLiveLocked();
  std::fflush(stderr);
}

void ProgressPrinter::OnStageStart(const StageDef& stage) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string line =
      Colorize(color_, "1", "▸ " + stage.name) + (stage.parallel ? " (parallel)" : "");
  PrintLocked(live_ ? line
                    : WallClock() + " stage " + stage.name + (stage.parallel ? " (parallel)" : ""));
}

void ProgressPrinter::OnStepStart(const StepDef& def, const StepRecord& rec) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(def.id);
  if (it == running_.end()) {
    running_[def.id] = Live{def.stage, SteadyNowMs(), def.budget_ms, rec.attempts, ""};
  } else {
    it->second.attempt = rec.attempts;
  }
  if (!live_)
    PrintLocked(WallClock() + "   " + def.id + " (" + def.action + ") started" +
                (rec.attempts > 1 ? ", attempt " + std::to_string(rec.attempts) : ""));
}

void ProgressPrinter::OnStepProgress(const StepDef& def, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(def.id);
  if (it != running_.end()) it->second.note = message;
  if (!live_) PrintLocked(WallClock() + "   " + def.id + ": " + message);
}

void ProgressPrinter::OnStepEnd(const StepDef& def, const StepRecord& rec) {
  std::lock_guard<std::mutex> lock(mu_);
  running_.erase(def.id);
  std::string mark, color;
  if (rec.status == StepStatus::kSucceeded) {
    mark = "✓";
    color = "32";
  } else if (rec.status == StepStatus::kSkipped) {
    mark = "↷";
    color = "2";
  } else if (rec.status == StepStatus::kInterrupted) {
    mark = "■";
    color = "33";
  } else {
    mark = "✗";
    color = "31";
  }
  std::string line = live_ ? "  " + Colorize(color_, color.c_str(), mark) + " " + def.id
                           : WallClock() + "   " + def.id + " " + ToString(rec.status);
  if (rec.status != StepStatus::kSkipped) line += "  " + FormatDurationMs(rec.duration_ms);
  if (rec.budget_ms > 0 && rec.status != StepStatus::kSkipped) {
    line += rec.over_budget
                ? Colorize(color_, "33", " (over " + FormatDurationMs(rec.budget_ms) + " budget)")
                : " (budget " + FormatDurationMs(rec.budget_ms) + ")";
  }
  if (rec.attempts > 1) line += "  " + std::to_string(rec.attempts) + " attempts";
  if (live_ && rec.status != StepStatus::kSucceeded)
    line += "  " + Colorize(color_, color.c_str(), ToString(rec.status));
  if (!rec.error.empty()) line += ": " + rec.error.substr(0, 300);
  PrintLocked(line);
}

void ProgressPrinter::OnNote(const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  PrintLocked(Colorize(color_, "33", "! ") + Redact(note));
}

bool ProgressPrinter::Confirm(const StepDef& def, const std::vector<std::string>& plan) {
  std::lock_guard<std::mutex> lock(mu_);
  if (live_) ClearLiveLocked();
  std::fprintf(stderr, "%s step '%s' (%s) changes production:\n",
               Colorize(color_, "1;33", "?").c_str(), def.id.c_str(), def.action.c_str());
  for (const auto& p : plan) std::fprintf(stderr, "    %s\n", Redact(p).c_str());
  std::fprintf(stderr, "  Proceed? [y/N] ");
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) answer.clear();
  std::string a(Trim(answer));
  return a == "y" || a == "Y" || a == "yes" || a == "YES" || a == "Yes";
}

}  // namespace medic
