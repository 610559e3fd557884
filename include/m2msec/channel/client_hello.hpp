// m2msec: a server's own look at the ClientHello, before the TLS engine reads it.
// RFC 6066 §3 allows one host_name in server_name; an engine that keeps the last
// one would check a name the client did not mean (TS-0003 §10.2.1 makes SNI the
// Registrar's check). This reader finds every host_name, whatever the engine does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "m2msec/core/bytes.hpp"

namespace m2msec::tls {

// What the reader says of the bytes it has seen.
enum class hello_verdict {
  more,    // the ClientHello is not complete yet: feed more
  done,    // seen and acceptable, or not a ClientHello at all: the engine decides
  refused, // more than one host_name (or a DTLS ClientHello in fragments)
};

namespace hello_detail {

// A bounds-checked reader over one message; every read past the end sets `bad`.
struct reader {
  bytes_view in;
  std::size_t at = 0;
  bool bad = false;
  std::size_t number(std::size_t n) {
    if (bad || in.size() - at < n) {
      bad = true;
      return 0;
    }
    std::size_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | in[at++];
    return v;
  }
  bytes_view take(std::size_t n) {
    if (bad || in.size() - at < n) {
      bad = true;
      return {};
    }
    const auto v = in.subspan(at, n);
    at += n;
    return v;
  }
  [[nodiscard]] bool empty() const noexcept { return at == in.size(); }
};

// RFC 5246 §7.4.1.2, RFC 6347 §4.2.1, RFC 6066 §3: the number of host_name entries
// in a ClientHello body. A body that does not parse counts 0: the engine refuses it.
inline std::size_t host_names(bytes_view body, bool datagram) noexcept {
  reader r{body};
  r.take(2 + 32);                  // client_version, random
  r.take(r.number(1));             // session_id
  if (datagram) r.take(r.number(1));  // cookie
  r.take(r.number(2));             // cipher_suites
  r.take(r.number(1));             // compression_methods
  if (r.bad || r.empty()) return 0;
  reader ext{r.take(r.number(2))};
  std::size_t names = 0;
  while (!r.bad && !ext.bad && !ext.empty()) {
    const std::size_t type = ext.number(2);
    reader data{ext.take(ext.number(2))};
    if (type != 0) continue;  // server_name
    reader list{data.take(data.number(2))};
    while (!list.bad && !list.empty()) {
      const std::size_t name_type = list.number(1);
      list.take(list.number(2));
      if (name_type == 0 && !list.bad) ++names;
    }
  }
  return ext.bad ? 0 : names;
}

}  // namespace hello_detail

// Reads the ClientHello from the bytes a server receives, before the engine does.
// Over TLS the message may span records and reads (at most 64 KiB are held);
// over DTLS each datagram is read alone, and a ClientHello sent in fragments is
// refused (docs/decisions.md: the oneM2M suites' ClientHello fits one datagram).
// Thread safety: one thread at a time per object; distinct objects are independent.
class client_hello_reader {
 public:
  explicit client_hello_reader(bool datagram) noexcept : datagram_(datagram) {}

  [[nodiscard]] hello_verdict feed(bytes_view in) {
    if (finished_) return hello_verdict::done;
    return datagram_ ? feed_datagram(in) : feed_stream(in);
  }

 private:
  static constexpr std::size_t max_hello = 65536;

  hello_verdict settle(hello_verdict v) noexcept {
    if (v != hello_verdict::more) {
      finished_ = true;
      raw_ = {};
      hello_ = {};
    }
    return v;
  }
  hello_verdict judge(bytes_view body) noexcept {
    return hello_detail::host_names(body, datagram_) > 1 ? hello_verdict::refused : hello_verdict::done;
  }

  // TLS: records of type 22 (handshake) carry the message, maybe across records.
  hello_verdict feed_stream(bytes_view in) {
    raw_.insert(raw_.end(), in.begin(), in.end());
    std::size_t at = 0;
    while (raw_.size() - at >= 5) {
      if (raw_[at] != 22) return settle(hello_verdict::done);
      const std::size_t len = (std::size_t{raw_[at + 3]} << 8) | raw_[at + 4];
      if (raw_.size() - at - 5 < len) break;
      hello_.insert(hello_.end(), raw_.begin() + static_cast<std::ptrdiff_t>(at + 5),
                    raw_.begin() + static_cast<std::ptrdiff_t>(at + 5 + len));
      at += 5 + len;
      if (hello_.size() >= 4) {
        if (hello_[0] != 1) return settle(hello_verdict::done);
        const std::size_t msg = (std::size_t{hello_[1]} << 16) | (std::size_t{hello_[2]} << 8) | hello_[3];
        if (msg > max_hello) return settle(hello_verdict::done);
        if (hello_.size() >= 4 + msg) return settle(judge(bytes_view(hello_).subspan(4, msg)));
      }
    }
    raw_.erase(raw_.begin(), raw_.begin() + static_cast<std::ptrdiff_t>(at));
    if (raw_.size() + hello_.size() > 2 * max_hello) return settle(hello_verdict::done);
    return hello_verdict::more;
  }

  // DTLS: every ClientHello is read (the second one carries the cookie); the
  // reader is done once a datagram holds something other than a ClientHello.
  hello_verdict feed_datagram(bytes_view in) {
    hello_detail::reader r{in};
    while (!r.empty()) {
      const std::size_t type = r.number(1);
      r.take(2 + 2 + 6);  // version, epoch, sequence_number
      hello_detail::reader rec{r.take(r.number(2))};
      if (r.bad || type != 22) return settle(hello_verdict::done);
      const std::size_t msg_type = rec.number(1);
      const std::size_t length = rec.number(3);
      rec.take(2);  // message_seq
      const std::size_t offset = rec.number(3);
      const std::size_t fragment = rec.number(3);
      if (rec.bad || msg_type != 1) return settle(hello_verdict::done);
      if (offset != 0 || fragment != length) return settle(hello_verdict::refused);
      const bytes_view body = rec.take(length);
      if (rec.bad) return settle(hello_verdict::done);
      if (judge(body) == hello_verdict::refused) return settle(hello_verdict::refused);
    }
    return hello_verdict::more;  // the next ClientHello (with the cookie) is read too
  }

  bool datagram_;
  bool finished_ = false;
  byte_vector raw_, hello_;
};

}  // namespace m2msec::tls
