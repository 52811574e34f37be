#include "server/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "base/redact.h"
#include "base/strings.h"
#include "env/env.h"
#include "playbooks/approval.h"
#include "playbooks/lease.h"
#include "server/alert.h"
#include "server/auth.h"
#include "server/guardrails.h"
#include "server/http_front.h"
#include "server/incident_view.h"
#include "server/intake.h"
#include "server/metrics.h"
#include "server/run_queue.h"
#include "server/run_workers.h"
#include "store/alerts.h"
#include "store/checkpointer.h"
#include "store/listener.h"

namespace medic {
namespace {

constexpr int kRetryAfterSeconds = 5;
constexpr int kListenBacklog = 1024;
constexpr int64_t kDeliveryMemoryMs = 7LL * 24 * 3600 * 1000;
constexpr size_t kMaxDeliveryIdBytes = 200;

std::atomic<bool> reload_requested{false};

bool ReloadRequested() { return reload_requested.load(); }
bool TakeReloadRequest() { return reload_requested.exchange(false); }

std::string EndpointOf(const std::string& path) {
  for (const char* known : {"/hooks/alertmanager", "/hooks/pagerduty", "/hooks/generic", "/healthz",
                            "/metrics", "/incidents"})
    if (path == known) return known;
  if (StartsWith(path, "/incidents/")) return "/incidents/:id";
  return "other";
}

void Reply(httplib::Response& res, int code, const Json& body) {
  res.status = code;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void ReplyError(httplib::Response& res, int code, const std::string& message) {
  Reply(res, code, Json{{"error", Redact(message)}});
}

// An absent Content-Type is taken as JSON (some senders leave it out); anything named is
// checked: application/json, text/json, or any type ending in +json.
bool IsJsonContentType(std::string value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value.empty() || value == "application/json" || value == "text/json" ||
         (value.size() > 5 && value.compare(value.size() - 5, 5, "+json") == 0);
}

double SecondsSince(int64_t mono_ms, Clock& clock) {
  return static_cast<double>(clock.MonotonicMs() - mono_ms) / 1000.0;
}

}  // namespace

void RequestServeReload() { reload_requested.store(true); }

Status ParseListenAddress(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    return Status::Invalid("--listen '" + listen +
                           "': use HOST:PORT (e.g. 127.0.0.1:9095 or :9095)");
  std::string h = listen.substr(0, colon);
  std::string p = listen.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) h = "0.0.0.0";
  char* end = nullptr;
  long v = std::strtol(p.c_str(), &end, 10);
  if (p.empty() || *end != '\0' || v < 0 || v > 65535)
    return Status::Invalid("--listen '" + listen + "': '" + p + "' is not a port number");
  *host = h;
  *port = static_cast<int>(v);
  return Status::Ok();
}

class Server::Impl {
 public:
  Impl(const Env& env, ServeConfig config, Store& store, const Registry& registry,
       ServeOptions options)
      : env_(env),
        clock_(*env.clock),
        config_(std::move(config)),
        store_(store),
        registry_(registry),
        options_(std::move(options)),
        live_(std::make_shared<const Live>(std::make_shared<const ServeConfig>(config_))),
        queue_(static_cast<size_t>(config_.limits.queue)),
        intake_(
            store_, [this] { return live()->config; }, queue_, clock_, metrics_) {
    SetUpHttp();
  }

