#include "cmd/timeline_format.h"

#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "base/strings.h"

namespace medic {
namespace {

Json Maybe(int64_t v, bool known) { return known ? Json(v) : Json(nullptr); }
Json MaybeText(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

bool ValidZoneName(const std::string& zone) {
  if (zone.empty() || zone.size() > 64 || zone[0] == '/' || zone.find("..") != std::string::npos)
    return false;
  for (char c : zone)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      return false;
  return true;
}

// A TZ database file: a regular file starting with "TZif".
bool ZoneFileExists(const std::string& zone) {
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + zone;
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  f.read(magic, 4);
  return f && std::string(magic, 4) == "TZif";
}

// Appends a JSON string literal. Plain ASCII is quoted as is; anything else goes through
// nlohmann's escaper, which also replaces invalid UTF-8.
void AppendJsonString(std::string& out, std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"' || c == '\\') {
      out += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

// A JSON value: a string literal, or null for "".
void AppendJsonStringOrNull(std::string& out, std::string_view s) {
  if (s.empty())
    out += "null";
  else
    AppendJsonString(out, s);
}

// ---- Markdown ----

// Free text in a Markdown table cell: one line, no table or HTML breakage.
std::string MdText(std::string_view s, size_t max = 400) {
  std::string out;
  size_t n = 0;
  for (char c : s) {
    if (++n > max) {
      out += "…";
      break;
    }
    switch (c) {
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '|':
      case '\\':
      case '<':
      case '>':
      case '*':
      case '`':
      case '[':
      case ']':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// An identifier or command as inline code; a backtick inside widens the fence.
std::string MdCode(std::string_view s) {
  if (s.empty()) return "";
  std::string text;
  for (char c : s) {
    if (c == '\n' || c == '\r') c = ' ';
    if (c == '|') text += '\\';
    text += c;
  }
  std::string fence = text.find('`') != std::string::npos ? "``" : "`";
  std::string pad = fence.size() > 1 ? " " : "";
  return fence + pad + text + pad + fence;
}

std::string MdRow(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string MdHeader(const std::vector<std::string>& cells) {
  std::string out = MdRow(cells) + "|";
  for (size_t i = 0; i < cells.size(); ++i) out += " --- |";
  return out + "\n";
}

std::string LabelsText(const Json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it)
      parts.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
  return Join(parts, ", ");
}

std::string DurationCell(int64_t ms) { return ms >= 0 ? FormatDurationMs(ms) : "—"; }

int64_t AwaitingSince(const TimelineRun& r, const std::string& step_id) {
  auto it = r.awaiting_since.find(step_id);
  return it == r.awaiting_since.end() ? 0 : it->second;
}

// ---- CSV ----

// Appends one RFC 4180 cell; a text cell a spreadsheet would run as a formula (= + - @)
// gets a leading '.
void AppendCsvCell(std::string& out, std::string_view s, bool text) {
  bool formula = text && !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@');
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote) out += '"';
  if (formula) out += '\'';
  if (!quote) {
    out += s;
    return;
  }
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

// ---- TimeFormatter ----

Result<std::unique_ptr<TimeFormatter>> TimeFormatter::Create(const std::string& zone) {
  if (zone.empty() || zone == "UTC" || zone == "Etc/UTC")
    return std::unique_ptr<TimeFormatter>(new TimeFormatter("UTC"));
  if (!ValidZoneName(zone) || !ZoneFileExists(zone))
    return Status::Invalid("--tz '" + zone +
                           "': not a time zone of the TZ database (e.g. Europe/Berlin, "
                           "America/New_York, UTC; see /usr/share/zoneinfo, package tzdata)");
  std::unique_ptr<TimeFormatter> f(new TimeFormatter(zone));
  f->utc_ = false;
  if (const char* old = std::getenv("TZ")) {
    f->had_tz_ = true;
    f->old_tz_ = old;
  }
  setenv("TZ", (":" + zone).c_str(), 1);
  tzset();
  return f;
}

TimeFormatter::~TimeFormatter() {
  if (utc_) return;
  if (had_tz_)
    setenv("TZ", old_tz_.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

int TimeFormatter::Prepare(int64_t unix_ms) const {
  int64_t secs = unix_ms / 1000;
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  if (secs == cached_secs_) return ms;
  time_t t = static_cast<time_t>(secs);
  std::tm tm;
  if (utc_)
    gmtime_r(&t, &tm);
  else
    localtime_r(&t, &tm);
  char buf[96];  // room for any int the compiler imagines in each field
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  cached_date_ = buf;
  if (utc_) {
    cached_offset_ = "Z";
  } else {
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", sign, off / 60, off % 60);
    cached_offset_ = buf;
  }
  cached_secs_ = secs;
  return ms;
}

std::string TimeFormatter::Format(int64_t unix_ms, char separator, bool with_zone) const {
  int ms = Prepare(unix_ms);
  std::string out;
  out.reserve(cached_date_.size() + 4 + cached_offset_.size());
  out += cached_date_;
  out[cached_date_.size() - 9] = separator;  // before "HH:MM:SS", whatever the year
  out += '.';
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  if (with_zone) out += cached_offset_;
  return out;
}

std::string TimeFormatter::Rfc3339(int64_t unix_ms) const { return Format(unix_ms, 'T', true); }

std::string TimeFormatter::Human(int64_t unix_ms) const { return Format(unix_ms, ' ', false); }

// ---- shared helpers ----

std::string TimelineTitle(const Timeline& t) {
  std::string title = t.incident.title.empty() ? "" : ": " + t.incident.title;
  if (t.scope.kind == TimelineScope::Kind::kRun)
    return "Run " + std::to_string(t.scope.id) + " of incident " + std::to_string(t.incident.id) +
           title;
  return "Incident " + std::to_string(t.incident.id) + title;
}

std::string Offset(const Timeline& t, int64_t unix_ms) {
  if (unix_ms <= 0) return "";
  int64_t d = unix_ms - t.origin_ms;
  return (d < 0 ? "T-" : "T+") + FormatDurationMs(d < 0 ? -d : d);
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 0) return "";
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f %s (%lld bytes)", v, units[u],
                static_cast<long long>(bytes));
  return buf;
}

std::string VerdictText(const DerivedDuration& d) {
  if (d.budget_ms <= 0) return "no budget";
  if (d.verdict.empty()) return "not measured";
  return d.verdict;
}

std::string AnalysisLine(const TimelineAnalysis& a) {
  std::string out = a.category.empty() ? "no Go crash found" : a.category;
  if (!a.culprit.empty()) out += " in " + a.culprit;
  if (!a.recommendation.empty()) out += " → " + a.recommendation;
  return out;
}

std::string StatusText(const std::string& status) {
  if (status == "awaiting_approval") return "waiting for approval";
  if (status == "pending") return "not run";
  return status;
}

StepCounts CountSteps(const Timeline& t) {
  StepCounts c;
  for (const TimelineRun& r : t.runs) {
    for (const StepRecord& s : r.steps) {
      if (s.status == "pending" || s.status == "awaiting_approval") {
        ++(s.status == "pending" ? c.not_run : c.awaiting);
        continue;
      }
      if (s.status != "skipped") ++c.ran;
      if (s.status == "failed" || s.status == "timed_out") ++c.failed;
      if (s.budget_ms > 0) ++c.with_budget;
      if (s.over_budget) ++c.over_budget;
    }
  }
  return c;
}

std::string DescribeEvent(const TimelineEvent& e, const TimeFormatter& time) {
  const Json& d = e.data;
  if (e.category == "command") {
    std::vector<std::string> argv;
    auto it = d.find("argv");
    if (it != d.end() && it->is_array())
      for (const Json& a : *it) argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    std::string out = "$ " + (argv.empty() ? e.message : QuoteArgv(argv));
    return e.changes ? out + "  (changes production: approved step)" : out;
  }
  if (e.category == "artifact") {
    auto str = [&](const char* k) {
      auto it = d.find(k);
      return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string out = str("kind").empty() ? "artifact" : str("kind");
    auto size = d.find("size");
    if (size != d.end() && size->is_number() && size->get<int64_t>() >= 0)
      out += ", " + FormatBytes(size->get<int64_t>());
    if (!str("sha256").empty()) out += ", sha256 " + str("sha256");
    if (!str("url").empty()) out += ", " + str("url");
    if (!str("path").empty())
      out +=
          (str("url").empty() ? ", " : " (local ") + str("path") + (str("url").empty() ? "" : ")");
    return out;
  }
  if (e.category == "alert") {
    // As `medic serve` records it (store/alerts.h): "NAME STATUS: SUMMARY", then the other
    // labels, when it started (and ended), and its fingerprint.
    auto text = [&](const Json& obj, const char* key) {
      auto it = obj.find(key);
      return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string out = e.message;
    auto labels = d.find("labels");
    if (labels != d.end() && labels->is_object()) {
      std::string name = text(*labels, "alertname");
      if (!name.empty() && out.find(name) == std::string::npos)
        out = out.empty() ? name : out + "; " + name;
      std::string rest;
      for (auto it = labels->begin(); it != labels->end(); ++it)
        if (it.key() != "alertname" && it->is_string())
          rest += (rest.empty() ? "" : ", ") + it.key() + "=" + it->get<std::string>();
      if (!rest.empty()) out += (out.empty() ? "" : "; ") + rest;
    }
    auto ann = d.find("annotations");
    if (ann != d.end() && ann->is_object()) {
      std::string summary = text(*ann, "summary");
      if (!summary.empty() && out.find(summary) == std::string::npos)
        out += (out.empty() ? "" : "; ") + summary;
    }
    int64_t ms = 0;
    if (ParseTimeRfc3339(text(d, "startsAt"), &ms) && ms > 0) out += "; started " + time.Human(ms);
    if (e.kind == "alert.resolved" && ParseTimeRfc3339(text(d, "endsAt"), &ms) && ms > 0)
      out += "; ended " + time.Human(ms);
    std::string fingerprint = text(d, "fingerprint");
    if (!fingerprint.empty()) out += "; fingerprint " + fingerprint;
    return out;
  }
  if (e.kind == "step.awaiting_approval") {
    std::string_view plan = e.message;
    if (StartsWith(plan, "needs confirmation: ")) plan.remove_prefix(20);
    return "waiting for approval" + (plan.empty() ? "" : " to run: " + std::string(plan));
  }
  if (e.category == "stage") {
    auto parallel = d.find("parallel");
    bool par = parallel != d.end() && parallel->is_boolean() && parallel->get<bool>();
    if (e.kind == "stage.started")
      return "stage " + e.stage + " started" + (par ? ", steps in parallel" : "");
    if (e.kind == "stage.finished") return "stage " + e.stage + " finished: " + e.status;
  }
  if (e.category == "step" && e.attempts > 1 && e.message.find("attempts") == std::string::npos)
    return e.message + " (" + std::to_string(e.attempts) + " attempts)";
  if (e.category == "run" && e.kind == "run.created") {
    std::string out = e.message;
    auto trig = d.find("trigger");
    if (trig != d.end() && trig->is_string()) out += ", trigger " + trig->get<std::string>();
    return out;
  }
  return e.message;
}

// ---- JSON ----

std::string TimelineToJson(const Timeline& t, const TimeFormatter& time) {
  auto at = [&](int64_t ms) { return ms > 0 ? Json(time.Rfc3339(ms)) : Json(nullptr); };
  auto span = [](int64_t a, int64_t b) { return a > 0 && b > 0 ? Json(b - a) : Json(nullptr); };
  Json j = Json::object();
  j["schema"] = "medic.timeline.v1";
  j["scope"] = {{"kind", t.scope.kind == TimelineScope::Kind::kRun ? "run" : "incident"},
                {"id", t.scope.id}};
  j["timezone"] = time.zone();

  const IncidentRecord& inc = t.incident;
  Json incident = {{"id", inc.id},
                   {"title", inc.title},
                   {"source", inc.source},
                   {"status", inc.status},
                   {"dedup_key", MaybeText(inc.dedup_key)},
                   {"labels", inc.labels},
                   {"created_at", at(inc.created_at)},
                   {"detected_at", at(inc.detected_at)},
                   {"closed_at", at(inc.closed_at)}};
  Json runs = Json::array();
  for (const TimelineRun& r : t.runs) {
    Json run = {{"id", r.run.id},
                {"playbook", r.run.playbook},
                {"status", r.run.status},
                {"trigger", r.run.trigger},
                {"params", r.run.params},
                {"created_at", at(r.run.created_at)},
                {"started_at", at(r.run.started_at)},
                {"ended_at", at(r.run.ended_at)},
                {"duration_ms", span(r.run.started_at, r.run.ended_at)},
                {"error", MaybeText(r.run.error)}};
    Json stages = Json::array();
    for (const TimelineStage& s : r.stages)
      stages.push_back({{"name", s.name},
                        {"parallel", s.parallel},
                        {"status", MaybeText(s.status)},
                        {"started_at", at(s.started_at)},
                        {"ended_at", at(s.ended_at)},
                        {"duration_ms", span(s.started_at, s.ended_at)}});
    run["stages"] = stages;
    Json steps = Json::array();
    for (const StepRecord& s : r.steps)
      steps.push_back({{"id", s.step_id},
                       {"stage", s.stage},
                       {"action", s.action},
                       {"status", s.status},
                       {"attempts", s.attempts},
                       {"started_at", at(s.started_at)},
                       {"ended_at", at(s.ended_at)},
                       {"duration_ms", Maybe(s.duration_ms, s.ended_at > 0)},
                       {"budget_ms", Maybe(s.budget_ms, s.budget_ms > 0)},
                       {"over_budget", s.over_budget},
                       {"approved", s.approved},
                       {"awaiting_since", at(AwaitingSince(r, s.step_id))},
                       {"commands", s.commands},
                       {"error", MaybeText(s.error)}});
    run["steps"] = steps;
    Json artifacts = Json::array();
    for (const ArtifactRecord& a : r.artifacts)
      artifacts.push_back({{"id", a.id},
                           {"step", a.step_id},
                           {"kind", a.kind},
                           {"path", MaybeText(a.path)},
                           {"url", MaybeText(a.url)},
                           {"size", Maybe(a.size, a.size >= 0)},
                           {"sha256", MaybeText(a.sha256)},
                           {"description", MaybeText(a.description)},
                           {"created_at", at(a.created_at)}});
    run["artifacts"] = artifacts;
    Json analysis = Json::array();
    for (const TimelineAnalysis& a : t.analyses) {
      if (a.run_id != r.run.id) continue;
      analysis.push_back({{"step", a.step_id},
                          {"at", at(a.at)},
                          {"category", MaybeText(a.category)},
                          {"culprit", MaybeText(a.culprit)},
                          {"recommendation", MaybeText(a.recommendation)},
                          {"why", MaybeText(a.why)},
                          {"result", a.raw}});
    }
    run["analysis"] = analysis;
    runs.push_back(std::move(run));
  }
  incident["runs"] = std::move(runs);
  j["incident"] = std::move(incident);

  Json milestones = Json::object();
  milestones["origin"] = at(t.origin_ms);
  for (const Milestone& m : t.milestones) {
    milestones[m.name] = m.at > 0 ? Json{{"at", at(m.at)},
                                         {"offset_ms", m.at - t.origin_ms},
                                         {"source", m.source},
                                         {"run_id", Maybe(m.run_id, m.run_id > 0)}}
                                  : Json(nullptr);
  }
  Json durations = Json::object();
  for (const DerivedDuration& d : t.durations)
    durations[d.name] = {{"from", d.from},
                         {"to", d.to},
                         {"ms", Maybe(d.ms, d.ms >= 0)},
                         {"budget_ms", Maybe(d.budget_ms, d.budget_ms > 0)},
                         {"verdict", MaybeText(d.verdict)}};
  milestones["durations"] = std::move(durations);
  j["milestones"] = std::move(milestones);

  // Events one a line: a 10,000-event document stays small and fast to write, and a
  // change to one event is a one-line diff.
  std::string out = j.dump(2, ' ', false, Json::error_handler_t::replace);
  out.resize(out.size() - 2);  // "\n}"
  out += t.events.empty() ? ",\n  \"events\": []\n}\n" : ",\n  \"events\": [\n";
  out.reserve(out.size() + t.events.size() * 400);
  // Appended piece by piece: a temporary string per field would double the work.
  auto num = [&](bool known, int64_t v) {
    if (!known) {
      out += "null";
      return;
    }
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  };
  for (size_t i = 0; i < t.events.size(); ++i) {
    const TimelineEvent& e = t.events[i];
    bool end = e.duration_ms >= 0;
    out += "    {\"id\":";
    num(e.id > 0, e.id);
    out += ",\"at\":";
    AppendJsonString(out, time.Rfc3339(e.at));
    out += ",\"offset_ms\":";
    num(true, e.at - t.origin_ms);
    out += ",\"run_id\":";
    num(e.run_id > 0, e.run_id);
    out += ",\"stage\":";
    AppendJsonStringOrNull(out, e.stage);
    out += ",\"step\":";
    AppendJsonStringOrNull(out, e.step_id);
    out += ",\"kind\":";
    AppendJsonString(out, e.kind);
    out += ",\"category\":";
    AppendJsonString(out, e.category);
    out += ",\"severity\":";
    AppendJsonString(out, e.severity);
    out += ",\"status\":";
    AppendJsonStringOrNull(out, e.status);
    out += ",\"message\":";
    AppendJsonString(out, e.message);
    out += ",\"attempts\":";
    num(end && e.attempts > 0, e.attempts);
    out += ",\"duration_ms\":";
    num(end, e.duration_ms);
    out += ",\"budget_ms\":";
    num(end && e.budget_ms > 0, e.budget_ms);
    out += ",\"over_budget\":";
    out += end ? (e.over_budget ? "true" : "false") : "null";
    out += ",\"changes\":";
    out += e.changes ? "true" : "false";
    out += ",\"data\":";
    out += e.data.dump(-1, ' ', false, Json::error_handler_t::replace);
    out += i + 1 < t.events.size() ? "},\n" : "}\n  ]\n}\n";
  }
  return out;
}

// ---- Markdown ----

std::string TimelineToMarkdown(const Timeline& t, const TimeFormatter& time) {
  auto when = [&](int64_t ms) { return ms > 0 ? time.Human(ms) : std::string("—"); };
  std::string md = "# " + MdText(TimelineTitle(t)) + "\n\n";

  // Summary.
  const IncidentRecord& inc = t.incident;
  StepCounts counts = CountSteps(t);
  md += MdHeader({"Summary", ""});
  md += MdRow({"Incident", std::to_string(inc.id) + " (" + MdText(inc.status) + ", source " +
                               MdText(inc.source) + ")"});
  if (!inc.labels.empty()) md += MdRow({"Labels", MdText(LabelsText(inc.labels))});
  std::string runs;
  for (const TimelineRun& r : t.runs)
    runs += (runs.empty() ? "" : "; ") + std::to_string(r.run.id) + " " + MdCode(r.run.playbook) +
            " " + r.run.status;
  md += MdRow({"Runs", runs.empty() ? "none" : runs});
  md += MdRow({"Times", "in " + time.zone() + "; T+0 = " + when(t.origin_ms)});
  for (const DerivedDuration& d : t.durations) {
    if (d.budget_ms <= 0) continue;
    md += MdRow({MdText(d.name), DurationCell(d.ms) + " (budget " + FormatDurationMs(d.budget_ms) +
                                     ": **" + VerdictText(d) + "**)"});
  }
  for (const TimelineAnalysis& a : t.analyses) md += MdRow({"Analysis", MdText(AnalysisLine(a))});
  md +=
      MdRow({"Steps",
             std::to_string(counts.ran) + " ran, " + std::to_string(counts.failed) + " failed, " +
                 std::to_string(counts.over_budget) + " of " + std::to_string(counts.with_budget) +
                 " with a budget over it" +
                 (counts.awaiting ? ", " + std::to_string(counts.awaiting) + " waiting for approval"
                                  : "") +
                 (counts.not_run ? ", " + std::to_string(counts.not_run) + " not run" : "")});
  size_t artifacts = 0;
  for (const TimelineRun& r : t.runs) artifacts += r.artifacts.size();
  md += MdRow({"Artifacts", std::to_string(artifacts)});
  md += MdRow({"Events", std::to_string(t.events.size())});

  md +=
      "\n## Milestones\n\n" + MdHeader({"Milestone", "Time (" + time.zone() + ")", "T+", "Source"});
  for (const Milestone& m : t.milestones)
    md += MdRow({m.name, when(m.at), m.at > 0 ? Offset(t, m.at) : "",
                 m.at > 0 ? MdText(m.source) : "not reached"});
  md += "\n" + MdHeader({"Duration", "From → to", "Took", "Budget", "Verdict"});
  for (const DerivedDuration& d : t.durations)
    md += MdRow({d.name, d.from + " → " + d.to, DurationCell(d.ms),
                 d.budget_ms > 0 ? FormatDurationMs(d.budget_ms) : "—", VerdictText(d)});

  if (!t.analyses.empty()) {
    md += "\n## Analysis\n\n";
    for (const TimelineAnalysis& a : t.analyses) {
      md += "- Run " + std::to_string(a.run_id) + ", step " + MdCode(a.step_id) + " at " +
            when(a.at) + ": ";
      md += a.category.empty() ? "no Go crash found" : "category " + MdCode(a.category);
      if (!a.culprit.empty()) md += "; culprit " + MdCode(a.culprit);
      if (!a.recommendation.empty()) md += "; recommendation **" + MdText(a.recommendation) + "**";
      if (!a.why.empty()) md += ": " + MdText(a.why);
      md += "\n";
    }
  }

  for (const TimelineRun& r : t.runs) {
    md += "\n## Run " + std::to_string(r.run.id) + ": " + MdText(r.run.playbook) + " (" +
          r.run.status + ")\n\n";
    if (!r.run.error.empty()) md += "> " + MdText(r.run.error, 1000) + "\n\n";
    md +=
        MdHeader({"Stage", "Step", "Status", "Attempts", "Started", "Duration", "Budget", "Error"});
    for (const StepRecord& s : r.steps) {
      bool parallel = false;
      for (const TimelineStage& st : r.stages)
        if (st.name == s.stage) parallel = st.parallel;
      std::string budget = s.budget_ms > 0
                               ? FormatDurationMs(s.budget_ms) +
                                     (s.ended_at > 0 ? (s.over_budget ? " **over**" : " met") : "")
                               : "—";
      md += MdRow({MdText(s.stage) + (parallel ? " (parallel)" : ""), MdCode(s.step_id),
                   StatusText(s.status), std::to_string(s.attempts), when(s.started_at),
                   s.ended_at > 0 && s.status != "skipped" ? FormatDurationMs(s.duration_ms) : "—",
                   budget, MdText(s.error, 200)});
    }
    if (!r.artifacts.empty()) {
      md += "\n" + MdHeader({"Artifact", "Step", "Size", "SHA-256", "Location"});
      for (const ArtifactRecord& a : r.artifacts) {
        std::string where = a.url.empty() ? MdCode(a.path) : MdCode(a.url);
        if (!a.url.empty() && !a.path.empty()) where += " (local " + MdCode(a.path) + ")";
        md += MdRow({MdText(a.kind), MdCode(a.step_id), a.size >= 0 ? FormatBytes(a.size) : "—",
                     a.sha256.empty() ? "—" : MdCode(a.sha256), where});
      }
    }
  }

  std::string changes, errors;
  for (const TimelineEvent& e : t.events) {
    if (e.changes)
      changes += "- " + when(e.at) + " run " + std::to_string(e.run_id) + " step " +
                 MdCode(e.step_id) + ": " + MdCode(DescribeEvent(e, time).substr(2)) + "\n";
    if (e.severity == "error")
      errors +=
          "- " + when(e.at) + " " +
          (e.step_id.empty() ? "run " + std::to_string(e.run_id) : "step " + MdCode(e.step_id)) +
          ": " + MdText(e.message, 1000) + "\n";
  }
  if (!changes.empty()) md += "\n## Changes made\n\n" + changes;
  if (!errors.empty()) md += "\n## Errors\n\n" + errors;

  md += "\n## Timeline\n\n" +
        MdHeader({"Time (" + time.zone() + ")", "T+", "Run", "Step", "Event", "Details"});
  for (const TimelineEvent& e : t.events) {
    std::string step =
        e.step_id.empty() ? (e.category == "stage" ? MdText(e.stage) : "") : MdCode(e.step_id);
    std::string details =
        e.category == "command" ? MdCode(DescribeEvent(e, time)) : MdText(DescribeEvent(e, time));
    if (e.severity == "error") details = "**" + details + "**";
    md += MdRow({time.Human(e.at), Offset(t, e.at), e.run_id > 0 ? std::to_string(e.run_id) : "",
                 step, e.kind, details});
  }
  return md;
}

// ---- CSV ----

std::string TimelineToCsv(const Timeline& t, const TimeFormatter& time) {
  std::string out =
      "id,at,offset_ms,run_id,stage,step,kind,category,severity,status,attempts,duration_ms,"
      "budget_ms,over_budget,changes,message,details,data\r\n";
  out.reserve(t.events.size() * 200);
  auto num = [&](bool known, int64_t v) {
    if (known) {
      char buf[24];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }
    out += ',';
  };
  auto cell = [&](std::string_view v, bool text = true) {
    AppendCsvCell(out, v, text);
    out += ',';
  };
  for (const TimelineEvent& e : t.events) {
    bool end = e.duration_ms >= 0;
    num(e.id > 0, e.id);
    cell(time.Rfc3339(e.at), false);
    num(true, e.at - t.origin_ms);
    num(e.run_id > 0, e.run_id);
    cell(e.stage);
    cell(e.step_id);
    cell(e.kind, false);
    cell(e.category, false);
    cell(e.severity, false);
    cell(e.status, false);
    num(end && e.attempts > 0, e.attempts);
    num(end, e.duration_ms);
    num(end && e.budget_ms > 0, e.budget_ms);
    cell(end ? (e.over_budget ? "true" : "false") : "", false);
    cell(e.changes ? "true" : "false", false);
    cell(e.message);
    cell(DescribeEvent(e, time));
    if (!e.data.empty())
      AppendCsvCell(out, e.data.dump(-1, ' ', false, Json::error_handler_t::replace), true);
    out += "\r\n";
  }
  return out;
}

}  // namespace medic
