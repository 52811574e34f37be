#include "integrations/kube_names.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/escape.h"
#include "base/strings.h"
#include "env/process_runner.h"
#include "integrations/process_status.h"

namespace medic {
namespace {

constexpr size_t kMaxOutput = 8 << 20;

std::string Tail(const std::string& text, size_t max) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Shown in errors; long or odd values are cut so a message stays one readable line.
std::string Shown(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 80)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  if (value.size() > 80) out += "...";
  return "'" + out + "'";
}

Status Bad(std::string_view what, std::string_view value, const std::string& rule) {
  return Status::Invalid(std::string(what) + ": " + Shown(value) + " " + rule);
}

// The checks every value shares; "" when fine.
std::string CommonProblem(std::string_view value) {
  if (value.empty()) return "is empty";
  if (value[0] == '-') return "starts with '-', which kubectl would read as a flag";
  return "";
}

bool DnsLabelOk(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s)
    if (!IsLowerAlnum(c) && c != '-') return false;
  return true;
}

bool DnsSubdomainOk(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (const auto& part : Split(s, '.'))
    if (!DnsLabelOk(part)) return false;
  return true;
}

// The name part of a label key, and a non-empty label value.
// One path component of an image name: [a-z0-9]+ joined by '.', '_', '__' or '-'s.
bool ImageComponentOk(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (IsLowerAlnum(c) || c == '-') continue;
    if (c == '.' || c == '_') {
      bool double_underscore = c == '_' && i + 1 < s.size() && s[i + 1] == '_';
      if (double_underscore) ++i;
      if (i + 1 >= s.size() || !IsLowerAlnum(s[i + 1])) return false;
      continue;
    }
    return false;
  }
  return true;
}

// A registry host: DNS labels (either case) and an optional :port.
bool ImageHostOk(std::string_view s) {
  size_t colon = s.find(':');
  std::string_view host = s.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (c < '0' || c > '9') return false;
  }
  if (host.empty()) return false;
  for (const auto& part : Split(host, '.')) {
    if (part.empty() || !IsAlnum(part.front()) || !IsAlnum(part.back())) return false;
    for (char c : part)
      if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

// Splits a selector on commas that are not inside parentheses.
std::vector<std::string> SplitRequirements(std::string_view s, bool* balanced) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  *balanced = true;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth < 0 || depth > 1) *balanced = false;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (depth != 0) *balanced = false;
  parts.push_back(cur);
  return parts;
}

// "" when `req` is one requirement of the grammar, else what is wrong with it.
std::string RequirementProblem(std::string_view req) {
  std::string_view r = Trim(req);
  if (r.empty()) return "has an empty requirement (two commas in a row?)";
  if (r[0] == '!') {
    std::string_view key = Trim(r.substr(1));
    return CheckLabelKey("key", key).ok() ? "" : "has an invalid key in '" + std::string(r) + "'";
  }
  // key in (a,b) / key notin (a,b)
  size_t paren = r.find('(');
  if (paren != std::string_view::npos) {
    std::string_view head = Trim(r.substr(0, paren));
    size_t space = head.find(' ');
    if (space == std::string_view::npos || r.back() != ')')
      return "has '" + std::string(r) + "'; sets are written 'key in (a,b)' or 'key notin (a,b)'";
    std::string_view key = Trim(head.substr(0, space));
    std::string_view op = Trim(head.substr(space + 1));
    if (op != "in" && op != "notin")
      return "has '" + std::string(r) + "'; sets are written 'key in (a,b)' or 'key notin (a,b)'";
    if (!CheckLabelKey("key", key).ok()) return "has an invalid key in '" + std::string(r) + "'";
    std::string_view inner = r.substr(paren + 1, r.size() - paren - 2);
    for (const auto& v : Split(inner, ',')) {
      std::string_view value = Trim(v);
      if (value.empty() || !CheckLabelValue("value", value).ok())
        return "has an invalid value in '" + std::string(r) + "'";
    }
    return "";
  }
  size_t op = r.find_first_of("!=");
  if (op == std::string_view::npos)
    return CheckLabelKey("key", r).ok() ? "" : "has an invalid key '" + std::string(r) + "'";
  size_t value_at = op + 1;
  if (r[op] == '!') {
    if (op + 1 >= r.size() || r[op + 1] != '=') return "has a lone '!' in '" + std::string(r) + "'";
    value_at = op + 2;
  } else if (op + 1 < r.size() && r[op + 1] == '=') {
    value_at = op + 2;
  }
  std::string_view key = Trim(r.substr(0, op));
  std::string_view value = Trim(r.substr(value_at));
  if (!CheckLabelKey("key", key).ok()) return "has an invalid key in '" + std::string(r) + "'";
  if (!CheckLabelValue("value", value).ok())
    return "has an invalid value in '" + std::string(r) + "'";
  return "";
}

}  // namespace