  Status Bind();
  std::string url() const {
    return "http://" + (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" +
           std::to_string(port_);
  }
  Status Run(CancelToken& stop);

 private:
  void SetUpHttp();
  void HandleHook(const std::string& source, const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& reader);
  Status CheckEventAge(const Notification& n);
  bool ReadBody(const httplib::Request& req, const httplib::ContentReader& reader,
                httplib::Response& res, std::string* body);
  bool Authorized(const httplib::Request& req, httplib::Response& res);
  void ResumeLeftovers();
  void RescueExpired();
  void RenewQueuedLeases();
  void Retention();
  int64_t LeasesHeld();
  std::map<int64_t, int64_t> rescued_;  // run -> the fence it was rescued at (poller only)
  int64_t last_retention_ = 0;          // unix ms of the last retention pass (poller only)
  void PollApprovals();
  const Playbook* PlaybookAt(const std::string& path) const;
  const RouteConfig* RouteNamed(const std::string& name) const;
  QueuedRun Queued(const RunRecord& run, std::vector<RunStatus> expect);
  void OnRunEnd(const RunRecord& run);
  Json BreakersJson();

  Env env_;
  Clock& clock_;
  // What SIGHUP swaps: the routes and the credentials. Limits are the ones at start.
  struct Live {
    explicit Live(std::shared_ptr<const ServeConfig> c)
        : config(std::move(c)), auth(config->bearer_tokens, config->pagerduty_secrets) {}
    std::shared_ptr<const ServeConfig> config;
    Authenticator auth;
  };
  std::shared_ptr<const Live> live() const {
    std::lock_guard<std::mutex> lock(live_mu_);
    return live_;
  }
  void Reload();

  ServeConfig config_;  // as loaded at start: its limits hold until a restart
  Store& store_;
  const Registry& registry_;
  ServeOptions options_;
  mutable std::mutex live_mu_;
  std::shared_ptr<const Live> live_;
  // Configs replaced by a reload: queued runs still point at their playbooks.
  std::vector<std::shared_ptr<const Live>> retired_;
  Metrics metrics_;
  RunQueue queue_;
  Intake intake_;
  HttpFront http_;
  std::unique_ptr<RunWorkers> workers_;
  std::atomic<bool> draining_{false};
  CancelToken poll_stop_;
  std::string host_;
  int port_ = 0;
};

void Server::Impl::SetUpHttp() {
  http_.set_payload_max_length(static_cast<size_t>(config_.limits.max_body));
  http_.set_read_timeout(10, 0);
  http_.set_write_timeout(10, 0);
  http_.set_keep_alive_max_count(10'000);
  // Only advertised (Keep-Alive: timeout=N): HttpFront closes a connection idle for
  // limits.header_timeout.
  http_.set_keep_alive_timeout(std::max<int64_t>(1, config_.limits.header_timeout_ms / 1000));

  for (const char* source : {"alertmanager", "pagerduty", "generic"}) {
    std::string name = source;
    http_.Post("/hooks/" + name, [this, name](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& reader) {
      HandleHook(name, req, res, reader);
    });
  }
  // A body sent anywhere but a hook is refused unread (httplib would read it whole first).
  http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    bool hook = req.method == "POST" && StartsWith(EndpointOf(req.path), "/hooks/");
    if (req.method == "GET" || req.method == "HEAD" || hook)
      return httplib::Server::HandlerResponse::Unhandled;
    HttpFront::CloseAfterResponse();
    ReplyError(res, 404, "no endpoint " + req.method + " " + req.path.substr(0, 200));
    return httplib::Server::HandlerResponse::Handled;
  });
  http_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    bool draining = draining_.load();
    Reply(res, draining ? 503 : 200,
          {{"status", draining ? "draining" : "ok"},
           {"queue_depth", queue_.depth()},
           {"queue_held", queue_.held()},
           {"running", workers_ ? workers_->active() : 0},
           {"routes", BreakersJson()},
           {"record", {{"backend", store_.backend()}, {"leases_held", LeasesHeld()}}}});
  });
  http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    Metrics::Gauges g{queue_.depth(), queue_.capacity(), queue_.held(), {}, LeasesHeld()};
    for (const auto& b : BreakersJson())
      g.breakers.emplace_back(b["route"].get<std::string>(), b["breaker"] == "open");
    res.set_content(metrics_.Render(g), "text/plain; version=0.0.4");
  });
  http_.Get("/incidents", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    int limit = 50;
    if (req.has_param("limit")) limit = std::atoi(req.get_param_value("limit").c_str());
    auto j = IncidentsJson(store_, std::clamp(limit, 1, 1000));
    if (!j.ok()) return ReplyError(res, 500, j.status().message());
    Reply(res, 200, *j);
  });
  http_.Get(R"(/incidents/(\d{1,18}))",
            [this](const httplib::Request& req, httplib::Response& res) {
              if (!Authorized(req, res)) return;
              auto j = IncidentJson(store_, std::stoll(req.matches[1].str()));
              if (!j.ok())
                return ReplyError(res, j.status().code() == Code::kNotFound ? 404 : 500,
                                  j.status().message());
              Reply(res, 200, *j);
            });
  // Errors httplib answers by itself (413 over max_body, 404 unknown path) get a JSON body too.
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 413)
          ReplyError(res, 413,
                     "request body over limits.max_body (" +
                         std::to_string(config_.limits.max_body) + " bytes)");
        else if (res.status == 404)
          ReplyError(res, 404, "no endpoint " + req.method + " " + req.path.substr(0, 200));
        else
          ReplyError(res, res.status, "request failed");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("internal error handling a request: {}", Redact(what));
        ReplyError(res, 500, "internal error: " + what);
      });
  http_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics_.CountRequest(EndpointOf(req.path), res.status);
  });
}

