// Load generator for scripts/bench-serve (not a test). Posts generic alerts to a running
// `medic serve` at a fixed rate over keep-alive connections and reports latency
// percentiles. Two modes:
//   accept  RATE alerts/s for DURATION s, every alert distinct (its own pod), spread over
//           SERVICES services (so SERVICES incidents and runs); measures request -> 202.
//   start   COUNT alerts, each a new service (a new incident and run) at RATE/s; the
//           playbook's first step writes `date +%s%N` to START_DIR/SERVICE; measures
//           request -> that process running.
// Usage: serve_load --url http://127.0.0.1:PORT [--url ...] --token T --mode accept|start
//          [--rate 1000] [--duration 30] [--connections 16] [--services 100]
//          [--count 200] [--start-dir DIR] [--after S] [--slow MS]
// --after also reports the requests scheduled S seconds or more after the first (past the
// burst of new incidents that opens an accept run). --slow prints each request that took MS or longer (when it was sent, on which connection) to
// stderr, to line stalls up with the serves' logs. With several --url (replicas of one record), connection i talks to url i mod N.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::pair<std::string, int>> targets;  // host, port
  std::string token;
  std::string mode = "accept";
  double rate = 1000;
  int duration = 30;
  int connections = 16;
  int services = 100;
  int count = 200;
  std::string start_dir;
  double slow_ms = 0;
  int after_s = 0;
  std::string run_id = std::to_string(std::time(nullptr));
};

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void Report(const char* what, const std::vector<double>& ms) {
  std::printf("%s: n=%zu p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms\n", what, ms.size(),
              Percentile(ms, 50), Percentile(ms, 90), Percentile(ms, 99),
              ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()));
}

struct Outcome {
  std::vector<double> latency_ms;
  std::vector<double> later_ms;  // of the requests scheduled --after seconds or later
  std::map<int, int> codes;
  std::vector<std::pair<std::string, int64_t>> sent;  // service, wall ns at send (start mode)
  double max_lag_ms = 0;
};

