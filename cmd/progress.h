// Live progress of `medic run` / `medic resume` on stderr: on a terminal, the run's clock
// against the playbook's budget and one redrawn line per running step (spinner, elapsed time
// against its budget, latest note), each cut to the terminal's width (read again on
// SIGWINCH), and a final line per step; otherwise plain timestamped lines. NO_COLOR is
// honoured by the caller through `color`.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "playbooks/runner.h"

namespace medic {

class ProgressPrinter : public RunObserver {
 public:
  /// `live`: stderr is a terminal (redraw lines); `color`: use ANSI colors.
  ProgressPrinter(bool live, bool color);
  ~ProgressPrinter() override;

  void OnStageStart(const StageDef& stage) override;
  void OnStepStart(const StepDef& def, const StepRecord& rec) override;
  void OnStepProgress(const StepDef& def, const std::string& message) override;
  void OnStepEnd(const StepDef& def, const StepRecord& rec) override;
  void OnNote(const std::string& note) override;

  /// The run's clock, shown above the running steps: `playbook` started at
  /// `started_unix_ms` by `clock`, against the playbook's `budget_ms` (0: none).
  void SetRun(const std::string& playbook, int64_t started_unix_ms, int64_t budget_ms,
              Clock& clock);

  /// Asks on the terminal whether a destructive step may run. Thread-safe.
  bool Confirm(const StepDef& def, const std::vector<std::string>& plan);

 private:
  struct Live {
    std::string stage;
    int64_t start_ms;
    int64_t budget_ms;
    int attempt;
    std::string note;
  };
  void Ticker();
  void ClearLiveLocked();
  void DrawLiveLocked();
  void PrintLocked(const std::string& line);

  bool live_, color_;
  std::string playbook_;
  int64_t started_unix_ms_ = 0;
  int64_t budget_ms_ = 0;
  Clock* clock_ = nullptr;
  std::mutex mu_;
  std::map<std::string, Live> running_;  // by step id, in id order
  int drawn_ = 0;
  int frame_ = 0;
  std::atomic<bool> stop_{false};
  std::thread ticker_;
};

}  // namespace medic