bool Server::Impl::Authorized(const httplib::Request& req, httplib::Response& res) {
  if (live()->auth.CheckAuthorization(req.get_header_value("Authorization"))) return true;
  res.set_header("WWW-Authenticate", "Bearer realm=\"medic\"");
  ReplyError(res, 401, "missing or invalid credentials (Authorization: Bearer TOKEN)");
  return false;
}

Status Server::Impl::CheckEventAge(const Notification& n) {
  int64_t max_age = live()->config->pagerduty_max_event_age_ms;
  if (max_age <= 0) return Status::Ok();
  if (n.occurred_at <= 0)
    return Status::Invalid("event.occurred_at: missing or not an RFC 3339 time");
  int64_t age = clock_.NowUnixMs() - n.occurred_at;
  if (age > max_age)
    return Status::Invalid("event.occurred_at: " + FormatDurationMs(age) +
                           " old, over auth.pagerduty_max_event_age (" + FormatDurationMs(max_age) +
                           "); a replayed event is not acted on");
  return Status::Ok();
}

// Reads the request body, chunked or not, refusing it with 413 as soon as it passes
// limits.max_body: memory stays bounded whatever the sender claims or sends.
bool Server::Impl::ReadBody(const httplib::Request& req, const httplib::ContentReader& reader,
                            httplib::Response& res, std::string* body) {
  const size_t max = static_cast<size_t>(config_.limits.max_body);
  auto too_large = [&] {
    HttpFront::CloseAfterResponse();
    ReplyError(res, 413, "request body over limits.max_body (" + std::to_string(max) + " bytes)");
    return false;
  };
  if (req.has_header("Content-Length")) {
    const std::string length = req.get_header_value("Content-Length");
    char* end = nullptr;
    unsigned long long n = std::strtoull(length.c_str(), &end, 10);
    if (length.empty() || *end != '\0' || n > max) return too_large();
  }
  bool over = false;
  bool read = reader([&](const char* data, size_t len) {
    if (body->size() + len > max) {
      over = true;
      return false;
    }
    body->append(data, len);
    return true;
  });
  if (over) return too_large();
  if (!read) {
    HttpFront::CloseAfterResponse();
    ReplyError(res, 400, "the request body could not be read (cut short, or malformed chunks)");
    return false;
  }
  return true;
}

