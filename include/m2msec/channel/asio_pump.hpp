// m2msec: a channel on a Boost.Asio stream socket (TCP), for programs with an
// event loop: what arrives is fed to the channel, and what the channel has to send
// is written in order, one write in flight at a time. The caller's handler runs
// after each read the channel took in; the pump ends once, when the socket or the
// channel does. Blocking programs use channel/socket_pump.hpp instead; DTLS over
// one UDP socket shared by many peers needs a demultiplexer the program owns
// (tools/function_daemon.hpp has one).
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange (g++ 12)

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/errc.hpp"

namespace m2msec::tls {

// A channel (`Channel`: feed, transport_closed, drain_outgoing, closed, close)
// and the socket it speaks through. Made by start() and kept alive by its own
// pending operations until it ends; hold the shared_ptr to reach it later.
// Thread safety: one thread at a time per object (the socket's executor); distinct objects are independent.
template <class Channel, class Stream = boost::asio::ip::tcp::socket>
class asio_pump : public std::enable_shared_from_this<asio_pump<Channel, Stream>> {
 public:
  struct handlers {
    // After each read the channel took in: the place to look at active(),
    // received(), to send() and then flush().
    std::function<void(asio_pump&)> on_input;
    // Once, when the pump ends: "closed" after close_when_written() or stop(),
    // "peer closed" at the socket's end, "channel: ..." when the channel ended on
    // its own (an alert, a refusal), or the socket's error.
    std::function<void(asio_pump&, std::string_view why)> on_end;
  };

  // Starts reading at once; the channel's first flight (a client's ClientHello)
  // is written too.
  [[nodiscard]] static std::shared_ptr<asio_pump> start(Stream s, std::unique_ptr<Channel> ch, handlers h) {
    std::shared_ptr<asio_pump> p(new asio_pump(std::move(s), std::move(ch), std::move(h)));
    p->read();
    p->flush();
    return p;
  }

  [[nodiscard]] Channel& channel() noexcept { return *channel_; }
  [[nodiscard]] Stream& stream() noexcept { return stream_; }
  [[nodiscard]] bool ended() const noexcept { return ended_; }
  // When bytes last came in or went out: for idle timeouts.
  [[nodiscard]] std::chrono::steady_clock::time_point last_activity() const noexcept { return last_; }

  // Writes what the channel has to send, after what is already being written.
  void flush() {
    if (ended_) return;
    const bool idle = out_.empty();
    channel_->drain_outgoing([&](bytes_view d) { out_.emplace_back(reinterpret_cast<const char*>(d.data()), d.size()); });
    if (idle && !out_.empty()) write();
    else if (out_.empty() && closing_) end(why_);
  }
  // Reads no more, and ends once everything queued is written (after a
  // close_notify when `notify`).
  void close_when_written(bool notify = true) {
    if (ended_ || closing_) return;
    closing_ = true;
    if (notify) channel_->close();
    flush();
  }
  // Ends now: what is queued is dropped, the socket shut and closed.
  void stop(std::string_view why = "closed") { end(why); }

 private:
  asio_pump(Stream s, std::unique_ptr<Channel> ch, handlers h)
      : stream_(std::move(s)), channel_(std::move(ch)), h_(std::move(h)), last_(std::chrono::steady_clock::now()) {}

  void read() {
    stream_.async_read_some(boost::asio::buffer(buf_), [self = this->shared_from_this()](boost::system::error_code ec,
                                                                                        std::size_t n) {
      if (self->ended_ || self->closing_) return;
      self->last_ = std::chrono::steady_clock::now();
      if (ec) {
        (void)self->channel_->transport_closed();  // after close_notify the normal end, else truncated
        return self->end(ec == boost::asio::error::eof ? "peer closed" : ec.message());
      }
      (void)self->channel_->feed(bytes_view(reinterpret_cast<const byte*>(self->buf_.data()), n));
      if (self->h_.on_input) self->h_.on_input(*self);
      if (self->ended_) return;
      self->flush();
      if (self->channel_->closed() && !self->closing_) {
        // An alert or a refusal: what the channel still has to say is written, then the end.
        self->closing_ = true;
        const auto e = self->channel_->error();
        self->why_ = e ? std::string("channel: ").append(to_string(*e)) : std::string("peer closed");
        return self->flush();
      }
      if (!self->closing_) self->read();
    });
  }
  void write() {
    boost::asio::async_write(stream_, boost::asio::buffer(out_.front()),
                             [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                               if (self->ended_) return;
                               self->last_ = std::chrono::steady_clock::now();
                               if (ec) return self->end(ec.message());
                               self->out_.pop_front();
                               if (!self->out_.empty()) return self->write();
                               if (self->closing_) self->end(self->why_);
                             });
  }
  void end(std::string_view why) {
    if (ended_) return;
    ended_ = true;
    out_.clear();
    boost::system::error_code ignored;
    stream_.shutdown(Stream::shutdown_both, ignored);
    stream_.close(ignored);
    if (h_.on_end) h_.on_end(*this, why);
  }

  Stream stream_;
  std::unique_ptr<Channel> channel_;
  handlers h_;
  std::array<char, 16384> buf_{};
  std::deque<std::string> out_;  // records to write, in order; the front one in flight
  std::chrono::steady_clock::time_point last_;
  std::string why_ = "closed";  // what the end will say once the queue is written
  bool closing_ = false, ended_ = false;
};

}  // namespace m2msec::tls