Status CheckDnsLabel(std::string_view what, std::string_view value) {
  std::string p = CommonProblem(value);
  if (!p.empty()) return Bad(what, value, p);
  if (!DnsLabelOk(value))
    return Bad(what, value,
               "is not a DNS-1123 label: at most 63 lower-case letters, digits and '-', "
               "starting and ending with a letter or digit");
  return Status::Ok();
}

Status CheckDnsSubdomain(std::string_view what, std::string_view value) {
  std::string p = CommonProblem(value);
  if (!p.empty()) return Bad(what, value, p);
  if (!DnsSubdomainOk(value))
    return Bad(what, value,
               "is not a DNS-1123 name: at most 253 lower-case letters, digits, '-' and '.', "
               "starting and ending with a letter or digit");
  return Status::Ok();
}

Status CheckLabelKey(std::string_view what, std::string_view value) {
  std::string p = CommonProblem(value);
  if (!p.empty()) return Bad(what, value, p);
  size_t slash = value.find('/');
  std::string_view name = value;
  if (slash != std::string_view::npos) {
    if (!DnsSubdomainOk(value.substr(0, slash)))
      return Bad(what, value, "has a prefix that is not a DNS-1123 name (like example.com/)");
    name = value.substr(slash + 1);
  }
  if (!IsQualifiedName(name))
    return Bad(what, value,
               "is not a label key: a name of at most 63 letters, digits, '-', '_' and '.', "
               "starting and ending with a letter or digit, after an optional prefix/");
  return Status::Ok();
}

Status CheckLabelValue(std::string_view what, std::string_view value) {
  if (value.empty()) return Status::Ok();
  std::string p = CommonProblem(value);
  if (!p.empty()) return Bad(what, value, p);
  if (!IsQualifiedName(value))
    return Bad(what, value,
               "is not a label value: at most 63 letters, digits, '-', '_' and '.', "
               "starting and ending with a letter or digit");
  return Status::Ok();
}

Status CheckImageRef(std::string_view what, std::string_view value) {
  std::string p = CommonProblem(value);
  if (!p.empty()) return Bad(what, value, p);
  const std::string rule =
      "is not an image reference like registry.example.com/team/app:v1.2.3 (or @sha256:...)";
  if (value.size() > 1024) return Bad(what, value, "is longer than 1024 characters");
  std::string_view name = value;
  size_t at = name.find('@');
  if (at != std::string_view::npos) {
    std::string_view digest = name.substr(at + 1);
    size_t colon = digest.find(':');
    if (colon == std::string_view::npos || colon == 0 || digest.size() - colon - 1 < 32)
      return Bad(what, value, rule);
    for (char c : digest.substr(0, colon))
      if (!IsLowerAlnum(c)) return Bad(what, value, rule);
    for (char c : digest.substr(colon + 1))
      if (!IsHex(c)) return Bad(what, value, rule);
    name = name.substr(0, at);
  }
  size_t last_slash = name.rfind('/');
  size_t tag_colon = name.rfind(':');
  if (tag_colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || tag_colon > last_slash)) {
    std::string_view tag = name.substr(tag_colon + 1);
    if (tag.empty() || tag.size() > 128 || !(IsAlnum(tag[0]) || tag[0] == '_'))
      return Bad(what, value, rule);
    for (char c : tag)
      if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') return Bad(what, value, rule);
    name = name.substr(0, tag_colon);
  }
  std::vector<std::string> parts = Split(name, '/');
  size_t first = 0;
  // Like docker: the first component is a registry host when it looks like one.
  if (parts.size() > 1 &&
      (parts[0].find_first_of(".:ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos ||
       parts[0] == "localhost")) {
    if (!ImageHostOk(parts[0])) return Bad(what, value, rule);
    first = 1;
  }
  for (size_t i = first; i < parts.size(); ++i)
    if (!ImageComponentOk(parts[i])) return Bad(what, value, rule);
  return Status::Ok();
}