void Server::Impl::HandleHook(const std::string& source, const httplib::Request& req,
                              httplib::Response& res, const httplib::ContentReader& reader) {
  int64_t t0 = clock_.MonotonicMs();
  // Everything that can be decided from the head is decided before the body is read; a
  // refused body is left unread and its connection closed.
  if (draining_.load()) {
    HttpFront::CloseAfterResponse();
    res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
    return ReplyError(res, 503, "medic serve is shutting down; retry");
  }
  if (!IsJsonContentType(req.get_header_value("Content-Type"))) {
    HttpFront::CloseAfterResponse();
    return ReplyError(res, 415,
                      "Content-Type '" + req.get_header_value("Content-Type").substr(0, 100) +
                          "': the body must be JSON (application/json)");
  }
  auto now_live = live();
  bool signed_source = source == "pagerduty" && now_live->auth.has_pagerduty_secrets();
  if (!signed_source && !Authorized(req, res)) return HttpFront::CloseAfterResponse();
  std::string payload;
  if (!ReadBody(req, reader, res, &payload)) return;
  // Nothing is parsed or stored before the sender is known.
  if (signed_source && !now_live->auth.CheckPagerDutySignature(
                           payload, req.get_header_value("X-PagerDuty-Signature")))
    return ReplyError(res, 401, "missing or invalid X-PagerDuty-Signature");
  Result<Notification> parsed = Status::Internal("unknown source");
  if (source == "alertmanager")
    parsed = ParseAlertmanager(payload);
  else if (source == "pagerduty")
    parsed = ParsePagerDuty(payload);
  else
    parsed = ParseGeneric(payload);
  if (!parsed.ok()) {
    spdlog::info("{}: refused a malformed request: {}", source, parsed.status().message());
    return ReplyError(res, 400, parsed.status().message());
  }
  if (source == "pagerduty") {
    std::string id = req.get_header_value("X-Webhook-Id");
    bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (id.size() > kMaxDeliveryIdBytes || !printable)
      return ReplyError(res, 400, "X-Webhook-Id: not a delivery id");
    parsed->delivery_id = id;
    if (signed_source) {
      // X-Webhook-Id is outside the signature: a captured body resent under a new id must
      // still be the same delivery, and a body captured long ago is not news.
      if (!parsed->event_id.empty()) parsed->delivery_id = "event:" + parsed->event_id;
      Status fresh = CheckEventAge(*parsed);
      if (!fresh.ok()) {
        spdlog::warn("pagerduty: refused: {}", fresh.message());
        return ReplyError(res, 400, fresh.message());
      }
    }
  }
  auto result = intake_.Accept(*parsed, t0);
  if (!result.ok()) {
    if (result.status().code() == Code::kUnavailable) {
      res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
      spdlog::warn("{}: refused: {}", source, result.status().message());
      return ReplyError(res, 503, result.status().message());
    }
    spdlog::error("{}: cannot record alerts: {}", source, result.status().message());
    return ReplyError(res, 500, "cannot record the alerts: " + result.status().message());
  }
  const IntakeResult& r = *result;
  Json body = r.body;
  int code = 200;
  if (r.duplicate_delivery) {
    code = 200;
  } else if (r.accepted > 0) {
    code = 202;
    body["status"] = "accepted";
  } else if (r.rejected > 0) {
    code = 400;
    body["error"] = r.first_reason;
  } else if (r.unrouted > 0) {
    code = 404;
    body["error"] = "no route matches the alert; it is kept for `medic list --unrouted`";
  } else {
    body["status"] = "ignored";
  }
  Reply(res, code, body);
  metrics_.ObserveAccept(SecondsSince(t0, clock_));
  if (!r.new_runs.empty() || r.unrouted > 0 || r.rejected > 0)
    spdlog::info("{}: {} alert(s): incident(s) {}, new run(s) {}, {} unrouted, {} rejected{}",
                 source, parsed->alerts.size(), Json(r.incident_ids).dump(),
                 Json(r.new_runs).dump(), r.unrouted, r.rejected,
                 r.first_reason.empty() ? "" : " (" + r.first_reason + ")");
  else
    spdlog::debug("{}: {} alert(s) appended to incident(s) {}", source, parsed->alerts.size(),
                  Json(r.incident_ids).dump());
  for (const auto& a : r.body.value("alerts", Json::array())) {
    if (a.is_object() && a.value("incident_closed", false)) {
      spdlog::info("{}: incident {} closed: all its alerts resolved", source,
                   a.value("incident_id", 0));
      break;
    }
  }
}

Status Server::Impl::Bind() {
  int port = 0;
  MEDIC_RETURN_IF_ERROR(ParseListenAddress(options_.listen, &host_, &port));
  auto bound = http_.Bind(host_, port, kListenBacklog);
  if (!bound.ok())
    return Status::Unavailable("cannot listen on " + options_.listen +
                               (port == 0 ? std::string()
                                          : ": the address is in use or not available to this "
                                            "user"));
  port_ = *bound;
  return Status::Ok();
}

const Playbook* Server::Impl::PlaybookAt(const std::string& path) const {
  for (const auto& route : live()->config->routes) {
    if (route.playbook_path == path) return route.playbook.get();
    if (route.on_suppressed_path == path) return route.on_suppressed.get();
  }
  return nullptr;
}

const RouteConfig* Server::Impl::RouteNamed(const std::string& name) const {
  for (const auto& route : live()->config->routes)
    if (route.name == name) return &route;
  return nullptr;
}

// The breakers of the routes that have one: [{route, breaker: open|closed, failures,
// open_until}]. A breaker the record cannot be read for reads "unknown".
Json Server::Impl::BreakersJson() {
  Json out = Json::array();
  int64_t now = clock_.NowUnixMs();
  auto config = live()->config;
  for (const auto& route : config->routes) {
    if (route.breaker_failures <= 0) continue;
    auto b = EvaluateBreaker(store_, route, now);
    Json j = {{"route", route.name}, {"breaker", "unknown"}};
    if (b.ok()) {
      j["breaker"] = b->open(now) ? "open" : "closed";
      if (b->open(now)) {
        j["failures"] = b->failures;
        j["open_until"] = FormatTimeUtc(b->open_until);
      }
    }
    out.push_back(j);
  }
  return out;
}

