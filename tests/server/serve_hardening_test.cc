// End-to-end tests of `medic serve` against what a hostile or broken client does: bodies
// that are huge, chunked or of the wrong type, numbers no double holds, connections that
// never finish their request, replayed PagerDuty deliveries and secrets that must never
// reach the record. Each test talks to the built binary over real sockets and asserts
// behaviour (an answer arrives, memory stays under a bound read from /proc), never times.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/serve_peer.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::ReadFile;
using testing::ScopedTempDir;
using testing::ServePeer;
using testing::WriteFile;

const std::string kToken = "hardening-token-0123456789abcdef";

// A TCP connection to 127.0.0.1:port with a receive timeout; -1 when it cannot connect.
int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Whatever the server sends until it closes or `timeout_ms` passes without data.
std::string ReadReply(int fd, int timeout_ms = 20'000) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    // One response is enough: stop once its body (Content-Length) has arrived.
    size_t head = out.find("\r\n\r\n");
    if (head != std::string::npos) {
      size_t cl = out.find("Content-Length: ");
      if (cl != std::string::npos && cl < head &&
          out.size() >= head + 4 + std::stoul(out.substr(cl + 16)))
        break;
    }
  }
  return out;
}

// The status code of a raw HTTP reply, -1 when there is none.
int StatusOf(const std::string& reply) {
  int code = -1;
  if (std::sscanf(reply.c_str(), "HTTP/1.%*d %d", &code) != 1) return -1;
  return code;
}

// A field of /proc/PID/status in kB (VmHWM, VmRSS), -1 when absent.
long ProcStatusKb(pid_t pid, const std::string& field) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find(field + ":");
  if (at == std::string::npos) return -1;
  return std::atol(status.c_str() + at + field.size() + 1);
}

class ServeHardening : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Join("tokens"), kToken + "\n");
    WriteFile(dir_.Join("pb.yaml"), R"(name: note
params:
  service: {required: true}
stages:
  - name: note
    steps:
      - {id: a, action: exec, with: {argv: [sh, -c, 'echo "a $1" >> "$0"', ")" +
                                        dir_.Join("effects.log") + R"(", "{{ params.service }}"]}}
)");
  }

  std::string WriteConfig(const std::string& limits = "", const std::string& auth_extra = "") {
    std::string yaml = "auth:\n  bearer_tokens_file: tokens\n" + auth_extra + R"(routes:
  - name: svc
    match: {alertname: "=~Go.*"}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"}
    dedup_key: "{{ labels.service }}"
limits: {max_body: 64KiB, drain_timeout: 10s)" +
                       limits + "}\n";
    WriteFile(dir_.Join("serve.yaml"), yaml);
    return dir_.Join("serve.yaml");
  }

  void StartServe(const std::string& config, const std::map<std::string, std::string>& env = {}) {
    std::string err = serve_.Start(Db(), config, dir_.Join("serve.log"), env);
    ASSERT_EQ(err, "");
  }

  std::string Db() const { return dir_.Join("medic.db"); }

  static std::string Alert(const std::string& service) {
    return json({{"labels", {{"alertname", "GoPanicRateHigh"}, {"service", service}}}}).dump();
  }

  // POST with a Content-Length body over a fresh connection; the raw reply.
  std::string RawPost(const std::string& path, const std::string& body,
                      const std::string& content_type = "application/json", bool auth = true) {
    int fd = Connect(serve_.port());
    if (fd < 0) return "";
    std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (auth) req += "Authorization: Bearer " + kToken + "\r\n";
    if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    SendAll(fd, req);
    SendAll(fd, body);
    std::string reply = ReadReply(fd);
    ::close(fd);
    return reply;
  }

  int CountAlerts() {
    std::string n = testing::QueryRecord(Db(), "select count(*) from alerts");
    return n.empty() ? -1 : std::stoi(n);
  }

  ScopedTempDir dir_;
  ServePeer serve_;
};

