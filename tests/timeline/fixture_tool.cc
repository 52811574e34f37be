// timeline_fixture_tool: writes the timeline test incident into a database, for
// scripts/bench-timeline and for looking at a timeline by hand.
//
//   timeline_fixture_tool DB [EXTRA_EVENTS]    prints the incident id
#include <cstdio>
#include <cstdlib>

#include "tests/timeline/fixture.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: timeline_fixture_tool DB [EXTRA_EVENTS]\n");
    return 2;
  }
  auto store = medic::Store::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "timeline_fixture_tool: %s\n", store.status().message().c_str());
    return 1;
  }
  medic::testing::FixtureOptions options;
  if (argc == 3) options.extra_events = std::atoi(argv[2]);
  auto id = medic::testing::WriteFixtureIncident(**store, options);
  if (!id.ok()) {
    std::fprintf(stderr, "timeline_fixture_tool: %s\n", id.status().message().c_str());
    return 1;
  }
  std::printf("%lld\n", static_cast<long long>(*id));
  return 0;
}
