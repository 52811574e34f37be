// `medic doctor`: what would fail during an incident, found before one. Each check is one
// line, "ok | warn | fail  what  (how to fix)"; any fail exits 1. Without --playbook it
// checks the machine (debuggers, ptrace, the record); with one, also what its steps will
// need: kubectl reaching its cluster and allowed every verb the steps use, every URL they
// call answering (webhook hosts resolving), the keys they read being present (never sent,
// never printed), and room on disk for a core. --config checks a serve.yaml the way `medic serve`
// loads it.
#include <netdb.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "base/redact.h"
#include "base/strings.h"
#include "cmd/commands.h"
#include "env/env.h"
#include "integrations/s3.h"
#include "playbooks/dry_run.h"
#include "server/config.h"

namespace medic {
namespace {

struct Check {
  std::string level;  // ok | warn | fail
  std::string what;
  std::string fix;  // "" when there is nothing to do
};

class Doctor {
 public:
  explicit Doctor(Context& ctx) : ctx_(ctx), env_(ctx.env()) {}

  void Add(const std::string& level, const std::string& what, const std::string& fix = "") {
    checks_.push_back({level, Redact(what), Redact(fix)});
  }
  const std::vector<Check>& checks() const { return checks_; }

  // "kubectl" -> its first version line; "" with `error` set when it does not run.
  std::string Version(const std::vector<std::string>& argv, std::string* error) {
    ProcessSpec spec;
    spec.argv = argv;
    spec.timeout_ms = 10'000;
    auto r = env_.processes->Run(spec, nullptr, nullptr);
    if (!r.ok()) {
      *error = r.status().message();
      return "";
    }
    std::string text(Trim(r->out.empty() ? r->err : r->out));
    if (r->exit_code != 0 && text.empty()) {
      *error = "exit " + std::to_string(r->exit_code);
      return "";
    }
    // The line that names the version when there is one (dlv prints a title first).
    size_t at = text.find("Version:");
    at = at == std::string::npos ? 0 : text.rfind('\n', at) + 1;
    return std::string(Trim(text.substr(at, text.find('\n', at) - at)));
  }

  void Tool(const std::string& name, const std::vector<std::string>& argv, bool needed,
            const std::string& package) {
    std::string error;
    std::string version = Version(argv, &error);
    if (!version.empty())
      Add("ok", name + ": " + version);
    else
      Add(needed ? "fail" : "warn", name + ": not usable (" + error + ")",
          "apt-get install " + package);
  }

  // gcore attaches with ptrace: Yama's ptrace_scope and the capability decide whether it can.
  void Ptrace(bool needed) {
    auto scope = env_.files->Read("/proc/sys/kernel/yama/ptrace_scope", 64);
    std::string value = scope.ok() ? std::string(Trim(*scope)) : "";
    bool capable = geteuid() == 0 || HasPtraceCapability();
    const char* miss = needed ? "fail" : "warn";
    if (value.empty() || value == "0") {
      Add("ok", "ptrace: kernel.yama.ptrace_scope " + (value.empty() ? "absent" : value) +
                    ": gcore may attach to this user's processes");
    } else if (value == "3") {
      Add(miss, "ptrace: kernel.yama.ptrace_scope is 3: no process may be attached to, gcore fails",
          "only a reboot lowers it; set kernel.yama.ptrace_scope=1 in /etc/sysctl.d");
    } else if (capable) {
      Add("ok", "ptrace: kernel.yama.ptrace_scope " + value + ", and medic has CAP_SYS_PTRACE");
    } else {
      Add(miss,
          "ptrace: kernel.yama.ptrace_scope is " + value +
              " and medic lacks CAP_SYS_PTRACE: gcore cannot attach to the service",
          "run medic with CAP_SYS_PTRACE (the systemd unit grants it) or as root");
    }
  }

