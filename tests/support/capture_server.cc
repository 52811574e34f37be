#include "tests/support/capture_server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

namespace medic::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string CapturedRequest::Header(const std::string& name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? "" : it->second;
}

CaptureServer::CaptureServer() : server_(std::make_unique<httplib::Server>()) {}

CaptureServer::~CaptureServer() { Stop(); }

std::string CaptureServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

bool CaptureServer::Start() {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    CapturedRequest seen;
    seen.method = req.method;
    seen.path = req.path;
    seen.body = req.body;
    for (const auto& [k, v] : req.headers) seen.headers[Lower(k)] = v;
    CannedReply reply;
    {
      std::unique_lock<std::mutex> lock(mu_);
      requests_.push_back(seen);
      if (!queue_.empty()) {
        reply = queue_.front();
        queue_.pop_front();
      } else {
        reply = default_;
      }
      if (reply.delay_ms > 0) {
        stop_cv_.wait_for(lock, std::chrono::milliseconds(reply.delay_ms),
                          [this] { return stopping_; });
      }
    }
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k, v);
    res.set_content(reply.body, reply.content_type.c_str());
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Delete(".*", handler);
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) return false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Stop() must not race the start of the accept loop.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

void CaptureServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

void CaptureServer::SetDefault(CannedReply reply) {
  std::lock_guard<std::mutex> lock(mu_);
  default_ = std::move(reply);
}

void CaptureServer::Queue(CannedReply reply) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(reply));
}

std::vector<CapturedRequest> CaptureServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t CaptureServer::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

std::vector<std::string> PagerDutyEventProblems(const nlohmann::json& e) {
  std::vector<std::string> problems;
  if (!e.is_object()) return {"the event is not a JSON object"};
  auto need_string = [&](const nlohmann::json& obj, const std::string& key,
                         const std::string& where) {
    if (!obj.contains(key) || !obj[key].is_string() || obj[key].get<std::string>().empty())
      problems.push_back(where + key + " is missing or not a non-empty string");
  };
  need_string(e, "routing_key", "");
  need_string(e, "event_action", "");
  std::string action = e.value("event_action", "");
  if (action != "trigger" && action != "acknowledge" && action != "resolve")
    problems.push_back("event_action '" + action + "' is not trigger, acknowledge or resolve");
  if (action != "trigger") need_string(e, "dedup_key", "");
  if (e.contains("dedup_key") && e["dedup_key"].is_string() &&
      e["dedup_key"].get<std::string>().size() > 255)
    problems.push_back("dedup_key is longer than 255 characters");
  if (action == "trigger") {
    if (!e.contains("payload") || !e["payload"].is_object()) {
      problems.push_back("payload is missing");
    } else {
      const auto& p = e["payload"];
      need_string(p, "summary", "payload.");
      need_string(p, "source", "payload.");
      need_string(p, "severity", "payload.");
      std::string sev = p.value("severity", "");
      if (sev != "critical" && sev != "error" && sev != "warning" && sev != "info")
        problems.push_back("payload.severity '" + sev +
                           "' is not critical, error, warning or info");
      if (p.contains("summary") && p["summary"].is_string() &&
          p["summary"].get<std::string>().size() > 1024)
        problems.push_back("payload.summary is longer than 1024 characters");
    }
  }
  for (const char* key : {"links", "images"}) {
    if (e.contains(key) && !e[key].is_array())
      problems.push_back(std::string(key) + " is not a list");
  }
  return problems;
}

std::vector<std::string> SlackMessageProblems(const nlohmann::json& m) {
  std::vector<std::string> problems;
  if (!m.is_object()) return {"the message is not a JSON object"};
  bool has_text =
      m.contains("text") && m["text"].is_string() && !m["text"].get<std::string>().empty();
  bool has_blocks = m.contains("blocks");
  if (!has_text && !has_blocks) problems.push_back("neither text nor blocks");
  if (!has_blocks) return problems;
  if (!m["blocks"].is_array() || m["blocks"].empty() || m["blocks"].size() > 50)
    return {"blocks is not a list of 1 to 50 blocks"};
  for (size_t i = 0; i < m["blocks"].size(); ++i) {
    const auto& b = m["blocks"][i];
    std::string where = "blocks[" + std::to_string(i) + "]";
    std::string type = b.is_object() ? b.value("type", "") : "";
    if (type.empty()) {
      problems.push_back(where + " has no type");
      continue;
    }
    auto text_ok = [&](const nlohmann::json& t, size_t max, bool plain_only) {
      if (!t.is_object() || !t.contains("text") || !t["text"].is_string()) return false;
      std::string tt = t.value("type", "");
      if (tt != "plain_text" && (plain_only || tt != "mrkdwn")) return false;
      size_t n = t["text"].get<std::string>().size();
      return n >= 1 && n <= max;
    };
    if (type == "header") {
      if (!b.contains("text") || !text_ok(b["text"], 150, true))
        problems.push_back(where + ": a header needs plain_text of 1 to 150 characters");
    } else if (type == "section") {
      bool text = b.contains("text") && text_ok(b["text"], 3000, false);
      bool fields = b.contains("fields") && b["fields"].is_array() && !b["fields"].empty() &&
                    b["fields"].size() <= 10;
      if (fields) {
        for (const auto& f : b["fields"]) fields = fields && text_ok(f, 2000, false);
      }
      if (!text && !fields)
        problems.push_back(where + ": a section needs text (<= 3000) or fields (<= 10)");
    } else if (type == "context") {
      if (!b.contains("elements") || !b["elements"].is_array() || b["elements"].empty() ||
          b["elements"].size() > 10)
        problems.push_back(where + ": a context needs 1 to 10 elements");
    } else if (type != "divider" && type != "actions" && type != "image") {
      problems.push_back(where + ": unexpected block type '" + type + "'");
    }
  }
  return problems;
}

}  // namespace medic::testing
