#include "server/http_front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <unordered_map>

#include "env/clock.h"

namespace medic {
namespace {

thread_local bool t_close_after = false;

// A connection the server closes with a request body still coming is drained this long
// before close(): closing with unread data sends a reset, which can destroy the response
// before the client reads it.
constexpr int64_t kLingerMs = 3'000;
constexpr size_t kReadChunk = 16 * 1024;

// Idle connections are file descriptors: make room for max_connections of them, and keep
// what the process needs besides (the record, step processes, logs) out of their budget.
size_t OpenFileBudget(size_t want) {
  constexpr rlim_t kReserve = 256;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 512;
  if (rl.rlim_cur < want + kReserve && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, want + kReserve);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur > 2 * kReserve ? rl.rlim_cur - kReserve : rl.rlim_cur / 2;
}

bool HeadComplete(const std::string& buf, size_t from) {
  // httplib ends the head at the first empty line, CRLF or bare LF.
  size_t n = buf.find('\n', from);
  while (n != std::string::npos) {
    size_t next = n + 1;
    if (next < buf.size() && buf[next] == '\n') return true;
    if (next + 1 < buf.size() && buf[next] == '\r' && buf[next + 1] == '\n') return true;
    n = buf.find('\n', next);
  }
  return false;
}

void SendBestEffort(int fd, std::string_view text) {
  (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

struct HttpFront::Conn {
  int fd = -1;
  std::string ip;
  int port = 0;
  std::string buf;  // received and not yet consumed by httplib
  size_t pos = 0;
  size_t served = 0;
  int64_t deadline_ms = 0;  // while idle or lingering
  bool idle = false;        // in the loop's epoll set and idle list
  bool lingering = false;   // answered and shut down for writing; draining what is left
  bool close = false;       // set by the worker: close instead of keeping alive
  bool linger = false;      // set by the worker: the request body was not read
  std::list<Conn*>::iterator idle_it;
};

// httplib's view of one connection for one request: reads come from what the loop already
// buffered first, every read of the body is bounded by the request's deadline, and bytes
// read past this request (pipelining) stay with the connection.
class HttpFront::ConnStream final : public httplib::Stream {
 public:
  ConnStream(Conn& c, int64_t deadline_ms, int64_t read_timeout_ms, int64_t write_timeout_ms)
      : c_(c),
        deadline_ms_(deadline_ms),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms) {}

  bool failed() const { return failed_; }

  bool is_readable() const override { return c_.pos < c_.buf.size() || Wait(POLLIN, ReadBudget()); }
  bool is_writable() const override { return Wait(POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (c_.pos >= c_.buf.size()) {
      c_.buf.clear();
      c_.pos = 0;
      char tmp[kReadChunk];
      for (;;) {
        ssize_t n = ::recv(c_.fd, tmp, sizeof tmp, 0);
        if (n > 0) {
          c_.buf.assign(tmp, static_cast<size_t>(n));
          break;
        }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || !Wait(POLLIN, ReadBudget())) {
          failed_ = true;
          return -1;
        }
      }
    }
    size_t n = std::min(size, c_.buf.size() - c_.pos);
    std::memcpy(ptr, c_.buf.data() + c_.pos, n);
    c_.pos += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      ssize_t n = ::send(c_.fd, ptr, size, MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !Wait(POLLOUT, write_timeout_ms_)) {
        failed_ = true;
        return -1;
      }
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.ip;
    port = c_.port;
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    if (::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char host[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&addr);
      inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      port = ntohs(in->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      port = ntohs(in6->sin6_port);
    }
    ip = host;
  }

  socket_t socket() const override { return c_.fd; }

 private:
  int64_t ReadBudget() const {
    return std::min(read_timeout_ms_, std::max<int64_t>(0, deadline_ms_ - SteadyNowMs()));
  }

  bool Wait(short events, int64_t timeout_ms) const {
    int64_t until = SteadyNowMs() + timeout_ms;
    for (;;) {
      pollfd p{c_.fd, events, 0};
      int left = static_cast<int>(std::max<int64_t>(0, until - SteadyNowMs()));
      int r = ::poll(&p, 1, left);
      if (r > 0) return true;
      if (r == 0 || errno != EINTR) return false;
    }
  }

  Conn& c_;
  int64_t deadline_ms_;
  int64_t read_timeout_ms_;
  int64_t write_timeout_ms_;
  bool failed_ = false;
};

HttpFront::HttpFront() { wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

HttpFront::~HttpFront() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
  int sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock != INVALID_SOCKET) ::close(sock);
}

void HttpFront::CloseAfterResponse() { t_close_after = true; }

Result<int> HttpFront::Bind(const std::string& host, int port, int backlog) {
  int bound = port;
  if (port == 0) {
    bound = bind_to_any_port(host);
    if (bound <= 0) return Status::Unavailable("cannot listen on " + host + ":0");
  } else if (!bind_to_port(host, port)) {
    return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port));
  }
  // httplib listens with a backlog of 5; Linux lets a second listen() raise it.
  ::listen(svr_sock_, backlog);
  return bound;
}

void HttpFront::Shutdown() {
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void HttpFront::Process(Conn* c) {
  int64_t read_timeout_ms = read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000;
  int64_t write_timeout_ms = write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000;
  ++c->served;
  bool closing =
      stopping_.load() || (keep_alive_max_count_ > 0 && c->served >= keep_alive_max_count_);
  ConnStream stream(*c, SteadyNowMs() + limits_.request_timeout_ms, read_timeout_ms,
                    write_timeout_ms);
  t_close_after = false;
  bool connection_closed = false;
  bool ok = process_request(stream, closing, connection_closed, {});
  c->linger = t_close_after && ok && !stream.failed();
  c->close = !ok || closing || connection_closed || t_close_after || stream.failed();
  c->buf.erase(0, c->pos);
  c->pos = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    returned_.push_back(c);
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

Status HttpFront::Serve(const HttpFrontLimits& limits) {
  limits_ = limits;
  int listen_fd = svr_sock_;
  if (listen_fd == INVALID_SOCKET || wake_fd_ < 0)
    return Status::Internal("the HTTP front is not bound");
  size_t max_open = std::min(limits.max_connections, OpenFileBudget(limits.max_connections));
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return Status::Internal(std::string("epoll_create1: ") + std::strerror(errno));
  ::fcntl(listen_fd, F_SETFL, ::fcntl(listen_fd, F_GETFL) | O_NONBLOCK);

  static char kListenTag, kWakeTag;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &kListenTag;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  ev.data.ptr = &kWakeTag;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, wake_fd_, &ev);

  httplib::ThreadPool pool(std::max<size_t>(1, limits.threads));
  std::list<Conn*> idle;  // oldest first; every entry has the same timeout, so deadlines ascend
  std::unordered_map<std::string, size_t> per_peer;
  size_t open = 0;
  int64_t listen_paused_until = 0;

  // Closed connections are freed after the batch of events in hand: a later event of the
  // same batch may name one (a victim evicted while accepting).
  std::vector<Conn*> closed;
  auto close_conn = [&](Conn* c) {
    if (c->idle) {
      // Deregister before closing: a step process forked at this moment holds a copy of the
      // fd, and epoll forgets a file only once every copy is closed; its events would then
      // name a freed connection.
      ::epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
      idle.erase(c->idle_it);
      c->idle = false;
    }
    ::close(c->fd);
    c->fd = -1;
    auto it = per_peer.find(c->ip);
    if (it != per_peer.end() && --it->second == 0) per_peer.erase(it);
    --open;
    open_ = open;
    closed.push_back(c);
  };
  auto dispatch = [&](Conn* c) {
    if (c->idle) {
      ::epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
      idle.erase(c->idle_it);
      c->idle = false;
    }
    pool.enqueue([this, c] { Process(c); });
  };
  auto make_idle = [&](Conn* c, int64_t timeout_ms) {
    c->deadline_ms = SteadyNowMs() + timeout_ms;
    epoll_event e{};
    e.events = EPOLLIN | EPOLLRDHUP;
    e.data.ptr = c;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0) return close_conn(c);
    c->idle = true;
    c->idle_it = idle.insert(idle.end(), c);
  };
  // The oldest idle connection of `ip` (any peer when ip is null), or null.
  auto oldest_idle = [&](const std::string* ip) -> Conn* {
    for (Conn* c : idle)
      if (!ip || c->ip == *ip) return c;
    return nullptr;
  };
  // Reads what the connection has sent; false when it is to be closed.
  auto read_head = [&](Conn* c) -> bool {
    char tmp[kReadChunk];
    for (;;) {
      ssize_t n = ::recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) {
        if (c->lingering) continue;  // discarded
        size_t from = c->buf.size() > 3 ? c->buf.size() - 3 : 0;
        c->buf.append(tmp, static_cast<size_t>(n));
        if (HeadComplete(c->buf, from)) return true;
        if (c->buf.size() > limits.max_head_bytes) {
          SendBestEffort(c->fd,
                         "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
                         "Content-Length: 0\r\n\r\n");
          return false;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  };
  auto accept_all = [&] {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          if (Conn* victim = oldest_idle(nullptr)) {
            close_conn(victim);
            continue;
          }
          // Nothing to give up: stop listening for a moment rather than spin.
          listen_paused_until = SteadyNowMs() + 100;
          epoll_event e{};
          e.events = 0;
          e.data.ptr = &kListenTag;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, listen_fd, &e);
        }
        return;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto* c = new Conn;
      c->fd = fd;
      char host[INET6_ADDRSTRLEN] = {};
      if (addr.ss_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        c->port = ntohs(in->sin_port);
      } else if (addr.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        c->port = ntohs(in6->sin6_port);
      }
      c->ip = host;
      ++open;
      open_ = open;
      size_t& mine = per_peer[c->ip];
      ++mine;
      // Over a cap, the connection that waited longest without sending a request gives way:
      // a flood of idle connections cannot lock out a client that has something to say.
      if (mine > limits.max_connections_per_peer) {
        Conn* victim = oldest_idle(&c->ip);
        if (!victim) {
          close_conn(c);
          continue;
        }
        close_conn(victim);
      }
      if (open > max_open) {
        Conn* victim = oldest_idle(nullptr);
        if (!victim) {
          close_conn(c);
          continue;
        }
        close_conn(victim);
      }
      make_idle(c, limits.header_timeout_ms);
    }
  };

