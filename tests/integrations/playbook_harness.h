// PlaybookHarness: runs a playbook through the real runner (real process runner, real
// libcurl client, real SQLite record in a temp dir) so integration tests see exactly what
// `medic run` would record: step status, error, outputs and artifacts.
#pragma once

#include <string>
#include <vector>

#include "env/http_client.h"
#include "env/process_runner.h"
#include "playbooks/runner.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic::testing {

class PlaybookHarness {
 public:
  PlaybookHarness() {
    RegisterBuiltinActions(registry_);
    auto s = Store::Open(dir_.Join("medic.db"));
    if (s.ok()) store_ = std::move(*s);
  }

  /// Parses, records and drives `yaml` with --yes; fails when the playbook does not load.
  Result<RunRecord> Run(const std::string& yaml, const Json& vars = Json::object()) {
    if (!store_) return Status::Io("no store");
    auto pb = ParsePlaybook(yaml, "test.yaml", registry_);
    if (!pb.ok()) return pb.status();
    auto params = BindParams(*pb, vars);
    if (!params.ok()) return params.status();
    auto id = CreateRun(*store_, *test::RealEnv().clock, *pb, *params, "test", 0);
    if (!id.ok()) return id.status();
    RunOptions options;
    options.yes = true;
    options.work_root = dir_.Join("runs");
    RunServices services;
    services.store = store_.get();
    services.registry = &registry_;
    services.env = test::RealEnv();
    services.cancel = &cancel_;
    Runner runner(services);
    return runner.Drive(*id, options);
  }

  /// Runs a playbook of one step `id` doing `action` with `with` (YAML flow mapping text).
  Result<RunRecord> RunStep(const std::string& action, const std::string& with,
                            const std::string& extra = "") {
    return Run("name: t\nstages:\n  - name: s\n    steps:\n      - id: step\n        action: " +
               action + "\n" + extra + "        with: " + with + "\n");
  }

  StepRecord Step(int64_t run, const std::string& id = "step") {
    auto s = store_->GetStep(run, id);
    return s.ok() ? *s : StepRecord{};
  }

  std::vector<ArtifactRecord> Artifacts(int64_t run) {
    auto a = store_->ArtifactsOfRun(run);
    return a.ok() ? *a : std::vector<ArtifactRecord>{};
  }

  /// Every event message of a run, one per line, for failure messages and secret checks.
  std::string Events(int64_t run) {
    std::string out;
    auto events = store_->EventsOfRun(run);
    if (!events.ok()) return out;
    for (const auto& e : *events)
      out += std::string(ToString(e.kind)) + ": " + e.message + " " + e.data.dump() + "\n";
    return out;
  }

  Registry& registry() { return registry_; }
  Store& store() { return *store_; }
  const ScopedTempDir& dir() const { return dir_; }

 private:
  ScopedTempDir dir_;
  Registry registry_;
  std::unique_ptr<Store> store_;
  CancelToken cancel_;
};

/// A step's record as text, for assertion messages.
inline std::string Describe(const StepRecord& s) {
  return s.step_id + " " + ToString(s.status) + " (" + std::to_string(s.attempts) +
         " attempts): " + s.error + "\noutputs: " + s.outputs.dump();
}

}  // namespace medic::testing
