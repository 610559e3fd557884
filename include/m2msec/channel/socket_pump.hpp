// m2msec: a channel's bytes over connected sockets, for programs without an event
// loop of their own (examples, tests, small clients): each end is a channel and
// the POSIX socket it speaks through (TCP, or connected UDP for DTLS). A server
// with many peers runs an event loop instead (channel/asio_pump.hpp for Asio).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <utility>
#include <vector>

#include "m2msec/core/bytes.hpp"

namespace m2msec::tls {

// Sends everything the channel has to send; false when the socket refused.
template <class Channel>
[[nodiscard]] bool flush(Channel& ch, int fd) {
  bool ok = true;
  ch.drain_outgoing([&](bytes_view d) {
    for (std::size_t at = 0; ok && at < d.size();) {
      const ssize_t n = ::send(fd, d.data() + at, d.size() - at, MSG_NOSIGNAL);
      if (n <= 0) ok = false;
      else at += static_cast<std::size_t>(n);
    }
  });
  return ok;
}

// Moves bytes between each channel and its socket until `done()` holds (true),
// or the time is up, a socket fails or one ends (false, unless done() then holds).
// A socket that ends tells its channel (transport_closed); a quiet one lets its
// channel retransmit (tick, for DTLS).
template <class Channel>
[[nodiscard]] bool pump_until(std::initializer_list<std::pair<Channel*, int>> ends, const std::function<bool()>& done,
                              std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const std::vector<std::pair<Channel*, int>> all(ends);
  const auto until = std::chrono::steady_clock::now() + limit;
  std::vector<byte> buf(65536);
  std::vector<pollfd> polled(all.size());
  while (!done()) {
    for (auto& [ch, fd] : all)
      if (!flush(*ch, fd)) return false;
    if (done()) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    for (std::size_t i = 0; i < all.size(); ++i) polled[i] = {all[i].second, POLLIN, 0};
    if (::poll(polled.data(), polled.size(), 50) < 0) return false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      Channel& ch = *all[i].first;
      if (!(polled[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        (void)ch.tick();
        continue;
      }
      const ssize_t n = ::recv(polled[i].fd, buf.data(), buf.size(), 0);
      if (n <= 0) {
        (void)ch.transport_closed();
        return done();
      }
      (void)ch.feed(bytes_view(buf.data(), static_cast<std::size_t>(n)));
    }
  }
  return true;
}

}  // namespace m2msec::tls