  void Record(bool captures_cores) {
    auto store = ctx_.OpenStore();
    if (!store.ok()) {
      Add("fail", "record: " + store.status().message(), "set --db PATH or MEDIC_DB");
      return;
    }
    Add("ok", "record: " + (*store)->path() + " (schema " +
                  std::to_string((*store)->schema_version()) + ", writable)");
    std::filesystem::path dir = std::filesystem::path(ctx_.WorkRoot());
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    struct statvfs fs = {};
    if (statvfs(dir.c_str(), &fs) != 0) {
      Add("warn", "disk: cannot read the free space of " + dir.string());
      return;
    }
    uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    // An idle Go service's core is about 1 GB before compression; a busy one more.
    uint64_t want = captures_cores ? (4ULL << 30) : (256ULL << 20);
    std::string what = "disk: " + std::to_string(free_bytes >> 20) + " MiB free under " +
                       dir.string() + (captures_cores ? " (the playbook captures cores)" : "");
    if (free_bytes >= want)
      Add("ok", what);
    else
      Add(captures_cores ? "fail" : "warn", what,
          "free space where the record lives (--db, MEDIC_DB): runs keep their files beside it");
  }

  void Config(const std::string& path) {
    auto config = LoadServeConfig(path, ctx_.registry());
    if (!config.ok()) {
      Add("fail", "serve config " + path + ":\n" + config.status().message(),
          "medic serve --config " + path + " --check");
      return;
    }
    Add("ok", "serve config " + path + ": " + std::to_string(config->routes.size()) +
                  " route(s), every playbook loads");
  }

  void Playbook(const std::string& path, const Json& vars, const std::string& ns_flag);

 private:
  static bool HasPtraceCapability() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return false;
    char line[256];
    bool has = false;
    while (std::fgets(line, sizeof line, f)) {
      unsigned long long caps = 0;
      if (std::sscanf(line, "CapEff: %llx", &caps) == 1) has = caps & (1ULL << 19);
    }
    std::fclose(f);
    return has;
  }

  // The step's rendered value of `name`, or "" when unset or only known at run time.
  static std::string Given(const Json& with, const std::string& name) {
    auto it = with.find(name);
    if (it == with.end() || !it->is_string()) return "";
    std::string v = it->get<std::string>();
    return v.find("<steps.") != std::string::npos ? "" : v;
  }

  std::string Default(const Action& action, const std::string& param) {
    for (const auto& p : action.info().params)
      if (p.name == param && p.default_value.is_string()) return p.default_value.get<std::string>();
    return "";
  }

  // The URL a step will call: its `url`, else the variable `url_env` names.
  std::string UrlOf(const Json& with, const Action& action, std::string* from) {
    std::string url = Given(with, "url");
    if (!url.empty()) {
      *from = "url";
      return url;
    }
    std::string var = Given(with, "url_env");
    if (var.empty()) var = Default(action, "url_env");
    *from = "$" + var;
    return var.empty() ? "" : env_.Var(var);
  }

  void Probe(const std::string& step, const std::string& what, const std::string& url,
             const std::string& path, const std::string& fix) {
    HttpRequest req;
    req.url = url + path;
    req.timeout_ms = 5'000;
    req.connect_timeout_ms = 3'000;
    auto r = env_.http->Send(req);
    std::string line = "step '" + step + "': " + what + " " + url;
    if (!r.ok())
      Add("fail", line + ": " + r.status().message(), fix);
    else if (r->status < 200 || r->status >= 300)
      Add("fail", line + ": " + path + " answered HTTP " + std::to_string(r->status), fix);
    else
      Add("ok", line + " answers " + path);
  }