TEST_F(ServeHardening, ANumberNoDoubleHoldsIsA400WithOneLineNotA500) {
  StartServe(WriteConfig());
  std::string body = R"({"labels": {"alertname": "GoPanic", "service": "a"}, "n": 1e999999999})";
  std::string reply = RawPost("/hooks/generic", body);
  EXPECT_EQ(StatusOf(reply), 400) << reply;
  std::string payload = reply.substr(reply.find("\r\n\r\n") + 4);
  json j = json::parse(payload, nullptr, false);
  ASSERT_TRUE(j.is_object()) << reply;
  std::string error = j.value("error", "");
  EXPECT_NE(error.find("malformed JSON"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_EQ(CountAlerts(), 0);
}

// Sends a chunked body of `total` bytes (in 64 KiB chunks) after `head`, stopping early when
// the server answers or closes; returns the reply.
std::string PostChunked(int port, const std::string& head, size_t total) {
  int fd = Connect(port);
  if (fd < 0) return "";
  SendAll(fd, head + "Transfer-Encoding: chunked\r\n\r\n");
  std::string chunk(64 * 1024, 'x');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  std::string framed = size_line + chunk + "\r\n";
  size_t sent = 0;
  while (sent < total) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) break;  // answered (or closed) before the end
    if (!SendAll(fd, framed)) break;
    sent += chunk.size();
  }
  if (sent >= total) SendAll(fd, "0\r\n\r\n");
  std::string reply = ReadReply(fd);
  ::close(fd);
  return reply;
}

TEST_F(ServeHardening, AChunkedBodyIsCappedAtMaxBodyAndAuthIsCheckedBeforeAnyBodyIsRead) {
  StartServe(WriteConfig());
  long before = ProcStatusKb(serve_.pid(), "VmHWM");
  ASSERT_GT(before, 0);
  const std::string head =
      "POST /hooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\n";
  const std::string authed = head + "Authorization: Bearer " + kToken + "\r\n";

  // 2 MiB chunked with a token: 413, like the same body with a Content-Length.
  std::string reply = PostChunked(serve_.port(), authed, 2u << 20);
  EXPECT_EQ(StatusOf(reply), 413) << reply;
  reply = RawPost("/hooks/generic", std::string(2u << 20, ' '));
  EXPECT_EQ(StatusOf(reply), 413) << reply;

  // 200 MiB chunked without credentials: 401 from the headers alone.
  reply = PostChunked(serve_.port(), head, 200u << 20);
  EXPECT_EQ(StatusOf(reply), 401) << reply;
  // 200 MiB chunked with a token: 413 once max_body is passed, not a 202.
  reply = PostChunked(serve_.port(), authed, 200u << 20);
  EXPECT_EQ(StatusOf(reply), 413) << reply;
  // And a body sent to no endpoint at all is not read either.
  reply = PostChunked(serve_.port(), "POST /nowhere HTTP/1.1\r\nHost: x\r\n", 200u << 20);
  EXPECT_EQ(StatusOf(reply), 404) << reply;

  long after = ProcStatusKb(serve_.pid(), "VmHWM");
  std::printf("serve peak RSS: %ld kB before, %ld kB after 400 MiB of refused chunked bodies\n",
              before, after);
  EXPECT_LT(after - before, 32 * 1024) << "kB; a body must never be held whole";
  EXPECT_EQ(CountAlerts(), 0);
  // Still serving, on fresh connections.
  EXPECT_EQ(StatusOf(RawPost("/hooks/generic", Alert("after"))), 202);
}

TEST_F(ServeHardening, AThousandIdleOrSlowConnectionsDoNotStopALegitimateRequest) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 4096);
  setrlimit(RLIMIT_NOFILE, &rl);
  ASSERT_GE(rl.rlim_cur, 1200u) << "the test needs 1,100 file descriptors";
  // No per-peer eviction here: all 1,000 stay open, so the server must hold them itself.
  StartServe(WriteConfig(", max_connections_per_peer: 5000, header_timeout: 60s"));
  std::vector<int> fds;
  for (int i = 0; i < 1000; ++i) {
    int fd = Connect(serve_.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    // Half never send a byte; half start a request head and never finish it.
    if (i % 2) SendAll(fd, "POST /hooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    fds.push_back(fd);
  }
  auto t0 = std::chrono::steady_clock::now();
  httplib::Client client("127.0.0.1", serve_.port());
  client.set_read_timeout(8, 0);
  client.set_connection_timeout(8, 0);
  auto res = client.Post("/hooks/generic", {{"Authorization", "Bearer " + kToken}}, Alert("legit"),
                         "application/json");
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(res) << "no answer with 1,000 idle connections open: "
                   << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 202) << res->body;
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  std::printf("with 1,000 idle/slow connections: 202 in %.1f ms; serve RSS %ld kB\n", ms,
              ProcStatusKb(serve_.pid(), "VmRSS"));
  // Dripping one more header byte keeps nobody alive past the header deadline, and the
  // held connections did not starve the slow ones of an answer either: all still open here.
  int open = 0;
  for (int fd : fds) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) ++open;
  }
  EXPECT_EQ(open, 1000) << "none evicted below max_connections_per_peer";
  for (int fd : fds) ::close(fd);
}

