// m2msec: an MEF's or MAF's client over a blocking socket, for programs without an
// event loop (a MAF fetching SUID 21 keys from its MEF, the examples): a TCP
// connection, the handshake, and one request answered, each within a time limit.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <string>

#include "m2msec/channel/socket_pump.hpp"
#include "m2msec/enrolment/http_binding.hpp"

namespace m2msec::mef {

// A connected TCP socket, closed when it goes.
// Thread safety: one thread at a time per object; distinct objects are independent.
class tcp_socket {
 public:
  // To an IPv4 address and port; io_error when it cannot connect.
  [[nodiscard]] static result<tcp_socket> connect(const std::string& ipv4, unsigned short port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, ipv4.c_str(), &a.sin_addr) != 1) return fail(errc::invalid_argument);
    tcp_socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd_ < 0) return fail(errc::io_error);
    const int one = 1;
    ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small flights: no Nagle wait
    if (::connect(s.fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return fail(errc::io_error);
    return s;
  }
  tcp_socket(tcp_socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  tcp_socket& operator=(tcp_socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~tcp_socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  explicit tcp_socket(int fd) : fd_(fd) {}
  int fd_;
};

// The channel's handshake over `fd`: whether it became active within `limit`.
template <class Channel>
[[nodiscard]] bool handshake(Channel& ch, int fd, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  return tls::pump_until<Channel>({{&ch, fd}}, [&] { return ch.active() || ch.closed(); }, limit) && ch.active();
}

// One request and its answer over an active channel on `fd` (`host`: the HTTP
// Host, the function's FQDN). io_error when no whole answer came within `limit`,
// invalid_encoding when what came is no response.
template <class Channel>
[[nodiscard]] result<response> call(Channel& ch, int fd, const request& r, std::string_view host,
                                    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  if (!ch.send(as_bytes(http::write_request(r, host)))) return fail(ch.error().value_or(errc::io_error));
  http::response_reader reader;
  std::optional<response> got;
  bool malformed = false;
  (void)tls::pump_until<Channel>({{&ch, fd}}, [&] {
    std::size_t used = 0;
    if (auto m = reader.read(ch.received(), used)) {
      if (m->message) got = std::move(m->message);
      else malformed = true;
    }
    ch.consume_received(used);
    return got.has_value() || malformed || ch.closed();
  }, limit);
  if (malformed) return fail(errc::invalid_encoding);
  if (!got) return fail(errc::io_error);
  return std::move(*got);
}

}  // namespace m2msec::mef
