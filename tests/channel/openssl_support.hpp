// Loopback helpers for tests against OpenSSL 3.0's command line: a spawned
// `openssl` with a pipe to its stdin and its output in a file, sockets on
// 127.0.0.1, and a pump between a channel and a socket.
#pragma once

#include "support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace openssl_test {

using namespace m2msec;
using namespace std::chrono_literals;
using tls::transport;

inline std::string pki(const std::string& name) { return M2MSEC_SOURCE_DIR "/tests/channel/pki/" + name; }
inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `openssl ...` (or another program) with a pipe to its stdin and its output in a file.
class process {
 public:
  explicit process(std::vector<std::string> args, std::string program = "openssl") {
    char tmpl[] = "/tmp/m2msec-openssl-XXXXXX";
    const int out = ::mkstemp(tmpl);
    REQUIRE(out >= 0);
    out_path_ = tmpl;
    int in[2];
    REQUIRE(::pipe(in) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, out, 2);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    std::vector<char*> argv;
    args.insert(args.begin(), program);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(::posix_spawnp(&pid_, program.c_str(), &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out);
    stdin_ = in[1];
  }
  ~process() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(out_path_.c_str());
  }
  // Ends the process at once (no close_notify, no FIN before the kernel's).
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  // Its exit status, once it ends within `limit` (-1 when it does not: then killed).
  int wait_exit(std::chrono::milliseconds limit = 10000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (pid_ > 0 && std::chrono::steady_clock::now() < end) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    kill_now();
    return -1;
  }
  // Closes its stdin: s_client without -ign_eof then sends close_notify and quits.
  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }
  void write(std::string_view s) { REQUIRE(::write(stdin_, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
  [[nodiscard]] std::string output() const { return slurp(out_path_); }
  bool wait_for(const std::string& text, std::chrono::milliseconds limit = 5000ms) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  // The hex after "Keying material: ".
  [[nodiscard]] std::string keying_material() const {
    const auto o = output();
    const auto at = o.find("Keying material: ");
    if (at == std::string::npos) return {};
    const auto start = at + 17;
    return o.substr(start, o.find_first_of("\r\n", start) - start);
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::string out_path_;
};

inline int free_port(transport kind) {
  const int s = ::socket(AF_INET, kind == transport::stream ? SOCK_STREAM : SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// Moves bytes between a channel and a connected socket until `done` or the deadline.
template <class Channel, class Done>
void drive(Channel& ch, int fd, Done done, std::chrono::milliseconds limit = 8000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  byte buf[20000];
  while (std::chrono::steady_clock::now() < end && !done()) {
    for (auto& d : ch.take_outgoing())
      if (::send(fd, d.data(), d.size(), MSG_NOSIGNAL) < 0) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      if (!ch.feed({buf, static_cast<std::size_t>(n)})) {
        for (auto& d : ch.take_outgoing()) (void)::send(fd, d.data(), d.size(), MSG_NOSIGNAL);
        return;
      }
    } else {
      (void)ch.tick();
    }
  }
  for (auto& d : ch.take_outgoing()) (void)::send(fd, d.data(), d.size(), MSG_NOSIGNAL);
}

inline int connect_to(transport kind, int port) {
  const int fd = ::socket(AF_INET, kind == transport::stream ? SOCK_STREAM : SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 200; ++i) {
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    std::this_thread::sleep_for(20ms);
  }
  FAIL("cannot connect to 127.0.0.1:" << port);
  return -1;
}

// A listening socket; for UDP, "accept" waits for the first datagram and connects to its sender.
struct listener {
  transport kind;
  int fd, port;
  explicit listener(transport k) : kind(k) {
    fd = ::socket(AF_INET, k == transport::stream ? SOCK_STREAM : SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    if (k == transport::stream) ::listen(fd, 1);
  }
  ~listener() { ::close(fd); }
  int accept() {
    pollfd p{fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 8000) == 1);
    if (kind == transport::stream) return ::accept(fd, nullptr, nullptr);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    byte probe[1];
    ::recvfrom(fd, probe, sizeof probe, MSG_PEEK, reinterpret_cast<sockaddr*>(&from), &len);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&from), len) == 0);
    return ::dup(fd);
  }
};

}  // namespace openssl_test
