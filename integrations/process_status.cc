#include "integrations/process_status.h"

#include <algorithm>
#include <cstring>

#include "base/strings.h"

namespace medic {

Status CheckProcessEnd(const ProcessResult& r, const ProcessCheck& check) {
  if (r.cancelled) return Status::Cancelled("stopped during " + check.what);
  if (r.timed_out) {
    return Status::Timeout(check.what + " did not finish within " + check.limit +
                           " (timed out after " + FormatDurationMs(r.duration_ms) +
                           "); its process group was killed");
  }
  if (r.term_signal != 0) {
    return Status::Unavailable(check.what + " was killed by signal " +
                               std::to_string(r.term_signal) + " (" + strsignal(r.term_signal) +
                               ")");
  }
  const std::vector<int>& ok = check.ok_exit_codes;
  if (check.any_exit_code || std::find(ok.begin(), ok.end(), r.exit_code) != ok.end())
    return Status::Ok();
  std::string last = LastOutputLine(r);
  Code code = check.classify ? check.classify(last) : Code::kUnavailable;
  return Status(code, check.what + " failed (exit code " + std::to_string(r.exit_code) + ")" +
                          (last.empty() ? "" : ": " + last));
}

std::string LastOutputLine(const ProcessResult& r, size_t max) {
  std::string_view text = Trim(r.err);
  if (text.empty()) text = Trim(r.out);
  size_t nl = text.rfind('\n');
  std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
  return std::string(Trim(line.substr(0, max)));
}

}  // namespace medic