  std::vector<epoll_event> events(256);
  while (!stopping_.load()) {
    int64_t now = SteadyNowMs();
    while (!idle.empty() && idle.front()->deadline_ms <= now) close_conn(idle.front());
    if (listen_paused_until != 0 && now >= listen_paused_until) {
      listen_paused_until = 0;
      epoll_event e{};
      e.events = EPOLLIN;
      e.data.ptr = &kListenTag;
      ::epoll_ctl(ep, EPOLL_CTL_MOD, listen_fd, &e);
    }
    int64_t wait_ms = 1'000;
    if (!idle.empty()) wait_ms = std::min(wait_ms, idle.front()->deadline_ms - now);
    if (listen_paused_until != 0) wait_ms = std::min(wait_ms, listen_paused_until - now);
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()),
                         static_cast<int>(std::max<int64_t>(0, wait_ms)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &kListenTag) {
        accept_all();
      } else if (tag == &kWakeTag) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof count);
        std::vector<Conn*> back;
        {
          std::lock_guard<std::mutex> lock(mu_);
          back.swap(returned_);
        }
        for (Conn* c : back) {
          if (c->linger) {
            // Answered without reading the body: drain it for a while, then close.
            c->linger = false;
            c->lingering = true;
            c->buf.clear();
            ::shutdown(c->fd, SHUT_WR);
            make_idle(c, kLingerMs);
          } else if (c->close) {
            close_conn(c);
          } else if (HeadComplete(c->buf, 0)) {
            dispatch(c);  // pipelined: the next request is already here
          } else {
            make_idle(c, limits.header_timeout_ms);
          }
        }
      } else {
        auto* c = static_cast<Conn*>(tag);
        if (c->fd < 0) continue;  // closed earlier in this batch
        bool keep = read_head(c);
        if (!keep)
          close_conn(c);
        else if (!c->lingering && HeadComplete(c->buf, 0))
          dispatch(c);
      }
    }
    for (Conn* c : closed) delete c;
    closed.clear();
  }

  // Shutting down: no new connections, idle ones closed, in-flight requests finish.
  int sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock != INVALID_SOCKET) ::close(sock);
  while (!idle.empty()) close_conn(idle.front());
  pool.shutdown();
  std::vector<Conn*> back;
  {
    std::lock_guard<std::mutex> lock(mu_);
    back.swap(returned_);
  }
  for (Conn* c : back) close_conn(c);
  for (Conn* c : closed) delete c;
  ::close(ep);
  return Status::Ok();
}

}  // namespace medic