// After a failed run, the route's breaker may open; say so once, when it does.
void Server::Impl::OnRunEnd(const RunRecord& run) {
  if (run.status != RunStatus::kFailed || run.options.contains("on_suppressed")) return;
  const RouteConfig* route = RouteNamed(run.options.value("route", ""));
  if (!route || route->breaker_failures <= 0) return;
  int64_t now = clock_.NowUnixMs();
  auto before = store_.GetRouteBreaker(route->name);
  auto after = EvaluateBreaker(store_, *route, now);
  if (!after.ok())
    return spdlog::warn("route '{}': cannot read its circuit breaker: {}", route->name,
                        after.status().message());
  if (before.ok() && !before->open(now) && after->open(now))
    spdlog::warn(
        "route '{}': circuit breaker open after {} failed runs within {}; new incidents get no "
        "run until {} UTC, or `medic route reset {}`",
        route->name, after->failures, FormatDurationMs(route->breaker_per_ms),
        FormatTimeUtc(after->open_until), route->name);
}

// A run taken from the record, gated like the intake gates it: a route's own run waits for
// the route's concurrency and its incident's dedup key.
QueuedRun Server::Impl::Queued(const RunRecord& run, std::vector<RunStatus> expect) {
  QueuedRun q{
      .run_id = run.id, .playbook = PlaybookAt(run.playbook_path), .expect = std::move(expect)};
  const RouteConfig* route = RouteNamed(run.options.value("route", ""));
  if (!route || run.options.contains("on_suppressed")) return q;
  auto incident = store_.GetIncident(run.incident_id);
  return GatedRun(q, *route, incident.ok() ? incident->dedup_key : "");
}

// Every queued, running or interrupted webhook run is this server's to finish, under the
// rules of `medic resume`, unless its lease holder is alive: the worker's claim decides
// (another serve on the same record may claim it first, and then this one leaves it).
void Server::Impl::ResumeLeftovers() {
  auto runs =
      store_.RunsWithStatus({RunStatus::kQueued, RunStatus::kRunning, RunStatus::kInterrupted});
  if (!runs.ok()) {
    spdlog::error("cannot look for runs to resume: {}", runs.status().message());
    return;
  }
  int resumed = 0;
  for (const auto& run : *runs) {
    if (!IsWebhookTrigger(run.trigger)) continue;
    if (run.status == RunStatus::kRunning && RunIsHeld(run, clock_.NowUnixMs())) {
      spdlog::info("run {} is being driven by pid {}; leaving it", run.id, run.owner_pid);
      continue;
    }
    queue_.Push(Queued(run, {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kInterrupted}));
    ++resumed;
  }
  if (resumed > 0)
    spdlog::info("resuming {} run(s) left {} by a previous medic", resumed,
                 "queued, running or interrupted");
}

// A running webhook run whose driver stopped renewing its lease (killed, or paused past the
// lease, on this host or another sharing the record) is continued here, under the rules of
// `medic resume`; the claim keeps two rescuers from both taking it. So is a queued run whose
// creator (a replica that accepted its alert) stopped renewing before it started it, and an
// approved run whose approver (the replica that took the approval) did so before it went on.
void Server::Impl::RescueExpired() {
  auto runs =
      store_.RunsWithStatus({RunStatus::kQueued, RunStatus::kRunning, RunStatus::kNeedsAttention});
  if (!runs.ok()) return;
  int64_t now = clock_.NowUnixMs();
  for (const auto& run : *runs) {
    if (!IsWebhookTrigger(run.trigger) || RunIsHeld(run, now) || workers_->IsActive(run.id))
      continue;
    // Unowned: queued ones are ResumeLeftovers', waiting ones wait for an approval.
    if (run.status != RunStatus::kRunning && run.owner_pid == 0) continue;
    auto [it, fresh] = rescued_.try_emplace(run.id, run.fence);
    if (!fresh && it->second == run.fence) continue;  // queued already
    it->second = run.fence;
    const char* role = run.status == RunStatus::kQueued    ? "creator"
                       : run.status == RunStatus::kRunning ? "driver"
                                                           : "approver";
    spdlog::warn("run {}: its {} (pid {} on {}) stopped renewing its lease; rescuing it", run.id,
                 role, run.owner_pid, run.owner_host.empty() ? "this host" : run.owner_host);
    metrics_.CountLease("rescue");
    queue_.Push(Queued(run, {run.status}));
  }
}

