// The real machine for engine and integration tests: one SystemEnv per test binary, as
// cmd/ builds one per medic command.
#pragma once

#include "env/env.h"

namespace medic::test {

inline const Env& RealEnv() {
  static SystemEnv env;
  return env.env();
}

}  // namespace medic::test