Status CheckLabelSelector(std::string_view what, std::string_view value) {
  std::string p = CommonProblem(Trim(value));
  if (!p.empty()) return Bad(what, value, p);
  if (value.size() > 1024) return Bad(what, value, "is longer than 1024 characters");
  for (char c : value) {
    if (IsAlnum(c)) continue;
    if (std::string_view("-_./=!,() ").find(c) == std::string_view::npos)
      return Bad(what, value,
                 std::string("contains '") + (static_cast<unsigned char>(c) < 0x20 ? '?' : c) +
                     "'; selectors are key=value, key!=value, key in (a,b), key notin (a,b), "
                     "key or !key, joined by commas");
  }
  bool balanced = true;
  auto reqs = SplitRequirements(value, &balanced);
  if (!balanced) return Bad(what, value, "has unbalanced or nested parentheses");
  for (const auto& req : reqs) {
    std::string problem = RequirementProblem(req);
    if (!problem.empty()) return Bad(what, value, problem);
  }
  return Status::Ok();
}

Status CheckPlainArg(std::string_view what, std::string_view value) {
  std::string p = CommonProblem(value);
  if (!p.empty()) return Bad(what, value, p);
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Bad(what, value, "contains a control character");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- kubectl

// "5s" or "1500ms": what kubectl's duration flags accept.
std::string KubeDuration(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

// The value at `path` in `j`, or null when any step is missing or of another type.
Json JsonAt(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return *cur;
}

std::string JsonAtString(const Json& j, std::initializer_list<const char*> path) {
  Json v = JsonAt(j, path);
  return v.is_string() ? v.get<std::string>() : "";
}

std::string LastLineOf(const std::string& text) {
  std::string_view t = Trim(text);
  size_t nl = t.rfind('\n');
  std::string_view line = nl == std::string_view::npos ? t : t.substr(nl + 1);
  if (line.size() > 400) line = line.substr(0, 400);
  return std::string(Trim(line));
}

std::vector<std::string> Kubectl::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), globals.begin(), globals.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string Kubectl::Show(const std::vector<std::string>& args) const {
  return QuoteArgv(Argv(args));
}

Kubectl KubectlFrom(const Json& with) {
  Kubectl k;
  if (!ParamString(with, "kubectl").empty()) k.binary = ParamString(with, "kubectl");
  if (!ParamString(with, "kubeconfig").empty())
    k.globals = {"--kubeconfig", ParamString(with, "kubeconfig")};
  if (!ParamString(with, "context").empty()) {
    k.globals.push_back("--context");
    k.globals.push_back(ParamString(with, "context"));
  }
  k.ns = ParamString(with, "namespace");
  if (!k.ns.empty()) {
    k.globals.push_back("--namespace");
    k.globals.push_back(k.ns);
  }
  if (ParamInt(with, "request_timeout") > 0) {
    k.globals.push_back("--request-timeout");
    k.globals.push_back(KubeDuration(ParamInt(with, "request_timeout")));
  }
  return k;
}

std::vector<ParamSpec> KubectlCommonParams() {
  return {
      {.name = "namespace",
       .type = ParamType::kString,
       .help = "namespace; default the kubeconfig context's",
       .check = CheckDnsLabel},
      {.name = "context",
       .type = ParamType::kString,
       .help = "kubeconfig context; default the current one",
       .check = CheckPlainArg},
      {.name = "kubeconfig",
       .type = ParamType::kString,
       .help =
           "kubeconfig file; default $KUBECONFIG, then ~/.kube/config (credentials come from it)",
       .check = CheckPlainArg},
      {.name = "kubectl",
       .type = ParamType::kString,
       .default_value = "kubectl",
       .help = "the kubectl program: a name on PATH or a path",
       .check = CheckPlainArg},
      {.name = "request_timeout",
       .type = ParamType::kDuration,
       .help = "limit for each API request (--request-timeout); default none, the step's timeout "
               "applies"},
  };
}

// kubectl with nothing to talk to is an integration that is not configured: the step is
// skipped, not failed. A kubeconfig named but missing is a mistake, and fails.
Status CheckKubectlConfigured(const Json& with) {
  std::string param = ParamString(with, "kubeconfig");
  if (!param.empty()) {
    if (!std::filesystem::exists(param))
      return Status::NotFound("param 'kubeconfig': " + param + " does not exist");
    return Status::Ok();
  }
  const char* env = std::getenv("KUBECONFIG");
  if (env && *env) return Status::Ok();
  const char* home = std::getenv("HOME");
  if (home && *home && std::filesystem::exists(std::string(home) + "/.kube/config"))
    return Status::Ok();
  // In a pod, kubectl uses the service account without any kubeconfig.
  if (std::getenv("KUBERNETES_SERVICE_HOST") &&
      std::filesystem::exists("/var/run/secrets/kubernetes.io/serviceaccount/token"))
    return Status::Ok();
  return Status::Skipped(
      "not configured: no kubeconfig (set KUBECONFIG, the step's `kubeconfig`, or create "
      "~/.kube/config)");
}

Status CheckKubectlBinary(const Kubectl& k) {
  auto found = FindExecutable(k.binary);
  if (found.ok()) return Status::Ok();
  std::string msg = found.status().message();
  if (msg.find("apt-get") == std::string::npos)
    msg += " (param 'kubectl'; install kubectl: apt-get install kubernetes-client)";
  return Status::NotFound(msg);
}

// How kubectl's last words map onto medic's codes (which decide retries and step status).
Code ClassifyKubectlError(const std::string& line) {
  auto has = [&line](const char* s) { return line.find(s) != std::string::npos; };
  if (has("(NotFound)") || has("not found")) return Code::kNotFound;
  if (has("timed out waiting for the condition") || has("Client.Timeout exceeded") ||
      has("context deadline exceeded") || has("(Timeout)") || has("i/o timeout"))
    return Code::kTimeout;
  if (has("(Forbidden)") || has("(BadRequest)") || has("(Invalid)") || has("(Conflict)") ||
      has("(Unauthorized)") || has("forbidden") || has("cannot be handled"))
    return Code::kFailedPrecondition;
  return Code::kUnavailable;
}

// Runs kubectl; Ok only for a clean exit. Any other end becomes the step's error, with
// kubectl's stderr kept in outputs["stderr"].
Result<ProcessResult> RunKubectl(StepContext& ctx, const Kubectl& k, const KubectlCall& call,
                                 Json& outputs) {
  ProcessSpec spec;
  spec.argv = k.Argv(call.args);
  spec.stdout_path = call.stdout_path;
  spec.stdin_data = call.stdin_data;
  spec.max_output = kMaxOutput;
  auto result = RunStepProcess(ctx, spec);
  if (!result.ok()) {
    if (result.status().code() == Code::kNotFound) {
      Status missing = CheckKubectlBinary(k);
      if (!missing.ok()) return missing;
    }
    return result.status().WithContext(call.what);
  }
  const ProcessResult& r = *result;
  ProcessCheck check(call.what);
  check.classify = ClassifyKubectlError;
  Status ended = CheckProcessEnd(r, check);
  if (!ended.ok()) {
    if (!r.timed_out && !r.cancelled && r.term_signal == 0) outputs["stderr"] = Tail(r.err, 4096);
    return ended;
  }
  return result;
}

Result<Json> ParseJsonObject(const std::string& text, const std::string& what) {
  try {
    Json j = Json::parse(text);
    if (j.is_object()) return j;
  } catch (const std::exception&) {
  }
  std::string start(Trim(text.substr(0, 120)));
  return Status::Unavailable(what + " printed no JSON object" +
                             (start.empty() ? "" : ": '" + start + "'"));
}

Result<Json> KubectlGetJson(StepContext& ctx, const Kubectl& k, const std::string& kind,
                            const std::string& name, Json& outputs) {
  KubectlCall call{"kubectl get " + kind + " " + name, {"get", kind, name, "-o", "json"}, "", ""};
  auto r = RunKubectl(ctx, k, call, outputs);
  if (!r.ok()) return r.status();
  return ParseJsonObject(r->out, call.what);
}

// The namespace for raw API paths: the param, else the kubeconfig context's, else "default".
Result<std::string> ResolveKubeNamespace(StepContext& ctx, const Kubectl& k, Json& outputs) {
  if (!k.ns.empty()) return k.ns;
  KubectlCall call{
      "kubectl config view",
      {"config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.namespace}"},
      "",
      ""};
  auto r = RunKubectl(ctx, k, call, outputs);
  if (!r.ok()) return r.status();
  std::string ns(Trim(r->out));
  if (ns.empty()) return std::string("default");
  MEDIC_RETURN_IF_ERROR(CheckDnsLabel("the kubeconfig context's namespace", ns));
  return ns;
}

std::vector<std::string> ContainerNames(const Json& pod_or_template_spec) {
  std::vector<std::string> names;
  Json containers = JsonAt(pod_or_template_spec, {"containers"});
  if (containers.is_array())
    for (const auto& c : containers) names.push_back(JsonAtString(c, {"name"}));
  return names;
}

Status RequireContainer(const std::vector<std::string>& names, const std::string& container,
                        const std::string& where) {
  if (std::find(names.begin(), names.end(), container) != names.end()) return Status::Ok();
  return Status::NotFound(where + " has no container '" + container + "' (it has " +
                          (names.empty() ? std::string("none") : Join(names, ", ")) + ")" +
                          DidYouMean(container, names));
}

}  // namespace medic