// The queued runs this serve created wait in its queue; their leases say it is alive.
void Server::Impl::RenewQueuedLeases() {
  LeaseTiming timing = config_.limits.lease;
  RunClaim me = ClaimByThisProcess(clock_, timing, {});
  auto renewed = store_.RenewQueuedLeases(me, me.now_ms + timing.lease_ms);
  if (!renewed.ok())
    spdlog::warn("cannot renew the leases of queued runs: {}", renewed.status().message());
}

// Runs older than `retention` go, deleted by one replica at a time: whoever holds the
// "retention" lead, which each replica tries to take on every pass.
void Server::Impl::Retention() {
  int64_t retention = live()->config->retention_ms;
  if (retention <= 0) return;
  int64_t now = clock_.NowUnixMs();
  int64_t every = std::clamp<int64_t>(retention / 4, 1'000, 60'000);
  if (now - last_retention_ < every) return;
  last_retention_ = now;
  RunClaim me = ClaimByThisProcess(clock_, config_.limits.lease, {});
  std::string holder = me.host + ":" + std::to_string(me.pid) + ":" + std::to_string(me.start);
  auto lead = store_.TakeLead("retention", holder, now, 3 * every);
  if (!lead.ok()) {
    spdlog::warn("retention: {}", lead.status().message());
    return;
  }
  if (!*lead) return;  // another replica does it
  auto deleted = store_.DeleteEndedBefore(now - retention);
  if (!deleted.ok())
    spdlog::warn("retention: {}", deleted.status().message());
  else if (*deleted > 0)
    spdlog::info("retention: deleted {} run(s) that ended before {} UTC", *deleted,
                 FormatTimeUtc(now - retention));
}

int64_t Server::Impl::LeasesHeld() {
  RunClaim me = ClaimByThisProcess(clock_, config_.limits.lease, {});
  auto held = store_.CountLeasesHeld(me, me.now_ms);
  return held.ok() ? *held : -1;
}

// SIGHUP: the config file again, with its tokens files. A config that does not load is
// refused with its errors and the running one kept; requests in flight finish with the config
// they started with, and queued runs keep their playbooks.
void Server::Impl::Reload() {
  auto fresh = LoadServeConfig(config_.path, registry_);
  if (!fresh.ok()) {
    spdlog::error("SIGHUP: {} does not load; keeping the running config:\n{}", config_.path,
                  fresh.status().message());
    return;
  }
  if (fresh->limits.max_concurrent_runs != config_.limits.max_concurrent_runs ||
      fresh->limits.queue != config_.limits.queue ||
      fresh->limits.http_threads != config_.limits.http_threads ||
      fresh->limits.max_body != config_.limits.max_body)
    spdlog::warn("SIGHUP: limits changed in {}; they take effect on the next start", config_.path);
  size_t routes = fresh->routes.size();
  auto next = std::make_shared<const Live>(std::make_shared<const ServeConfig>(std::move(*fresh)));
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    retired_.push_back(live_);
    live_ = next;
  }
  spdlog::info("SIGHUP: reloaded {}: {} route(s), credentials re-read", config_.path, routes);
}

void Server::Impl::PollApprovals() {
  int64_t last_prune = 0;
  int64_t last_renew = 0;
  // On PostgreSQL, `medic approve` wakes this loop at once; otherwise it polls each second.
  std::unique_ptr<RecordListener> listener = RecordListener::Open(store_.path(), kApprovalsChannel);
  bool notified = false;
  while (!poll_stop_.cancelled()) {
    if (TakeReloadRequest()) Reload();
    if (clock_.MonotonicMs() - last_renew >= config_.limits.lease.renew_ms) {
      last_renew = clock_.MonotonicMs();
      RenewQueuedLeases();
    }
    RescueExpired();
    Retention();
    auto approved =
        TakeApprovals(store_, clock_, config_.limits.lease,
                      [this](int64_t id) { return workers_->IsActive(id); });
    if (!approved.ok()) {
      spdlog::warn("cannot read approvals: {}", approved.status().message());
    } else {
      for (int64_t id : *approved) {
        auto run = store_.GetRun(id);
        queue_.Push(run.ok() ? Queued(*run, {RunStatus::kNeedsAttention})
                             : QueuedRun{.run_id = id, .expect = {RunStatus::kNeedsAttention}});
        spdlog::info("run {}: approved; continuing{}", id, notified ? " (notified)" : "");
      }
    }
    int64_t now = clock_.NowUnixMs();
    if (now - last_prune > 3'600'000) {
      last_prune = now;
      auto pruned = AlertStore(store_).PruneDeliveries(now - kDeliveryMemoryMs);
      if (!pruned.ok())
        spdlog::warn("cannot prune webhook deliveries: {}", pruned.status().message());
    }
    notified = false;
    for (int i = 0; i < 10 && !poll_stop_.cancelled() && !ReloadRequested() && !notified; ++i)
      notified = listener->Wait(100);
  }
}

