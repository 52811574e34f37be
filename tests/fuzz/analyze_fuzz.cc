// libFuzzer target for everything in medic's Go crash analyzer that reads untrusted text:
// the log/trace parser behind AnalyzeStream (and both renderers), the known-signatures
// file, and the delve output parsers of the --core path. Seed it with real crash output:
//   build-fuzz/tests/fuzz/analyze_fuzz -max_len=65536 CORPUS_DIR build-analyze/go-fixtures
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "integrations/golang/analyzer.h"
#include "integrations/golang/core_reader.h"
#include "integrations/golang/known_signatures.h"
#include "integrations/golang/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  medic::golang::AnalyzeOptions opts;
  opts.max_line = 4096;  // small, so the line-cutting path is exercised too
  std::istringstream in(text);
  medic::Result<medic::golang::Analysis> a = medic::golang::AnalyzeStream(in, opts);
  if (a.ok()) {
    std::string json = medic::golang::AnalysisToJson(*a).dump();
    std::string human = medic::golang::AnalysisToText(*a, true);
    if (json.empty() || human.empty()) __builtin_trap();
  }
  medic::Result<medic::golang::KnownSignatures> known =
      medic::golang::ParseKnownSignatures(text, "fuzz.json");
  (void)known;
  int64_t selected = 0;
  auto goroutines = medic::golang::ParseDelveGoroutines(text, &selected);
  (void)goroutines;
  std::string value = medic::golang::PanicValueFromDelve(text);
  (void)value;
  return 0;
}
