// CaptureServer: a local HTTP server (cpp-httplib on 127.0.0.1, a free port) standing in
// for PagerDuty, Slack and webhook receivers. It records every request and answers as told:
// queued replies first (429, 500, 400...), then a default; a reply can be slow. The
// *Problems() functions check bodies against the published formats of the services.
// Start with CaptureServer::Start.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace medic::testing {

/// One request as the server saw it.
struct CapturedRequest {
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  /// The header's value, or "".
  std::string Header(const std::string& name) const;
};

/// An answer the server gives.
struct CannedReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  int delay_ms = 0;  ///< wait this long before answering (cut short by Stop)
};

/// A CannedReply without extra headers.
inline CannedReply Reply(int status, std::string body = "",
                         std::string content_type = "application/json", int delay_ms = 0) {
  CannedReply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.delay_ms = delay_ms;
  return r;
}

/// Thread-safe; stops on destruction.
class CaptureServer {
 public:
  CaptureServer();
  ~CaptureServer();
  CaptureServer(const CaptureServer&) = delete;
  CaptureServer& operator=(const CaptureServer&) = delete;

  /// Listens on a free loopback port. Returns false when it cannot.
  bool Start();
  void Stop();
  int port() const { return port_; }
  /// "http://127.0.0.1:<port>" + path.
  std::string url(const std::string& path = "") const;

  /// The answer for requests when no queued reply is left.
  void SetDefault(CannedReply reply);
  /// The next request gets `reply` (first in, first out).
  void Queue(CannedReply reply);

  std::vector<CapturedRequest> requests() const;
  size_t count() const;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::deque<CannedReply> queue_;
  CannedReply default_;
  std::vector<CapturedRequest> requests_;
};

/// What is wrong with a PagerDuty Events API v2 event (routing_key, event_action,
/// dedup_key; payload.summary/source/severity for trigger, severity one of critical, error,
/// warning, info); empty when it conforms.
std::vector<std::string> PagerDutyEventProblems(const nlohmann::json& event);

/// What is wrong with a Slack incoming-webhook message (text and/or blocks; each block
/// typed, header text plain_text of at most 150 characters, section text at most 3000);
/// empty when it conforms.
std::vector<std::string> SlackMessageProblems(const nlohmann::json& message);

}  // namespace medic::testing