Status Server::Impl::Run(CancelToken& stop) {
  // Checkpoints fsync; keep them off the request path (see store/checkpointer.h).
  // (SQLite only: PostgreSQL checkpoints on its own.)
  std::unique_ptr<WalCheckpointer> checkpointer;
  if (std::string_view(store_.backend()) == "sqlite") {
    auto started = WalCheckpointer::Start(store_.path());
    if (!started.ok()) {
      spdlog::warn("checkpoints stay inline with commits: {}", started.status().message());
    } else if (Status off = store_.DisableAutoCheckpoint(); !off.ok()) {
      spdlog::warn("checkpoints stay inline with commits: {}", off.message());
    } else {
      checkpointer = std::move(*started);
    }
  }
  // Connections opened before the first alert: a burst of them then waits on no connect.
  size_t connections = store_.OpenAllConnections();
  spdlog::debug("record: {} connection(s) open", connections);
  WorkerServices ws;
  ws.store = &store_;
  ws.registry = &registry_;
  ws.env = env_;
  ws.soft_stop = &stop;
  ws.queue = &queue_;
  ws.metrics = &metrics_;
  ws.work_root = options_.work_root;
  ws.lease = config_.limits.lease;
  ws.on_run_end = [this](const RunRecord& run) { OnRunEnd(run); };
  workers_ = std::make_unique<RunWorkers>(ws, config_.limits.max_concurrent_runs);
  ResumeLeftovers();
  workers_->Start();

  std::atomic<bool> listen_failed{false};
  std::thread listener([&] {
    HttpFrontLimits limits;
    limits.threads = static_cast<size_t>(config_.limits.http_threads);
    limits.max_connections = static_cast<size_t>(config_.limits.max_connections);
    limits.max_connections_per_peer = static_cast<size_t>(config_.limits.max_connections_per_peer);
    limits.header_timeout_ms = config_.limits.header_timeout_ms;
    limits.request_timeout_ms = config_.limits.request_timeout_ms;
    if (Status served = http_.Serve(limits); !served.ok())
      spdlog::error("the HTTP server stopped: {}", served.message());
    if (!stop.cancelled()) {
      listen_failed = true;
      stop.Cancel();
    }
  });
  std::thread poller([this] { PollApprovals(); });
  spdlog::info("listening on {} ({} route(s), {} worker(s), queue {})", url(),
               config_.routes.size(), config_.limits.max_concurrent_runs, config_.limits.queue);

  while (!stop.cancelled()) stop.SleepFor(3'600'000);

  draining_ = true;
  spdlog::info("stopping: no new alerts; running steps get up to {} to finish",
               FormatDurationMs(config_.limits.drain_timeout_ms));
  http_.Shutdown();
  listener.join();
  poll_stop_.Cancel();
  poller.join();
  int cut = workers_->Shutdown(config_.limits.drain_timeout_ms);
  size_t left = queue_.depth();
  spdlog::info(
      "stopped{}{}",
      cut ? "; " + std::to_string(cut) + " run(s) interrupted (resumed on the next start)" : "",
      left ? "; " + std::to_string(left) + " run(s) still queued (started on the next start)" : "");
  if (listen_failed)
    return Status::Unavailable("the HTTP server on " + url() + " stopped unexpectedly");
  return Status::Ok();
}

Server::Server(const Env& env, ServeConfig config, Store& store, const Registry& registry,
               ServeOptions options)
    : impl_(std::make_unique<Impl>(env, std::move(config), store, registry, std::move(options))) {}

Server::~Server() = default;

Status Server::Bind() { return impl_->Bind(); }

std::string Server::url() const { return impl_->url(); }

Status Server::Run(CancelToken& stop) { return impl_->Run(stop); }

}  // namespace medic