  // A webhook or HTTP target's host resolves (nothing is sent to it).
  void Resolves(const std::string& step, const std::string& action, const std::string& url) {
    size_t scheme = url.find("://");
    if (url.empty() || scheme == std::string::npos) return;
    std::string host = url.substr(scheme + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    if (size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
    if (!host.empty() && host.front() == '[')
      host = host.substr(1, host.find(']') - 1);
    else
      host = host.substr(0, host.find(':'));
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, nullptr, &found);
    if (found) freeaddrinfo(found);
    std::string what = "step '" + step + "' (" + action + "): host " + host;
    if (rc == 0)
      Add("ok", what + " resolves");
    else
      Add("fail", what + " does not resolve: " + gai_strerror(rc), "check the URL and DNS");
  }

  void Kubernetes(const std::vector<std::pair<std::string, Json>>& steps);
  void S3(const std::string& step, const Json& with);

  Context& ctx_;
  Env env_;
  std::vector<Check> checks_;
  std::string ns_flag_;
};

void Doctor::S3(const std::string& step, const Json& with) {
  S3Config overrides;
  overrides.bucket = Given(with, "bucket");
  if (overrides.bucket.empty()) overrides.bucket = env_.Var("MEDIC_S3_BUCKET");
  if (overrides.bucket.empty()) {
    Add("warn", "step '" + step + "': no bucket (bucket, or MEDIC_S3_BUCKET): it will be skipped",
        "set MEDIC_S3_BUCKET");
    return;
  }
  overrides.endpoint = Given(with, "endpoint");
  overrides.region = Given(with, "region");
  auto config = S3ConfigFromEnv(overrides);
  if (!config.ok()) {
    Add("fail", "step '" + step + "': S3: " + config.status().message(),
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    return;
  }
  // HeadBucket, signed as the upload will be: credentials and reachability in one request.
  HttpRequest req = S3Request(*config, "HEAD", "", "", "");
  req.timeout_ms = 5'000;
  auto r = env_.http->Send(req);
  std::string line = "step '" + step + "': S3 bucket " + config->bucket;
  if (!r.ok())
    Add("fail", line + ": " + r.status().message(), "check AWS_ENDPOINT_URL and the network");
  else if (r->status == 200)
    Add("ok", line + " reachable with the configured credentials (HeadBucket 200)");
  else
    Add("fail", line + ": " + S3ErrorStatus("HeadBucket", *r).message(),
        r->status == 403   ? "check the access key, secret and region (a signature mismatch is 403)"
        : r->status == 404 ? "create the bucket, or fix its name"
                           : "");
}

void Doctor::Kubernetes(const std::vector<std::pair<std::string, Json>>& steps) {
  // One cluster per kubectl/kubeconfig/context; in practice a playbook uses one.
  const Json& with = steps.front().second;
  std::vector<std::string> base = {Given(with, "kubectl").empty() ? "kubectl"
                                                                  : Given(with, "kubectl")};
  if (!Given(with, "kubeconfig").empty())
    base.push_back("--kubeconfig=" + Given(with, "kubeconfig"));
  if (!Given(with, "context").empty()) base.push_back("--context=" + Given(with, "context"));
  std::string error;
  auto args = base;
  args.insert(args.end(), {"get", "--raw", "/version", "--request-timeout=5s"});
  ProcessSpec spec;
  spec.argv = args;
  spec.timeout_ms = 15'000;
  auto r = env_.processes->Run(spec, nullptr, nullptr);
  if (!r.ok() || r->exit_code != 0) {
    Add("fail",
        "kubernetes: the API server does not answer: " +
            (r.ok() ? std::string(Trim(r->err)).substr(0, 300) : r.status().message()),
        "check KUBECONFIG, the context and the network");
    return;
  }
  Json version = Json::parse(r->out, nullptr, false);
  Add("ok", "kubernetes: API server " +
                (version.is_object() ? version.value("gitVersion", "?") : std::string("?")) +
                " answers");
  std::set<std::string> asked;
  for (const auto& [step, w] : steps) {
    auto* action = ctx_.registry().Find(w.value("__action", ""));
    if (!action) continue;
    std::string ns = !ns_flag_.empty() ? ns_flag_ : Given(w, "namespace");
    for (const std::string& access : action->info().kube_access) {
      if (!asked.insert(ns + "|" + access).second) continue;
      size_t sp = access.find(' ');
      std::string verb = access.substr(0, sp), resource = access.substr(sp + 1), sub;
      if (size_t slash = resource.find('/'); slash != std::string::npos) {
        sub = resource.substr(slash + 1);
        resource.resize(slash);
      }
      auto can = base;
      can.insert(can.end(), {"auth", "can-i", verb, resource});
      if (!sub.empty()) can.push_back("--subresource=" + sub);
      if (!ns.empty()) can.push_back("--namespace=" + ns);
      spec.argv = can;
      auto answer = env_.processes->Run(spec, nullptr, nullptr);
      std::string said = answer.ok() ? std::string(Trim(answer->out)) : "";
      std::string what = "kubernetes: " + access + (ns.empty() ? "" : " in " + ns) + " (step '" +
                         step + "', " + action->info().name + ")";
      if (said == "yes")
        Add("ok", what);
      else
        Add("fail", what + ": not allowed",
            "grant it to medic's account (deploy/kubernetes/rbac.yaml lists what each action "
            "needs)");
    }
  }
}

void Doctor::Playbook(const std::string& path, const Json& vars, const std::string& ns_flag) {
  ns_flag_ = ns_flag;
  auto pb = LoadPlaybook(path, ctx_.registry());
  if (!pb.ok()) {
    Add("fail", "playbook " + path + ": does not load:\n" + pb.status().message(),
        "medic validate " + path);
    return;
  }
  auto params = BindParams(*pb, vars);
  if (!params.ok()) {
    Add("fail", "playbook " + path + ": " + params.status().message(), "pass it with --var");
    return;
  }
  auto plan = DryRun(*pb, *params, ctx_.registry(), *env_.vars);
  if (!plan.ok()) {
    Add("fail", "playbook " + path + ": " + plan.status().message());
    return;
  }
  Add("ok",
      "playbook " + path + ": " + pb->name + ", " + std::to_string(pb->Steps().size()) + " steps");
  bool gcore = false, dlv = false, kubectl = false;
  std::vector<std::pair<std::string, Json>> kube_steps;
  std::vector<std::pair<std::string, Json>> steps;
  for (const auto& stage : (*plan)["stages"])
    for (const auto& step : stage["steps"]) {
      Json with = step.value("with", Json::object());
      with["__action"] = step.value("action", "");
      steps.emplace_back(step.value("id", ""), with);
    }
  for (const auto& [id, with] : steps) {
    std::string name = with.value("__action", "");
    const Action* action = ctx_.registry().Find(name);
    if (!action) continue;
    if (name == "process.gcore" || name == "kubectl.gcore") gcore = true;
    if (name == "gdb.analyze") dlv = true;
    if (StartsWith(name, "kubectl.")) {
      kubectl = true;
      kube_steps.emplace_back(id, with);
    }
    std::string from;
    if (StartsWith(name, "prometheus.")) {
      std::string url = UrlOf(with, *action, &from);
      if (url.empty())
        Add("warn", "step '" + id + "': no Prometheus URL (" + from + "): it will be skipped",
            "set " + from);
      else
        Probe(id, "Prometheus", url, "/api/v1/query?query=vector(1)", "check " + from);
    } else if (StartsWith(name, "alertmanager.")) {
      std::string url = UrlOf(with, *action, &from);
      if (url.empty())
        Add("warn", "step '" + id + "': no Alertmanager URL (" + from + "): it will be skipped",
            "set " + from);
      else
        Probe(id, "Alertmanager", url, "/api/v2/status", "check " + from);
    } else if (StartsWith(name, "pushgateway.")) {
      std::string url = UrlOf(with, *action, &from);
      if (url.empty())
        Add("warn", "step '" + id + "': no Pushgateway URL (" + from + "): it will be skipped",
            "set " + from);
      else
        Probe(id, "Pushgateway", url, "/-/ready", "check " + from);
    } else if (name == "s3.upload") {
      S3(id, with);
    } else if (name == "http.request" || name == "http.wait" || name == "webhook.post") {
      Resolves(id, name, Given(with, "url"));
    } else if (name == "pagerduty.event" || name == "slack.post" || name == "webhook.post") {
      // Keys are checked for presence only: never sent, never printed.
      bool present = false;
      std::string where;
      for (const char* key : {"routing_key", "webhook_url", "url", "secret"})
        if (!Given(with, key).empty()) present = true, where = key;
      for (const char* file_key : {"routing_key_file", "webhook_url_file", "secret_file"}) {
        std::string file = Given(with, file_key);
        if (!file.empty()) {
          where = file;
          present = env_.files->Read(file, 1 << 16).ok();
        }
      }
      if (!present)
        for (const char* env_key : {"routing_key_env", "webhook_url_env", "url_env"}) {
          std::string var = Given(with, env_key);
          if (var.empty()) var = Default(*action, env_key);
          if (var.empty()) continue;
          where = "$" + var;
          present = !env_.Var(var).empty();
          if (present) break;
        }
      if (present)
        Add("ok", "step '" + id + "' (" + name + "): its key is present (" + where + ")");
      else
        Add("warn",
            "step '" + id + "' (" + name + "): no key" + (where.empty() ? "" : " (" + where + ")") +
                ": it will be skipped",
            "set " + (where.empty() ? std::string("its key") : where));
    }
  }
  if (kubectl) {
    Tool("kubectl", {"kubectl", "version", "--client=true"}, true, "kubernetes-client");
    Kubernetes(kube_steps);
  }
  if (gcore) {
    Tool("gcore (gdb)", {"gdb", "--version"}, true, "gdb");
    Ptrace(true);
  }
  if (dlv) Tool("dlv", {"dlv", "version"}, false, "delve");
  Record(gcore);
}

}  // namespace

void AddDoctorCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string playbook;
    std::vector<std::string> vars;
    std::string config;
    std::string ns;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "doctor", "Check before an incident what would fail during one (tools, cluster, URLs)");
  cmd->add_option("--playbook", flags->playbook, "also check what this playbook's steps need");
  cmd->add_option("--var", flags->vars, "a playbook param, NAME=VALUE (repeatable)");
  cmd->add_option("--config", flags->config, "also check this serve.yaml");
  cmd->add_option("-n,--namespace", flags->ns,
                  "the namespace to ask `kubectl auth can-i` about (default: the steps')");
  cmd->add_flag("--json", flags->json, "print the checks as JSON");
  cmd->callback([flags, &ctx] {
    Doctor doctor(ctx);
    if (!flags->playbook.empty()) {
      auto vars = ParseVarFlags(flags->vars);
      if (!vars.ok()) return ctx.Fail(vars.status(), kExitUsage);
      doctor.Playbook(flags->playbook, *vars, flags->ns);
    } else {
      doctor.Tool("kubectl", {"kubectl", "version", "--client=true"}, false, "kubernetes-client");
      doctor.Tool("gcore (gdb)", {"gdb", "--version"}, false, "gdb");
      doctor.Tool("dlv", {"dlv", "version"}, false, "delve");
      doctor.Ptrace(false);
      doctor.Record(false);
    }
    if (!flags->config.empty()) doctor.Config(flags->config);
    bool failed = false;
    Json out = Json::array();
    for (const Check& c : doctor.checks()) {
      failed = failed || c.level == "fail";
      out.push_back({{"level", c.level}, {"check", c.what}, {"fix", c.fix}});
    }
    if (flags->json) {
      std::cout << out.dump(2) << std::endl;
    } else {
      bool color = ctx.color && ctx.stdout_tty;
      for (const Check& c : doctor.checks()) {
        const char* code = c.level == "ok" ? "32" : c.level == "warn" ? "33" : "31";
        std::string level = c.level;
        level.resize(5, ' ');
        std::cout << Colorize(color, code, level) << c.what
                  << (c.fix.empty() ? "" : "  (" + c.fix + ")") << "\n";
      }
    }
    if (failed) ctx.exit_code = kExitFailed;
  });
}

}  // namespace medic
