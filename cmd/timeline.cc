// `medic timeline INCIDENT | --run RUN`: the post-incident timeline of an incident (all its
// runs and alerts) or of one run, as Markdown, JSON, CSV or a self-contained HTML page.
// The positional id is an incident: the postmortem's unit is the incident, and an explicit
// --run keeps the two id spaces from being mistaken for each other.
#include "report/timeline.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/strings.h"
#include "cmd/commands.h"
#include "report/export_heap.h"
#include "report/timeline_export.h"

namespace medic {
namespace {

// --sla contain=3m: the budget of time_to_contain; 0 removes it.
Status ParseSla(const std::vector<std::string>& specs, std::map<std::string, int64_t>* budgets) {
  static const std::vector<std::string> kNames = {"trigger",  "contain", "diagnose",
                                                  "mitigate", "verify",  "resolve"};
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    std::string name = spec.substr(0, eq);
    if (eq == std::string::npos || std::find(kNames.begin(), kNames.end(), name) == kNames.end())
      return Status::Invalid("--sla '" + spec + "': expected NAME=DURATION with NAME one of " +
                             Join(kNames, ", ") + DidYouMean(name, kNames));
    auto ms = ParseDurationMs(spec.substr(eq + 1));
    if (!ms.ok()) return ms.status().WithContext("--sla " + name);
    (*budgets)["time_to_" + name] = *ms;
  }
  return Status::Ok();
}

Status WriteAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::Io("cannot write " + tmp + ": " + std::strerror(errno));
    f << content;
    f.flush();
    if (!f) return Status::Io("cannot write " + tmp + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Io("cannot write " + path + ": " + ec.message());
  }
  return Status::Ok();
}

// CLI11 clamps a number past int64 to its maximum; an id that large names nothing.
const CLI::Validator kRecordId(
    [](std::string& text) -> std::string {
      errno = 0;
      char* end = nullptr;
      (void)std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0') return "'" + text + "' is not an id";
      if (errno == ERANGE)
        return "'" + text + "' is out of range (ids go up to 9223372036854775807)";
      return "";
    },
    "ID");

}  // namespace

void AddTimelineCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    int64_t incident = 0;
    int64_t run = 0;
    std::string format;
    bool json = false;
    std::string output;
    bool utc = false;
    std::string tz;
    std::vector<std::string> sla;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "timeline",
      "Export the timeline of an incident or a run for a postmortem (md|json|csv|html)");
  auto* incident = cmd->add_option("incident", flags->incident,
                                   "incident id (see the INCIDENT column of `medic list`)")
                       ->check(kRecordId);
  auto* run =
      cmd->add_option("--run", flags->run, "a single run's timeline instead of an incident's")
          ->check(kRecordId);
  incident->excludes(run);
  run->excludes(incident);
  cmd->add_option("--format", flags->format,
                  "md (default), json, csv or html; default from -o's extension")
      ->check(CLI::IsMember(
          std::vector<std::string>(std::begin(kTimelineFormats), std::end(kTimelineFormats))));
  cmd->add_flag("--json", flags->json, "same as --format json");
  cmd->add_option("-o,--output", flags->output, "write to FILE instead of stdout");
  auto* utc = cmd->add_flag("--utc", flags->utc, "times in UTC (the default)");
  auto* tz =
      cmd->add_option("--tz", flags->tz, "times in this TZ database zone, e.g. Europe/Berlin");
  utc->excludes(tz);
  tz->excludes(utc);
  cmd->add_option("--sla", flags->sla,
                  "budget of a derived duration, NAME=DURATION (default contain=3m; 0 removes one)")
      ->allow_extra_args(false);  // `--sla contain=5m 7`: 7 is the incident, not a budget
  cmd->footer(
      "Milestones: detected (first alert's startsAt), triggered (first run created), contained,\n"
      "diagnosed, mitigated, verified (the stages contain, diagnose, recover, verify finished),\n"
      "resolved (incident closed or every alert resolved).");

  cmd->callback([flags, &ctx] {
    if (flags->incident <= 0 && flags->run <= 0)
      return ctx.Fail(Status::Invalid("timeline: give an incident id, or --run RUN for one run"));
    std::string format = flags->json ? "json" : flags->format;
    if (!format.empty() && flags->json && !flags->format.empty() && flags->format != "json")
      return ctx.Fail(Status::Invalid("timeline: --json contradicts --format " + flags->format));
    if (format.empty() && !flags->output.empty()) format = TimelineFormatOfPath(flags->output);
    if (format.empty()) format = "md";

    TimelineOptions options;
    options.now_ms = ctx.env().clock->NowUnixMs();
    options.scope.kind =
        flags->run > 0 ? TimelineScope::Kind::kRun : TimelineScope::Kind::kIncident;
    options.scope.id = flags->run > 0 ? flags->run : flags->incident;
    Status sla = ParseSla(flags->sla, &options.budgets_ms);
    if (!sla.ok()) return ctx.Fail(sla);
    auto time = TimeFormatter::Create(flags->utc ? "UTC" : flags->tz);
    if (!time.ok()) return ctx.Fail(time.status());

    PrepareHeapForExport(size_t{256} << 20);
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    auto timeline = BuildTimeline(**store, options);
    if (!timeline.ok()) {
      Status st = timeline.status();
      // Incident and run ids are separate sequences; point at the other one when it exists.
      if (st.code() == Code::kNotFound && options.scope.kind == TimelineScope::Kind::kIncident &&
          (*store)->GetRun(options.scope.id).ok())
        st = Status::NotFound(st.message() + " (run " + std::to_string(options.scope.id) +
                              " exists: `medic timeline --run " + std::to_string(options.scope.id) +
                              "`)");
      return ctx.Fail(st);
    }

    auto out = RenderTimeline(*timeline, format, **time);
    if (!out.ok()) return ctx.Fail(out.status());
    // The process ends right after the export: freeing every event and its JSON one by one
    // would add about a sixth to it (clang's -disable-free skips the same work). Kept reachable
    // from a static, so leak checkers do not count it.
    static const Timeline* const kept = new Timeline(std::move(*timeline));
    size_t events = kept->events.size();

    if (flags->output.empty() || flags->output == "-") {
      std::fwrite(out->data(), 1, out->size(), stdout);
      std::fflush(stdout);
      return;
    }
    Status written = WriteAtomically(flags->output, *out);
    if (!written.ok()) return ctx.Fail(written);
    std::fprintf(stderr, "medic: %s timeline (%zu events) written to %s\n", format.c_str(), events,
                 flags->output.c_str());
  });
}

}  // namespace medic
