#include "integrations/golang/buckets.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace medic::golang {
namespace {

constexpr size_t kSampleIds = 8;

// States of goroutines that are doing something, or are the runtime's own idle workers.
constexpr std::array<std::string_view, 20> kNotBlocked = {"running",
                                                          "runnable",
                                                          "syscall",
                                                          "idle",
                                                          "dead",
                                                          "copystack",
                                                          "preempted",
                                                          "runtime stack",
                                                          "GC worker (idle)",
                                                          "GC sweep wait",
                                                          "GC scavenge wait",
                                                          "finalizer wait",
                                                          "force gc (idle)",
                                                          "GC assist marking",
                                                          "GC assist wait",
                                                          "trace reader (blocked)",
                                                          "wait for GC cycle",
                                                          "GC worker (active)",
                                                          "debug call",
                                                          "stopping the world"};

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out->append(buf, ptr);
}

}  // namespace

std::string Bucket::TopFunction() const { return frames.empty() ? "" : frames.front().function; }

std::string Bucket::ParkedIn() const {
  for (const Frame& f : frames) {
    if (IsUserFrame(f)) return f.function;
  }
  for (const Frame& f : frames) {
    if (PackageOf(f.function) != "runtime") return f.function;
  }
  return TopFunction();
}

bool StackBuckets::IsBlockedState(const std::string& state) {
  if (state.empty()) return false;
  return std::find(kNotBlocked.begin(), kNotBlocked.end(), state) == kNotBlocked.end();
}

void StackBuckets::Add(const Goroutine& g) {
  ++total_;
  key_.clear();
  key_.append(g.state);
  key_ += '\n';
  for (const Frame& f : g.frames) {
    key_.append(f.function);
    key_ += '\t';
    key_.append(f.file);
    key_ += ':';
    AppendInt(&key_, f.line);
    key_ += '\n';
  }
  key_ += '>';
  key_.append(g.created_by.function);
  if (g.frames_elided) key_ += '+';
  auto it = index_.find(key_);
  Bucket* b;
  if (it == index_.end()) {
    index_.emplace(key_, buckets_.size());
    buckets_.emplace_back();
    b = &buckets_.back();
    b->state = g.state;
    b->frames = g.frames;
    b->created_by = g.created_by;
    b->locked_to_thread = g.locked_to_thread;
  } else {
    b = &buckets_[it->second];
  }
  ++b->count;
  if (b->sample_ids.size() < kSampleIds) b->sample_ids.push_back(g.id);
  b->max_wait_minutes = std::max(b->max_wait_minutes, g.wait_minutes);
}

std::vector<Bucket> StackBuckets::Sorted() const {
  std::vector<Bucket> out = buckets_;
  std::stable_sort(out.begin(), out.end(),
                   [](const Bucket& a, const Bucket& b) { return a.count > b.count; });
  return out;
}

std::vector<LeakSuspect> StackBuckets::LeakSuspects(const LeakThresholds& t) const {
  std::vector<LeakSuspect> out;
  if (total_ == 0) return out;
  // Goroutines parked in the same function count together even when they were started
  // from different places (their stacks differ below the parking frame).
  std::vector<LeakSuspect> groups;
  std::unordered_map<std::string, size_t> group_index;
  for (const Bucket& b : buckets_) {
    if (!IsBlockedState(b.state)) continue;
    // Stacks made only of runtime frames are the runtime's own workers.
    bool any_outside_runtime = std::any_of(b.frames.begin(), b.frames.end(), [](const Frame& f) {
      return PackageOf(f.function) != "runtime";
    });
    if (!any_outside_runtime) continue;
    std::string parked = b.ParkedIn();
    auto [it, fresh] = group_index.emplace(parked + "\n" + b.state, groups.size());
    if (fresh) {
      groups.push_back({parked, b.count, b.state, 0});
    } else {
      groups[it->second].count += b.count;
    }
  }
  for (LeakSuspect& s : groups) {
    s.share = static_cast<double>(s.count) / static_cast<double>(total_);
    if (s.count >= t.absolute || (s.count >= t.min_count && s.share >= t.share)) {
      out.push_back(std::move(s));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LeakSuspect& a, const LeakSuspect& b) { return a.count > b.count; });
  return out;
}

}  // namespace medic::golang
