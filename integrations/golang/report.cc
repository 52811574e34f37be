#include "integrations/golang/report.h"

#include <cstdio>
#include <sstream>

#include "base/escape.h"

namespace medic::golang {
namespace {

constexpr size_t kTextBuckets = 5;
constexpr size_t kTextFrames = 6;

// nlohmann throws on invalid UTF-8 when dumping; input logs may hold anything, so every
// string taken from the input is made valid here (bad bytes and control characters other
// than newline and tab become U+FFFD).
std::string Utf8(const std::string& s) {
  return ValidUtf8(s, [](char c) { return c == '\n' || c == '\t'; });
}

Json FrameJson(const Frame& f) {
  Json j = Json::object();
  j["function"] = Utf8(f.function);
  j["file"] = Utf8(f.file);
  j["line"] = f.line;
  return j;
}

Json OrNull(const std::string& s) { return s.empty() ? Json(nullptr) : Json(Utf8(s)); }

std::string Paint(bool on, const char* code, const std::string& text) {
  if (!on) return text;
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

std::string Percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", share * 100);
  return buf;
}

}  // namespace

Json AnalysisToJson(const Analysis& a) {
  Json j = Json::object();
  j["crash_found"] = a.crash_found;
  if (!a.crash_found) j["reason"] = Utf8(a.no_crash_reason);
  j["category"] = OrNull(a.category);
  j["recoverable"] = a.crash_found ? Json(a.recoverable) : Json(nullptr);
  j["message"] = OrNull(a.message);
  j["explanation"] = OrNull(a.explanation);
  if (a.has_culprit) {
    j["culprit"] = {{"function", Utf8(a.culprit.function)},
                    {"package", Utf8(a.culprit.package)},
                    {"file", Utf8(a.culprit.file)},
                    {"line", a.culprit.line}};
  } else {
    j["culprit"] = nullptr;
  }
  if (a.has_goroutine) {
    j["goroutine"] = {{"id", a.goroutine_id >= 0 ? Json(a.goroutine_id) : Json(nullptr)},
                      {"state", Utf8(a.goroutine_state)}};
  } else {
    j["goroutine"] = nullptr;
  }
  j["phase"] = OrNull(a.phase);
  j["signal"] = OrNull(a.signal);
  if (!a.http_peer.empty()) j["http_peer"] = Utf8(a.http_peer);
  j["signature"] = OrNull(a.signature);
  j["occurrences"] = a.occurrences;
  Json chain = Json::array();
  for (const std::string& m : a.panic_chain) chain.push_back(Utf8(m));
  j["panic_chain"] = chain;
  Json sigs = Json::array();
  for (const SignatureCount& s : a.signatures) {
    sigs.push_back({{"signature", Utf8(s.signature)},
                    {"category", s.category},
                    {"message", Utf8(s.message)},
                    {"function", OrNull(s.function)},
                    {"occurrences", s.occurrences},
                    {"first_line", s.first_line}});
  }
  j["signatures"] = sigs;
  j["goroutines_total"] = a.goroutines_total;
  j["buckets_total"] = a.buckets_total;
  Json buckets = Json::array();
  for (const Bucket& b : a.buckets) {
    Json frames = Json::array();
    for (const Frame& f : b.frames) frames.push_back(FrameJson(f));
    Json bj = {{"count", b.count},
               {"state", Utf8(b.state)},
               {"top_function", Utf8(b.TopFunction())},
               {"parked_in", Utf8(b.ParkedIn())},
               {"max_wait_minutes", b.max_wait_minutes},
               {"sample_ids", b.sample_ids},
               {"frames", frames}};
    bj["created_by"] = b.created_by.function.empty() ? Json(nullptr) : FrameJson(b.created_by);
    buckets.push_back(bj);
  }
  j["buckets"] = buckets;
  Json leaks = Json::array();
  for (const LeakSuspect& s : a.leak_suspects) {
    leaks.push_back({{"function", Utf8(s.function)},
                     {"count", s.count},
                     {"state", Utf8(s.state)},
                     {"share", s.share}});
  }
  j["leak_suspects"] = leaks;
  if (a.recommendation.action.empty()) {
    j["recommendation"] = nullptr;
  } else {
    j["recommendation"] = {{"action", a.recommendation.action},
                           {"why", Utf8(a.recommendation.why)}};
    if (!a.recommendation.fixed_in.empty()) {
      j["recommendation"]["fixed_in"] = Utf8(a.recommendation.fixed_in);
    }
  }
  j["truncated"] = a.truncated;
  Json warnings = Json::array();
  for (const std::string& w : a.warnings) warnings.push_back(Utf8(w));
  j["warnings"] = warnings;
  j["source"] = a.source;
  j["lines"] = a.lines;
  return j;
}

std::string AnalysisToText(const Analysis& a, bool color) {
  std::ostringstream o;
  if (!a.crash_found) {
    o << "No Go crash found: " << a.no_crash_reason << "\n";
  } else {
    o << Paint(color, "1;31", "Go crash: " + a.category) << " ("
      << (a.recoverable ? "recoverable: recover() could have caught it"
                        : "not recoverable: recover() cannot catch it")
      << ")\n";
    o << "  message:      " << a.message << "\n";
    if (a.panic_chain.size() > 1) {
      o << "  panic chain:  ";
      for (size_t i = 0; i < a.panic_chain.size(); ++i) {
        o << (i ? " -> " : "") << a.panic_chain[i];
      }
      o << "\n";
    }
    o << "  what:         " << a.explanation << "\n";
    if (!a.signal.empty()) o << "  signal:       " << a.signal << "\n";
    if (a.has_culprit) {
      std::string function =
          a.culprit.function.empty() ? "(function not printed, only its file)" : a.culprit.function;
      o << "  culprit:      " << Paint(color, "1", function) << "\n"
        << "                " << a.culprit.file << ":" << a.culprit.line << "\n";
    } else {
      o << "  culprit:      (no frame of the program's own code on the crashing stack)\n";
    }
    if (a.has_goroutine) {
      o << "  goroutine:    "
        << (a.goroutine_id >= 0 ? std::to_string(a.goroutine_id) : std::string("(id not printed)"))
        << " [" << a.goroutine_state << "]";
      if (!a.phase.empty()) o << ", during " << a.phase;
      o << "\n";
    }
    if (!a.http_peer.empty())
      o << "  request from: " << a.http_peer << " (net/http recovered it)\n";
    o << "  occurrences:  " << a.occurrences << " (signature: " << a.signature << ")\n";
    if (a.signatures.size() > 1) {
      o << "  other crashes in the input:\n";
      for (size_t i = 1; i < a.signatures.size(); ++i) {
        o << "    " << a.signatures[i].occurrences << " x " << a.signatures[i].signature << " ("
          << a.signatures[i].message << ")\n";
      }
    }
  }
  if (a.goroutines_total > 0) {
    o << "  goroutines:   " << a.goroutines_total << " in " << a.buckets_total
      << " distinct stack(s)\n";
    for (size_t i = 0; i < a.buckets.size() && i < kTextBuckets; ++i) {
      const Bucket& b = a.buckets[i];
      o << "    " << b.count << " x [" << b.state << "] " << b.ParkedIn() << "\n";
      for (size_t k = 0; k < b.frames.size() && k < kTextFrames; ++k) {
        o << "        " << b.frames[k].function << "  " << b.frames[k].file << ":"
          << b.frames[k].line << "\n";
      }
      if (b.frames.size() > kTextFrames) {
        o << "        ... " << b.frames.size() - kTextFrames << " more frame(s)\n";
      }
    }
  }
  for (const LeakSuspect& s : a.leak_suspects) {
    o << "  " << Paint(color, "33", "leak suspect:") << " " << s.count << " goroutines ("
      << Percent(s.share) << ") parked in " << s.function << " [" << s.state << "]\n";
  }
  if (!a.recommendation.action.empty()) {
    o << Paint(color, "1;32", "Recommendation: " + a.recommendation.action) << " - "
      << a.recommendation.why << "\n";
  }
  for (const std::string& w : a.warnings) o << "  note: " << w << "\n";
  return o.str();
}

}  // namespace medic::golang
