// Real loopback sockets for the server tests: a channel driven over a connected
// TCP or UDP socket, a pair of connected loopback sockets, and a server program
// started as a child process whose "listening" lines give its ports.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "m2msec/channel/channel.hpp"
#include "m2msec/channel/socket_pump.hpp"

namespace test_sockets {

using m2msec::byte;
using m2msec::bytes_view;

struct fd_guard {
  int fd = -1;
  fd_guard() = default;
  explicit fd_guard(int f) : fd(f) {}
  fd_guard(fd_guard&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  fd_guard& operator=(fd_guard&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

inline sockaddr_in loopback(unsigned short port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A socket connected to 127.0.0.1:port; -1 when refused.
inline fd_guard connect_to(unsigned short port, bool datagram) {
  fd_guard s(::socket(AF_INET, datagram ? SOCK_DGRAM : SOCK_STREAM, 0));
  const auto a = loopback(port);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return {};
  const int one = 1;
  if (!datagram) ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

// Two connected loopback sockets: TCP (listen, connect, accept) or UDP (two bound, each connected to the other).
inline std::pair<fd_guard, fd_guard> socket_pair(bool datagram) {
  auto bound = [&](int type) {
    fd_guard s(::socket(AF_INET, type, 0));
    auto a = loopback(0);
    if (::bind(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
    return s;
  };
  auto port_of = [](int fd) {
    sockaddr_in a{};
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    return ntohs(a.sin_port);
  };
  if (datagram) {
    auto a = bound(SOCK_DGRAM), b = bound(SOCK_DGRAM);
    const auto pa = loopback(port_of(a.fd)), pb = loopback(port_of(b.fd));
    ::connect(a.fd, reinterpret_cast<const sockaddr*>(&pb), sizeof pb);
    ::connect(b.fd, reinterpret_cast<const sockaddr*>(&pa), sizeof pa);
    return {std::move(a), std::move(b)};
  }
  auto l = bound(SOCK_STREAM);
  ::listen(l.fd, 1);
  auto c = connect_to(port_of(l.fd), false);
  fd_guard s(::accept(l.fd, nullptr, nullptr));
  return {std::move(c), std::move(s)};
}

// The library's pump (channel/socket_pump.hpp), under the names the tests use.
template <class Channel>
inline bool flush(Channel& ch, int fd) {
  return m2msec::tls::flush(ch, fd);
}
template <class Channel>
inline bool drive(std::initializer_list<std::pair<Channel*, int>> ends, const std::function<bool()>& done,
                  std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  return m2msec::tls::pump_until(ends, done, limit);
}

// A server program in a child process. Its stdout's "listening tcp|udp[-cert] <addr>:<port>"
// lines, up to "ready", give the ports; its stderr goes to `log`.
class server_process {
 public:
  server_process(const std::string& program, const std::string& config, const std::string& log) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(err, 2);
      ::close(out[0]);
      ::execl(program.c_str(), program.c_str(), config.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    FILE* f = ::fdopen(out[0], "r");
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      std::string s(line);
      if (s.starts_with("ready")) break;
      const auto colon = s.rfind(':');
      if (colon == std::string::npos) continue;
      const auto port = static_cast<unsigned short>(std::stoul(s.substr(colon + 1)));
      if (s.starts_with("listening tcp-cert ")) tcp_cert = port;
      else if (s.starts_with("listening udp-cert ")) udp_cert = port;
      else if (s.starts_with("listening tcp ")) tcp = port;
      else if (s.starts_with("listening udp ")) udp = port;
    }
    std::fclose(f);
  }
  server_process(const server_process&) = delete;
  ~server_process() {
    if (pid_ > 0) stop(SIGKILL);
  }
  // Sends `sig` and waits; the exit status (or 128 + signal).
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  [[nodiscard]] bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }
  // Its resident memory (VmRSS), in KiB; 0 when it cannot be read.
  [[nodiscard]] long resident_kib() const {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid_) + "/status").c_str(), "r");
    if (f == nullptr) return 0;
    char line[256];
    long kib = 0;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    std::fclose(f);
    return kib;
  }
  unsigned short tcp = 0, udp = 0, tcp_cert = 0, udp_cert = 0;

 private:
  pid_t pid_ = -1;
};

}  // namespace test_sockets
