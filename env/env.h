// Env: everything medic takes from the machine it runs on — time, processes, HTTP, files
// and environment variables — as one set of seams, built once in cmd/ (SystemEnv) and
// passed down. Nothing below cmd/ reaches the machine by another door, so an engine test
// can swap any one of them (a fake clock, a recording process runner).
#pragma once

#include <optional>
#include <string>

#include "env/clock.h"
#include "env/files.h"
#include "env/http_client.h"
#include "env/process_runner.h"

namespace medic {

/// Environment variables.
class Environment {
 public:
  virtual ~Environment() = default;
  /// The value of `name`; nullopt when unset (an empty value is a value).
  virtual std::optional<std::string> Get(const std::string& name) const = 0;
};

/// The variables of medic's own process.
class ProcessEnvironment : public Environment {
 public:
  std::optional<std::string> Get(const std::string& name) const override;
};

/// The seams, borrowed: whoever builds an Env keeps what it points to alive.
struct Env {
  Clock* clock = nullptr;
  ProcessRunner* processes = nullptr;
  HttpClient* http = nullptr;
  FileSystem* files = nullptr;
  Environment* vars = nullptr;

  /// The value of variable `name`, or "" when it is unset.
  std::string Var(const std::string& name) const;
};

/// The real machine. cmd/ builds one for the life of the command; tests build their own.
class SystemEnv {
 public:
  explicit SystemEnv(SpawnMode spawn = SpawnModeFromEnvironment());
  SystemEnv(const SystemEnv&) = delete;
  SystemEnv& operator=(const SystemEnv&) = delete;

  const Env& env() const { return env_; }

 private:
  SystemClock clock_;
  PosixProcessRunner processes_;
  CurlHttpClient http_;
  LocalFileSystem files_;
  ProcessEnvironment vars_;
  Env env_;
};

}  // namespace medic
