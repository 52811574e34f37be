#include "tests/support/s3_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace medic::testing {
namespace {

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// The value of header `name` in a request head, or "".
std::string HeadHeader(const std::string& head, const std::string& name) {
  std::string lower = Lower(head);
  size_t at = lower.find("\r\n" + Lower(name) + ":");
  if (at == std::string::npos) return "";
  size_t begin = at + name.size() + 3;
  size_t end = head.find("\r\n", begin);
  std::string v = head.substr(begin, end - begin);
  v.erase(0, v.find_first_not_of(' '));
  return v;
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/// Closes with a TCP reset, as a crashed peer or a middlebox timing out would.
void Reset(int fd) {
  linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

}  // namespace

std::string S3rverPeer::PackageDir() { return SourceDir() + "/tests/peers/s3rver"; }

std::string S3rverPeer::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string S3rverPeer::Start(const std::string& data_dir,
                              const std::vector<std::string>& buckets) {
  std::string bin = PackageDir() + "/node_modules/s3rver/bin/s3rver.js";
  if (!std::filesystem::exists(bin)) {
    return "s3rver is not installed (" + bin + " is missing): run tests/peers/s3rver/install.sh";
  }
  if (!HaveTool("node")) return "node is not on PATH (s3rver needs Node.js)";
  // A free port can be taken between FreePort() and s3rver's bind: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreePort();
    std::vector<std::string> argv = {"node",      bin,         "--directory", data_dir,
                                     "--address", "127.0.0.1", "--port",      std::to_string(port_),
                                     "--silent"};
    for (const auto& b : buckets) {
      argv.push_back("--configure-bucket");
      argv.push_back(b);
    }
    if (!process_.Start(argv, data_dir + ".log")) return "cannot start node";
    if (WaitForPort(port_, 20'000)) return "";
    process_.Stop();
  }
  return "s3rver did not accept connections; see " + data_dir + ".log";
}

std::string FlakyS3Proxy::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

bool FlakyS3Proxy::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return true;
}

void FlakyS3Proxy::Stop() {
  if (listen_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t n = write(stop_fd_, &one, sizeof one);
  (void)n;
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  close(listen_fd_);
  close(stop_fd_);
  listen_fd_ = -1;
}

void FlakyS3Proxy::DropPart(int part, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  drop_part_ = part;
  drop_times_ = times;
}

std::vector<std::string> FlakyS3Proxy::heads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heads_;
}

int FlakyS3Proxy::Count(const std::string& method, const std::string& part) const {
  int n = 0;
  for (const auto& head : heads()) {
    std::string line = head.substr(0, head.find("\r\n"));
    if (line.rfind(method + " ", 0) == 0 && line.find(part) != std::string::npos) ++n;
  }
  return n;
}

void FlakyS3Proxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    workers_.emplace_back([this, client] { Serve(client); });
  }
}

// One request per connection is all the proxy needs: CurlHttpClient opens a connection
// per request. Anything after the first request on a connection is passed through as is.
void FlakyS3Proxy::Serve(int client) {
  std::string buffered;
  char buf[65536];
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    pollfd fds[2] = {{client, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    poll(fds, 2, 10'000);
    if (fds[1].revents || !(fds[0].revents & (POLLIN | POLLHUP))) {
      close(client);
      return;
    }
    ssize_t n = recv(client, buf, sizeof buf, 0);
    if (n <= 0) {
      close(client);
      return;
    }
    buffered.append(buf, static_cast<size_t>(n));
    head_end = buffered.find("\r\n\r\n");
  }
  std::string head = buffered.substr(0, head_end + 4);
  std::string line = head.substr(0, head.find("\r\n"));
  bool drop = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    heads_.push_back(head);
    std::string part = "partNumber=" + std::to_string(drop_part_) + "&";
    if (drop_times_ != 0 && line.rfind("PUT ", 0) == 0 && line.find(part) != std::string::npos) {
      drop = true;
      if (drop_times_ > 0) --drop_times_;
    }
  }

  if (answer_abort_ && line.rfind("DELETE ", 0) == 0 &&
      line.find("uploadId=") != std::string::npos) {
    std::string answer =
        "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    SendAll(client, answer.data(), answer.size());
    close(client);
    return;
  }

  if (drop) {
    // Take about half of the body, then vanish.
    size_t length = std::strtoull(HeadHeader(head, "Content-Length").c_str(), nullptr, 10);
    if (Lower(HeadHeader(head, "Expect")) == "100-continue") {
      std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      SendAll(client, cont.data(), cont.size());
    }
    size_t got = buffered.size() - head.size();
    while (got < length / 2) {
      pollfd p = {client, POLLIN, 0};
      if (poll(&p, 1, 10'000) <= 0) break;
      ssize_t n = recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    Reset(client);
    return;
  }

  int upstream = ConnectLoopback(upstream_port_);
  if (upstream < 0 || !SendAll(upstream, buffered.data(), buffered.size())) {
    if (upstream >= 0) close(upstream);
    Reset(client);
    return;
  }
  bool client_open = true;
  for (;;) {
    pollfd fds[3] = {{client, static_cast<short>(client_open ? POLLIN : 0), 0},
                     {upstream, POLLIN, 0},
                     {stop_fd_, POLLIN, 0}};
    if (poll(fds, 3, 30'000) <= 0 || fds[2].revents) break;
    if (client_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = recv(client, buf, sizeof buf, 0);
      if (n <= 0) {
        client_open = false;
        shutdown(upstream, SHUT_WR);
        break;  // the client is done with this connection
      }
      if (!SendAll(upstream, buf, static_cast<size_t>(n))) break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(upstream, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (!SendAll(client, buf, static_cast<size_t>(n))) break;
    }
  }
  close(upstream);
  close(client);
}

}  // namespace medic::testing
