// libFuzzer target for medic serve's configuration: the input is serve.yaml, loaded with
// LoadServeConfig from a scratch directory that holds a valid playbook (pb.yaml) and a
// token file (tokens) for routes and auth to name.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "integrations/action.h"
#include "server/config.h"

namespace {

std::string ScratchDir() {
  char tmpl[] = "/tmp/medic-config-fuzz-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (!dir) std::abort();
  std::string d = dir;
  std::ofstream(d + "/pb.yaml") << "name: pb\nparams:\n  service: {required: true}\n"
                                   "stages:\n  - name: s\n    steps:\n"
                                   "      - {id: a, action: exec, with: {argv: [echo, "
                                   "'{{ params.service }}']}, when: \"params.service != ''\"}\n";
  std::ofstream(d + "/tokens") << "fuzz-bearer-token-0123456789\n";
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static medic::Registry* registry = [] {
    auto* r = new medic::Registry;
    medic::RegisterBuiltinActions(*r);
    return r;
  }();
  static const std::string dir = ScratchDir();
  const std::string path = dir + "/serve.yaml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto config = medic::LoadServeConfig(path, *registry);
  if (config.ok()) {
    medic::Json labels = {{"alertname", "GoPanic"}, {"service", "checkout"}};
    for (const auto& route : config->routes)
      for (const auto& m : route.match) (void)m.Matches(labels);
  }
  return 0;
}