TEST_F(ServeHardening, AFloodFromOnePeerEvictsItsOwnOldestIdleConnections) {
  StartServe(WriteConfig(", max_connections_per_peer: 50"));
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) fds.push_back(Connect(serve_.port()));
  httplib::Client client("127.0.0.1", serve_.port());
  client.set_read_timeout(8, 0);
  auto res = client.Post("/hooks/generic", {{"Authorization", "Bearer " + kToken}}, Alert("legit"),
                         "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  // The oldest idle ones were closed to make room: the first reads end-of-file.
  pollfd p{fds.front(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5'000), 1);
  char c;
  EXPECT_EQ(::recv(fds.front(), &c, 1, 0), 0);
  for (int fd : fds) ::close(fd);
}

// ---- 3, 8: malformed or mistyped requests and command-line input ----

TEST_F(ServeHardening, ABodyThatIsNotJsonGets415AndNothingIsStored) {
  StartServe(WriteConfig());
  std::string reply = RawPost("/hooks/generic", Alert("a"), "application/x-www-form-urlencoded");
  EXPECT_EQ(StatusOf(reply), 415) << reply;
  reply = RawPost("/hooks/alertmanager", "<alert/>", "text/xml");
  EXPECT_EQ(StatusOf(reply), 415) << reply;
  EXPECT_EQ(CountAlerts(), 0);
  EXPECT_EQ(StatusOf(RawPost("/hooks/generic", Alert("a"), "application/json; charset=utf-8")),
            202);
}

TEST_F(ServeHardening, AnalyzeOfADirectoryAndATimelineIdPastInt64SayWhatIsWrong) {
  auto analyze = testing::RunCommand({testing::MedicBinary(), "analyze", dir_.path()});
  EXPECT_NE(analyze.exit_code, 0);
  EXPECT_NE(analyze.err.find(dir_.path() + ": is a directory"), std::string::npos) << analyze.err;
  auto timeline = testing::RunCommand(
      {testing::MedicBinary(), "--db", Db(), "timeline", "99999999999999999999"});
  EXPECT_EQ(timeline.exit_code, 2) << timeline.err;
  EXPECT_NE(timeline.err.find("out of range"), std::string::npos) << timeline.err;
  timeline = testing::RunCommand(
      {testing::MedicBinary(), "--db", Db(), "timeline", "--run", "99999999999999999999"});
  EXPECT_NE(timeline.err.find("out of range"), std::string::npos) << timeline.err;
}

// ---- 5: YAML that expands without bound ----

// Nine levels of nine aliases: 583 bytes that expand to 9^9 values.
std::string AliasBomb(const std::string& indent = "      ") {
  std::string y = indent + "bomb0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    y += indent + "bomb" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 9; ++k) y += ", " + prev;
    y += "]\n";
  }
  return y;
}

// Runs the built medic with `args`, its address space capped (unless under ASan, whose
// shadow memory needs it) so that today's unbounded expansion fails fast instead of
// taking the machine's memory.
testing::CommandResult MedicCapped(const std::vector<std::string>& args) {
  std::string cmd = "exec \"$0\"";
  for (size_t i = 0; i < args.size(); ++i) cmd += " \"$" + std::to_string(i + 1) + "\"";
#if !defined(__SANITIZE_ADDRESS__)
  cmd = "ulimit -v 2000000; " + cmd;
#endif
  std::vector<std::string> argv = {"sh", "-c", cmd, testing::MedicBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunCommand(argv, "", {}, 60'000);
}

TEST_F(ServeHardening, AnAliasBombOrAHugePlaybookIsRefusedWithAClearErrorByValidateRunAndServe) {
  std::string bomb_pb = dir_.Join("bomb.yaml");
  WriteFile(bomb_pb,
            "name: bomb\nstages:\n  - name: s\n    steps:\n      - id: a\n"
            "        action: exec\n        with:\n          argv: [echo]\n"
            "          x:\n" +
                AliasBomb("            "));
  auto validate = MedicCapped({"validate", bomb_pb});
  EXPECT_EQ(validate.exit_code, 2) << validate.err;
  EXPECT_NE(validate.err.find("aliases are expanded"), std::string::npos) << validate.err;
  auto run = MedicCapped({"--db", Db(), "run", bomb_pb});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("aliases are expanded"), std::string::npos) << run.err;

  std::string big = dir_.Join("big.yaml");
  std::string text = "name: big\ndescription: |\n";
  while (text.size() < (3u << 20)) text += "  " + std::string(100, 'x') + "\n";
  text += "stages:\n  - name: s\n    steps:\n      - {id: a, action: exec, with: {argv: [echo]}}\n";
  WriteFile(big, text);
  validate = MedicCapped({"validate", big});
  EXPECT_EQ(validate.exit_code, 2) << validate.err;
  EXPECT_NE(validate.err.find("at most 2 MiB"), std::string::npos) << validate.err;

  // serve: a route's playbook with the bomb, and a config with one of its own.
  std::string config = WriteConfig();
  std::string yaml = ReadFile(config);
  size_t at = yaml.find("playbook: pb.yaml");
  yaml.replace(at, std::string("playbook: pb.yaml").size(), "playbook: bomb.yaml");
  WriteFile(config, yaml);
  auto serve = MedicCapped({"--db", Db(), "serve", "--listen", "127.0.0.1:0", "--config", config});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_NE(serve.err.find("aliases are expanded"), std::string::npos) << serve.err;
  WriteConfig();
  WriteFile(config, ReadFile(config) + "x:\n" + AliasBomb("  "));
  serve = MedicCapped({"--db", Db(), "serve", "--listen", "127.0.0.1:0", "--config", config});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_NE(serve.err.find("aliases are expanded"), std::string::npos) << serve.err;
}

// ---- 6: PagerDuty replays ----

std::string RecentTime(int offset_s) {
  time_t t = time(nullptr) + offset_s;
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  return buf;
}

std::string HmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string hex;
  char b[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", mac[i]);
    hex += b;
  }
  return hex;
}

TEST_F(ServeHardening, ASignedPagerDutyEventReplayedUnderANewDeliveryIdOrLateIsNotActedOn) {
  const std::string secret = "pd-webhook-secret-hardening-0123";
  std::string config = WriteConfig("", "  pagerduty_secrets: [" + secret + "]\n");
  std::string yaml = ReadFile(config);
  yaml.replace(yaml.find("routes:\n"), 8, R"(routes:
  - name: pd
    match: {pagerduty_event: "=~incident\\..*"}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"}
)");
  WriteFile(config, yaml);
  StartServe(config);
  auto post = [&](const std::string& body, const std::string& delivery) {
    int fd = Connect(serve_.port());
    std::string req =
        "POST /hooks/pagerduty HTTP/1.1\r\nHost: x\r\nContent-Type: "
        "application/json\r\nX-Webhook-Id: " +
        delivery + "\r\nX-PagerDuty-Signature: v1=" + HmacHex(secret, body) +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
        body;
    SendAll(fd, req);
    std::string reply = ReadReply(fd);
    ::close(fd);
    return reply;
  };
  auto event = [](const std::string& id, const std::string& type, const std::string& when) {
    return R"({"event": {"id": ")" + id + R"(", "event_type": ")" + type +
           R"(", "occurred_at": ")" + when +
           R"(", "data": {"id": "PINC1", "title": "Checkout panics",
           "service": {"id": "S1", "summary": "checkout"}}}})";
  };
  std::string triggered = event("E-trig", "incident.triggered", RecentTime(-5));
  ASSERT_EQ(StatusOf(post(triggered, "d-1")), 202);
  ASSERT_EQ(StatusOf(post(event("E-res", "incident.resolved", RecentTime(0)), "d-2")), 202);
  ASSERT_EQ(testing::QueryRecord(Db(), "select status from incidents"), "closed");
  // The captured trigger, resent under a fresh delivery id after the incident closed.
  std::string replay = post(triggered, "d-3-new");
  EXPECT_EQ(StatusOf(replay), 200) << replay;
  EXPECT_NE(replay.find("duplicate_delivery"), std::string::npos) << replay;
  EXPECT_EQ(testing::QueryRecord(Db(), "select count(*) from incidents"), "1");
  EXPECT_EQ(testing::QueryRecord(Db(), "select count(*) from runs"), "1");
  // A validly signed event from two days ago: refused, nothing stored.
  std::string old = post(event("E-old", "incident.triggered", RecentTime(-2 * 86400)), "d-4");
  EXPECT_EQ(StatusOf(old), 400) << old;
  EXPECT_NE(old.find("pagerduty_max_event_age"), std::string::npos) << old;
  EXPECT_EQ(testing::QueryRecord(Db(), "select count(*) from incidents"), "1");
}

