#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/duration.h"
#include "base/redact.h"
#include "base/strings.h"
#include "lang/template.h"
#include "playbooks/yaml_bounds.h"

namespace medic {
namespace {

const std::vector<std::string> kTopFields = {"auth", "routes", "limits", "retention"};
const std::vector<std::string> kAuthFields = {"bearer_tokens_file", "bearer_tokens",
                                              "pagerduty_secrets_file", "pagerduty_secrets",
                                              "pagerduty_max_event_age"};
const std::vector<std::string> kRouteFields = {
    "name",     "match",       "playbook",        "vars",         "dedup_key", "auto_confirm",
    "max_runs", "concurrency", "circuit_breaker", "on_suppressed"};
// What a suppressed route's on_suppressed playbook may take, beyond the route's vars.
const std::vector<std::string> kSuppressedParams = {"route", "suppressed_by", "reason",
                                                    "incident_id"};
const std::vector<std::string> kLimitFields = {"max_concurrent_runs",
                                               "max_body",
                                               "queue",
                                               "http_threads",
                                               "drain_timeout",
                                               "max_connections",
                                               "max_connections_per_peer",
                                               "header_timeout",
                                               "request_timeout",
                                               "lease",
                                               "lease_renew"};

// Secrets shorter than this would also be too short to redact reliably.
constexpr size_t kMinSecretBytes = 12;

SourceMark MarkOf(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

class ConfigLoader {
 public:
  ConfigLoader(const std::string& path, const Registry& registry)
      : path_(path),
        registry_(registry),
        dir_(std::filesystem::path(path).parent_path().string()) {}

  void Load(const YAML::Node& root, ServeConfig* config) {
    if (!root.IsMap()) {
      Add(MarkOf(root), "", "the config is a mapping with auth, routes and limits");
      return;
    }
    CheckFields(root, kTopFields, "top-level", "");
    if (auto auth = root["auth"]) LoadAuth(auth, config);
    if (config->bearer_tokens.empty() && config->pagerduty_secrets.empty())
      Add(MarkOf(root["auth"] ? root["auth"] : root), "",
          "no credentials configured: set auth.bearer_tokens_file (or bearer_tokens, or "
          "pagerduty_secrets_file); medic serve does not accept unauthenticated alerts");
    if (auto limits = root["limits"]) LoadLimits(limits, &config->limits);
    if (auto retention = root["retention"]) {
      auto ms = ParseDurationMs(retention.Scalar());
      if (!ms.ok() || *ms < 1'000)
        Add(MarkOf(retention), "",
            "retention: " + (ms.ok() ? std::string("at least 1s (leave it out to keep every run)")
                                     : ms.status().message()));
      else
        config->retention_ms = *ms;
    }
    auto routes = root["routes"];
    if (!routes || !routes.IsSequence() || routes.size() == 0) {
      Add(MarkOf(routes ? routes : root), "",
          "'routes' must be a non-empty list (first match wins)");
      return;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < routes.size(); ++i) {
      RouteConfig route;
      LoadRoute(routes[i], i, &route);
      if (!names.insert(route.name).second)
        Add(route.mark, route.name, "duplicate route name '" + route.name + "'");
      config->routes.push_back(std::move(route));
    }
  }

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void Add(SourceMark mark, const std::string& route, const std::string& msg) {
    std::string line =
        path_ + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) + ": ";
    if (!route.empty()) line += "route '" + route + "': ";
    problems_.push_back(line + msg);
  }

  void CheckFields(const YAML::Node& map, const std::vector<std::string>& known,
                   const std::string& what, const std::string& route) {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      // YAML readers disagree on which of two equal keys wins; refuse to guess.
      if (!seen.insert(key).second)
        Add(MarkOf(kv.first), route, "duplicate " + what + " field '" + key + "'");
      if (std::find(known.begin(), known.end(), key) == known.end())
        Add(MarkOf(kv.first), route,
            "unknown " + what + " field '" + key + "'" + DidYouMean(key, known));
    }
  }

  std::string Resolve(const std::string& p) const {
    if (p.empty() || p[0] == '/' || dir_.empty()) return p;
    return dir_ + "/" + p;
  }

  void AddSecret(const std::string& value, SourceMark mark, std::vector<std::string>* out) {
    if (value.size() < kMinSecretBytes) {
      Add(mark, "",
          "a token or secret is shorter than " + std::to_string(kMinSecretBytes) +
              " characters; use a long random value (e.g. `openssl rand -hex 32`)");
      return;
    }
    RegisterSecret(value);
    out->push_back(value);
  }

  // One secret per line; blank lines and lines starting with # are skipped.
  void ReadSecretsFile(const YAML::Node& node, std::vector<std::string>* out) {
    std::string file = Resolve(node.Scalar());
    std::ifstream in(file);
    if (!in) {
      Add(MarkOf(node), "", "cannot read " + file + ": check the path and that medic may read it");
      return;
    }
    std::string line;
    size_t before = out->size();
    while (std::getline(in, line)) {
      std::string v(Trim(line));
      if (v.empty() || v[0] == '#') continue;
      AddSecret(v, MarkOf(node), out);
    }
    if (out->size() == before) Add(MarkOf(node), "", file + " holds no secrets (one per line)");
  }

  void ReadSecretList(const YAML::Node& node, const std::string& field,
                      std::vector<std::string>* out) {
    if (!node.IsSequence()) {
      Add(MarkOf(node), "", "'" + field + "' must be a list");
      return;
    }
    for (const auto& v : node) AddSecret(v.Scalar(), MarkOf(v), out);
  }

  void LoadAuth(const YAML::Node& auth, ServeConfig* config) {
    if (!auth.IsMap()) {
      Add(MarkOf(auth), "", "'auth' must be a mapping");
      return;
    }
    CheckFields(auth, kAuthFields, "auth", "");
    if (auto f = auth["bearer_tokens_file"]) ReadSecretsFile(f, &config->bearer_tokens);
    if (auto l = auth["bearer_tokens"]) ReadSecretList(l, "bearer_tokens", &config->bearer_tokens);
    if (auto f = auth["pagerduty_secrets_file"]) ReadSecretsFile(f, &config->pagerduty_secrets);
    if (auto l = auth["pagerduty_secrets"])
      ReadSecretList(l, "pagerduty_secrets", &config->pagerduty_secrets);
    if (auto n = auth["pagerduty_max_event_age"]) {
      auto ms = ParseDurationMs(n.Scalar());
      if (!ms.ok() || *ms < 0)
        Add(MarkOf(n), "",
            "auth.pagerduty_max_event_age: " +
                (ms.ok() ? std::string("must not be negative") : ms.status().message()));
      else
        config->pagerduty_max_event_age_ms = *ms;
    }
  }

  void IntLimit(const YAML::Node& limits, const char* key, int lo, int hi, int* out) {
    auto n = limits[key];
    if (!n) return;
    try {
      int v = n.as<int>();
      if (v < lo || v > hi) throw YAML::Exception(n.Mark(), "out of range");
      *out = v;
    } catch (const YAML::Exception&) {
      Add(MarkOf(n), "",
          std::string("limits.") + key + ": '" + n.Scalar() + "' must be a whole number from " +
              std::to_string(lo) + " to " + std::to_string(hi));
    }
  }

  // A positive duration ("10s").
  void DurationLimit(const YAML::Node& limits, const char* key, int64_t* out) {
    auto n = limits[key];
    if (!n) return;
    auto ms = ParseDurationMs(n.Scalar());
    if (!ms.ok() || *ms < 100)
      Add(MarkOf(n), "",
          std::string("limits.") + key + ": " +
              (ms.ok() ? std::string("at least 100ms") : ms.status().message()));
    else
      *out = *ms;
  }

  void LoadLimits(const YAML::Node& limits, ServeLimits* out) {
    if (!limits.IsMap()) {
      Add(MarkOf(limits), "", "'limits' must be a mapping");
      return;
    }
    CheckFields(limits, kLimitFields, "limits", "");
    IntLimit(limits, "max_concurrent_runs", 1, 256, &out->max_concurrent_runs);
    IntLimit(limits, "queue", 1, 1'000'000, &out->queue);
    IntLimit(limits, "http_threads", 1, 1024, &out->http_threads);
    IntLimit(limits, "max_connections", 16, 1'000'000, &out->max_connections);
    IntLimit(limits, "max_connections_per_peer", 1, 1'000'000, &out->max_connections_per_peer);
    DurationLimit(limits, "header_timeout", &out->header_timeout_ms);
    DurationLimit(limits, "request_timeout", &out->request_timeout_ms);
    DurationLimit(limits, "lease", &out->lease.lease_ms);
    DurationLimit(limits, "lease_renew", &out->lease.renew_ms);
    if (out->lease.renew_ms <= 0 || out->lease.lease_ms < 2 * out->lease.renew_ms)
      Add(MarkOf(limits), "",
          "limits.lease must be at least twice limits.lease_renew (a driver renews its lease "
          "several times before it runs out)");
    if (auto n = limits["max_body"]) {
      auto size = ParseSizeBytes(n.Scalar());
      if (!size.ok() || *size < 1024)
        Add(MarkOf(n), "",
            "limits.max_body: " +
                (size.ok() ? std::string("at least 1KiB") : size.status().message()));
      else
        out->max_body = *size;
    }
    if (auto n = limits["drain_timeout"]) {
      auto ms = ParseDurationMs(n.Scalar());
      if (!ms.ok() || *ms < 0)
        Add(MarkOf(n), "",
            "limits.drain_timeout: " +
                (ms.ok() ? std::string("must not be negative") : ms.status().message()));
      else
        out->drain_timeout_ms = *ms;
    }
  }

  void CheckTemplate(const std::string& text, SourceMark mark, const std::string& route,
                     const std::string& what) {
    auto refs = ExtractRefs(text);
    if (!refs.ok()) {
      Add(mark, route, what + ": " + refs.status().message());
      return;
    }
    for (const auto& ref : *refs) {
      std::string bad = AlertScope().Check(ref.path);
      if (!bad.empty()) Add(mark, route, what + ": " + bad);
    }
  }

  void LoadMatch(const YAML::Node& match, RouteConfig* route) {
    if (!match.IsMap()) {
      Add(MarkOf(match), route->name, "'match' must be a mapping of label: value");
      return;
    }
    for (const auto& kv : match) {
      LabelMatcher m;
      m.label = kv.first.Scalar();
      if (!kv.second.IsScalar()) {
        Add(MarkOf(kv.second), route->name, "match." + m.label + ": must be a single value");
        continue;
      }
      std::string v = kv.second.Scalar();
      if (StartsWith(v, "=~") || StartsWith(v, "!~")) {
        m.op = v[0] == '=' ? LabelMatcher::Op::kRegex : LabelMatcher::Op::kNotRegex;
        m.value = v.substr(2);
        try {
          m.re =
              std::make_shared<std::regex>(m.value, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& e) {
          Add(MarkOf(kv.second), route->name,
              "match." + m.label + ": invalid regular expression '" + m.value + "': " + e.what());
          continue;
        }
      } else if (StartsWith(v, "!=")) {
        m.op = LabelMatcher::Op::kNotEqual;
        m.value = v.substr(2);
      } else {
        m.value = v;
      }
      route->match.push_back(std::move(m));
    }
  }

  std::shared_ptr<const Playbook> LoadRoutePlaybook(const YAML::Node& node, RouteConfig* route) {
    route->playbook_path = Resolve(node.Scalar());
    auto cached = playbooks_.find(route->playbook_path);
    if (cached != playbooks_.end()) return cached->second;
    auto pb = LoadPlaybook(route->playbook_path, registry_);
    std::shared_ptr<const Playbook> out;
    if (!pb.ok()) {
      Add(MarkOf(node), route->name, "playbook " + route->playbook_path + " does not load:");
      for (const auto& line : Split(pb.status().message(), '\n')) problems_.push_back("  " + line);
    } else {
      out = std::make_shared<const Playbook>(std::move(*pb));
    }
    playbooks_[route->playbook_path] = out;
    return out;
  }

  void LoadVars(const YAML::Node& vars, RouteConfig* route) {
    if (!vars.IsMap()) {
      Add(MarkOf(vars), route->name, "'vars' must be a mapping of playbook param: template");
      return;
    }
    std::vector<std::string> params;
    if (route->playbook)
      for (const auto& p : route->playbook->params) params.push_back(p.name);
    for (const auto& kv : vars) {
      std::string name = kv.first.Scalar();
      if (!kv.second.IsScalar()) {
        Add(MarkOf(kv.second), route->name,
            "vars." + name + ": must be a string (a template like \"{{ labels.service }}\")");
        continue;
      }
      if (route->playbook && std::find(params.begin(), params.end(), name) == params.end())
        Add(MarkOf(kv.first), route->name,
            "vars." + name + ": playbook '" + route->playbook->name + "' has no param '" + name +
                "'" + DidYouMean(name, params) +
                (params.empty() ? "" : "; it takes: " + Join(params, ", ")));
      CheckTemplate(kv.second.Scalar(), MarkOf(kv.second), route->name, "vars." + name);
      if (route->vars.contains(name))
        Add(MarkOf(kv.first), route->name, "duplicate var '" + name + "'");
      route->vars[name] = kv.second.Scalar();
    }
  }

  void LoadRoute(const YAML::Node& node, size_t index, RouteConfig* route) {
    route->mark = MarkOf(node);
    route->name = "route-" + std::to_string(index + 1);
    if (!node.IsMap()) {
      Add(route->mark, route->name, "a route is a mapping with match and playbook");
      return;
    }
    if (auto n = node["name"]) route->name = n.Scalar();
    CheckFields(node, kRouteFields, "route", route->name);
    if (auto m = node["match"])
      LoadMatch(m, route);
    else
      Add(route->mark, route->name, "missing 'match' (use {} to match every alert)");
    if (auto p = node["playbook"])
      route->playbook = LoadRoutePlaybook(p, route);
    else
      Add(route->mark, route->name, "missing 'playbook'");
    if (auto v = node["vars"]) LoadVars(v, route);
    if (route->playbook) {
      for (const auto& p : route->playbook->params) {
        if (p.required && p.default_value.is_null() && !route->vars.contains(p.name))
          Add(route->mark, route->name,
              "playbook '" + route->playbook->name + "' requires param '" + p.name +
                  "': add it to vars (e.g. " + p.name + ": \"{{ labels." + p.name + " }}\")");
      }
    }
    if (auto d = node["dedup_key"]) {
      route->dedup_key = d.Scalar();
      CheckTemplate(route->dedup_key, MarkOf(d), route->name, "dedup_key");
    }
    if (auto a = node["auto_confirm"]) {
      try {
        route->auto_confirm = a.as<bool>();
      } catch (const YAML::Exception&) {
        Add(MarkOf(a), route->name, "auto_confirm: '" + a.Scalar() + "' must be true or false");
      }
    }
    if (auto m = node["max_runs"])
      LoadCountPer(m, "max_runs", "count", route, &route->max_runs, &route->max_runs_per_ms);
    if (auto b = node["circuit_breaker"])
      LoadCountPer(b, "circuit_breaker", "failures", route, &route->breaker_failures,
                   &route->breaker_per_ms);
    if (auto c = node["concurrency"]) {
      int n = 0;
      try {
        n = c.as<int>();
      } catch (const YAML::Exception&) {
      }
      if (n < 1)
        Add(MarkOf(c), route->name,
            "concurrency: '" + c.Scalar() + "' must be a whole number of runs, 1 or more");
      else
        route->concurrency = n;
    }
    if (auto o = node["on_suppressed"]) LoadOnSuppressed(o, route);
  }

  // `field: {COUNT_NAME: N, per: DURATION}`, N >= 1 and DURATION > 0.
  void LoadCountPer(const YAML::Node& m, const std::string& field, const std::string& count_name,
                    RouteConfig* route, int* count_out, int64_t* per_out) {
    std::string shape = field + " must be {" + count_name + ": N, per: DURATION}, e.g. {" +
                        count_name + ": 3, per: 10m}";
    if (!m.IsMap() || !m[count_name] || !m["per"]) return Add(MarkOf(m), route->name, shape);
    CheckFields(m, {count_name, "per"}, field, route->name);
    auto per = ParseDurationMs(m["per"].Scalar());
    int count = 0;
    try {
      count = m[count_name].as<int>();
    } catch (const YAML::Exception&) {
    }
    if (count < 1 || !per.ok() || *per <= 0) return Add(MarkOf(m), route->name, shape);
    *count_out = count;
    *per_out = *per;
  }

  // The playbook run instead of the route's own when max_runs or the breaker holds a run back:
  // it may take route, suppressed_by, reason and incident_id, and any param the route's vars set.
  void LoadOnSuppressed(const YAML::Node& node, RouteConfig* route) {
    if (!node.IsScalar())
      return Add(MarkOf(node), route->name, "on_suppressed: must be a playbook path");
    RouteConfig holder;
    holder.name = route->name;
    route->on_suppressed = LoadRoutePlaybook(node, &holder);
    route->on_suppressed_path = holder.playbook_path;
    if (!route->on_suppressed) return;
    for (const auto& p : route->on_suppressed->params) {
      bool given = route->vars.contains(p.name) ||
                   std::find(kSuppressedParams.begin(), kSuppressedParams.end(), p.name) !=
                       kSuppressedParams.end();
      if (p.required && p.default_value.is_null() && !given)
        Add(MarkOf(node), route->name,
            "on_suppressed playbook '" + route->on_suppressed->name + "' requires param '" +
                p.name + "', which it is not given: it gets " + Join(kSuppressedParams, ", ") +
                " and the route's vars");
    }
  }

  std::string path_;
  const Registry& registry_;
  std::string dir_;
  std::vector<std::string> problems_;
  std::map<std::string, std::shared_ptr<const Playbook>> playbooks_;
};

}  // namespace

bool LabelMatcher::Matches(const Json& labels) const {
  std::string actual;
  auto it = labels.find(label);
  if (it != labels.end() && it->is_string()) actual = it->get<std::string>();
  switch (op) {
    case Op::kEqual:
      return actual == value;
    case Op::kNotEqual:
      return actual != value;
    case Op::kRegex:
      return std::regex_match(actual, *re);
    case Op::kNotRegex:
      return !std::regex_match(actual, *re);
  }
  return false;
}

const Scope& AlertScope() {
  static const Scope kScope = [] {
    // Any path no shape accepts gets one message: what alert data there is.
    Scope s([](const Scope& scope, const std::string& path, bool known_root) -> std::string {
      return "'{{ " + path + " }}' is not alert data; use " + scope.Usage() +
             (known_root ? "" : DidYouMean(Split(path, '.')[0], scope.Roots()));
    });
    s.Root("labels", {"NAME"})
        .Root("annotations", {"NAME"})
        .Root("status", {""})
        .Root("fingerprint", {""})
        .Root("source", {""})
        .Root("group_key", {""});
    return s;
  }();
  return kScope;
}

Result<ServeConfig> LoadServeConfig(const std::string& path, const Registry& registry) {
  auto text = ReadYamlFile(path, "config");
  if (!text.ok()) return text.status();
  MEDIC_RETURN_IF_ERROR(CheckYamlBounds(*text, path));
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  ServeConfig config;
  config.path = path;
  ConfigLoader loader(path, registry);
  try {
    loader.Load(root, &config);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!loader.problems().empty()) return Status::Invalid(Join(loader.problems(), "\n"));
  return config;
}

}  // namespace medic