// Sends requests i = thread, thread + C, ... at their scheduled times (open loop: a slow
// answer delays only this connection's next request, and the lag is reported).
void Worker(const Options& o, int thread, int64_t total, Clock::time_point t0, Outcome* out,
            std::mutex* mu) {
  const auto& [host, port] = o.targets[static_cast<size_t>(thread) % o.targets.size()];
  httplib::Client client(host, port);
  client.set_keep_alive(true);
  client.set_read_timeout(30, 0);
  client.set_tcp_nodelay(true);
  httplib::Headers headers = {{"Authorization", "Bearer " + o.token}};
  Outcome local;
  for (int64_t i = thread; i < total; i += o.connections) {
    auto when =
        t0 + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * 1e9 / o.rate));
    auto now = Clock::now();
    if (when > now)
      std::this_thread::sleep_until(when);
    else
      local.max_lag_ms =
          std::max(local.max_lag_ms, std::chrono::duration<double, std::milli>(now - when).count());
    std::string service, body;
    if (o.mode == "start") {
      service = "start-" + o.run_id + "-" + std::to_string(i);
      body = R"({"labels":{"alertname":"GoBenchStart","service":")" + service + R"(","pod":"p"}})";
    } else {
      service = "svc-" + std::to_string(i % o.services);
      body = R"({"labels":{"alertname":"GoBench","service":")" + service + R"(","pod":"pod-)" +
             o.run_id + "-" + std::to_string(i) + R"("},"annotations":{"summary":"bench"}})";
    }
    int64_t sent_ns = WallNs();
    auto a = Clock::now();
    auto res = client.Post("/hooks/generic", headers, body, "application/json");
    auto b = Clock::now();
    double ms = std::chrono::duration<double, std::milli>(b - a).count();
    local.latency_ms.push_back(ms);
    if (o.after_s > 0 && when >= t0 + std::chrono::seconds(o.after_s)) local.later_ms.push_back(ms);
    if (o.slow_ms > 0 && ms >= o.slow_ms)
      std::fprintf(stderr, "slow: sent at %lld.%03lld (unix s), connection %d, request %lld: %.1fms\n",
                   static_cast<long long>(sent_ns / 1'000'000'000),
                   static_cast<long long>(sent_ns / 1'000'000 % 1000), thread,
                   static_cast<long long>(i), ms);
    local.codes[res ? res->status : -1]++;
    if (o.mode == "start") local.sent.emplace_back(service, sent_ns);
  }
  std::lock_guard<std::mutex> lock(*mu);
  out->latency_ms.insert(out->latency_ms.end(), local.latency_ms.begin(), local.latency_ms.end());
  out->later_ms.insert(out->later_ms.end(), local.later_ms.begin(), local.later_ms.end());
  for (auto [code, n] : local.codes) out->codes[code] += n;
  out->sent.insert(out->sent.end(), local.sent.begin(), local.sent.end());
  out->max_lag_ms = std::max(out->max_lag_ms, local.max_lag_ms);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") {
      size_t colon = v.rfind(':');
      o.targets.emplace_back(v.substr(v.find("//") + 2, colon - v.find("//") - 2),
                             std::atoi(v.c_str() + colon + 1));
    } else if (k == "--token") {
      o.token = v;
    } else if (k == "--mode") {
      o.mode = v;
    } else if (k == "--rate") {
      o.rate = std::atof(v.c_str());
    } else if (k == "--duration") {
      o.duration = std::atoi(v.c_str());
    } else if (k == "--connections") {
      o.connections = std::atoi(v.c_str());
    } else if (k == "--services") {
      o.services = std::atoi(v.c_str());
    } else if (k == "--count") {
      o.count = std::atoi(v.c_str());
    } else if (k == "--after") {
      o.after_s = std::atoi(v.c_str());
    } else if (k == "--slow") {
      o.slow_ms = std::atof(v.c_str());
    } else if (k == "--start-dir") {
      o.start_dir = v;
    } else {
      std::fprintf(stderr, "serve_load: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.targets.empty() || o.targets.front().second == 0 || o.token.empty() || (o.mode == "start" && o.start_dir.empty())) {
    std::fprintf(stderr,
                 "usage: serve_load --url http://HOST:PORT --token T --mode accept|start [...]\n");
    return 2;
  }
  int64_t total = o.mode == "start" ? o.count : static_cast<int64_t>(o.rate * o.duration);
  Outcome out;
  std::mutex mu;
  std::vector<std::thread> threads;
  auto t0 = Clock::now() + std::chrono::milliseconds(100);
  for (int t = 0; t < o.connections; ++t)
    threads.emplace_back(Worker, std::cref(o), t, total, t0, &out, &mu);
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();

  int accepted = out.codes[202];
  std::printf("mode %s: %lld requests in %.2fs (%.0f/s), %d answered 202", o.mode.c_str(),
              static_cast<long long>(total), elapsed, static_cast<double>(total) / elapsed,
              accepted);
  for (auto [code, n] : out.codes)
    if (code != 202) std::printf(", %d answered %d", n, code);
  std::printf("; max schedule lag %.1fms\n", out.max_lag_ms);
  Report("request -> 202", out.latency_ms);
  if (o.after_s > 0) {
    std::string what = "request -> 202 from " + std::to_string(o.after_s) + "s on";
    Report(what.c_str(), out.later_ms);
  }
  if (o.mode == "start") {
    std::vector<double> start_ms;
    auto deadline = Clock::now() + std::chrono::seconds(60);
    for (const auto& [service, sent_ns] : out.sent) {
      std::string path = o.start_dir + "/" + service;
      std::string line;
      for (;;) {
        std::ifstream f(path);
        if (std::getline(f, line) && !line.empty()) break;
        if (Clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (line.empty()) continue;
      start_ms.push_back(static_cast<double>(std::stoll(line) - sent_ns) / 1e6);
    }
    std::printf("first steps started: %zu of %zu\n", start_ms.size(), out.sent.size());
    Report("request -> first step's process running", start_ms);
  }
  return accepted == total ? 0 : 1;
}