// ---- 4: secrets by value ----

TEST_F(ServeHardening, EverySecretMedicKnowsIsRedactedInTheRecordLogsAndExports) {
  const std::map<std::string, std::string> secrets = {
      {"PAGERDUTY_ROUTING_KEY", "pdrk0e1f2a3b4c5d6e7f8091a2b3c4d5e6f"},
      {"SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0123/B0456/zyxwvu9876543210"},
      {"DEMO_LISTED_CRED", "listed-under-secrets-7c1e9a"},
  };
  const std::string file_key = "routing-key-from-a-file-5b2d8f";
  WriteFile(dir_.Join("rk"), file_key + "\n");
  // The echo step prints every value; the pagerduty step never runs (its `when` is false)
  // but names the key file, which is enough to make that file's content a secret.
  WriteFile(dir_.Join("pb.yaml"), R"(name: leak
secrets: [DEMO_LISTED_CRED]
params:
  service: {required: true}
stages:
  - name: s
    steps:
      - id: echo
        action: exec
        with: {argv: [sh, -c, 'echo "$PAGERDUTY_ROUTING_KEY $SLACK_WEBHOOK_URL $DEMO_LISTED_CRED"; cat "$0"', ")" +
                                      dir_.Join("rk") + R"("]}
      - id: page
        action: pagerduty.event
        when: "false"
        with: {routing_key_file: ")" + dir_.Join("rk") +
                                      R"(", summary: x}
)");
  std::string config = WriteConfig();
  StartServe(config, secrets);
  std::string reply = RawPost("/hooks/generic", Alert("checkout"));
  ASSERT_EQ(StatusOf(reply), 202) << reply;
  ASSERT_TRUE(testing::WaitFor([&] {
    std::string s = testing::QueryRecord(Db(), "select status from runs where id = 1");
    return s == "succeeded" || s == "failed" || s == "needs_attention";
  })) << serve_.log();
  EXPECT_NE(testing::QueryRecord(Db(), "select count(*) from steps"), "0");

  std::vector<std::pair<std::string, std::string>> places;
  places.push_back({"the record", ReadFile(Db())});
  places.push_back({"the WAL", ReadFile(Db() + "-wal")});
  places.push_back({"serve's stderr", serve_.log()});
  {
    httplib::Client client("127.0.0.1", serve_.port());
    auto res = client.Get("/incidents/1", {{"Authorization", "Bearer " + kToken}});
    places.push_back({"GET /incidents/1", res ? res->body : ""});
  }
  auto medic = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {testing::MedicBinary(), "--db", Db()});
    auto r = testing::RunCommand(args, "", secrets);
    return r.out + r.err;
  };
  std::string shown = medic({"show", "1", "--json"});
  EXPECT_NE(shown.find("[REDACTED]"), std::string::npos) << "the echo step ran:\n" << shown;
  places.push_back({"medic show --json", shown});
  for (const char* format : {"md", "json", "csv", "html"})
    places.push_back(
        {std::string("timeline --format ") + format, medic({"timeline", "1", "--format", format})});
  places.push_back({"medic run --dry-run",
                    medic({"run", dir_.Join("pb.yaml"), "--dry-run", "--var", "service=x"})});
  serve_.Terminate(20'000);
  places.push_back({"serve's stderr at exit", serve_.log()});
  places.push_back({"the record at exit", ReadFile(Db())});
  std::vector<std::string> values = {file_key};
  for (const auto& [name, value] : secrets) values.push_back(value);
  for (const auto& [where, text] : places) {
    EXPECT_FALSE(text.empty()) << where;
    for (const auto& v : values) EXPECT_EQ(text.find(v), std::string::npos) << v << " in " << where;
  }
}

}  // namespace
}  // namespace medic
