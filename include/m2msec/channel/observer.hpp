// m2msec: what a channel tells an observer about its handshake, for logs and
// tools: never a key, a secret or application data.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "m2msec/core/errc.hpp"

namespace m2msec::tls {

enum class channel_stage : std::uint8_t {
  hello,           // client: the ClientHello goes out; server: it arrived. text: the SNI
  identity,        // the PSK identity: the client's, or the one a server was asked for. text: it
  established,     // the peer's Finished verified. code: the suite; text: the identity the association is bound to
  alert_sent,      // code: the alert (RFC 5246 §7.2); text: its name
  alert_received,  // likewise, from the peer
  refused,         // the channel is over. error: why; text: to_string(error)
};

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct channel_event {
  channel_stage stage;
  std::string_view text;       // valid during the call only
  std::uint16_t code = 0;
  std::optional<errc> error{};
};

// Called synchronously, on the thread that feeds the channel, while the channel
// is inside that call: it must not call back into the channel. Off when empty.
using channel_observer = std::function<void(const channel_event&)>;

[[nodiscard]] constexpr std::string_view to_string(channel_stage s) noexcept {
  switch (s) {
    case channel_stage::hello: return "hello";
    case channel_stage::identity: return "identity";
    case channel_stage::established: return "established";
    case channel_stage::alert_sent: return "alert sent";
    case channel_stage::alert_received: return "alert received";
    case channel_stage::refused: return "refused";
  }
  return "?";
}

}  // namespace m2msec::tls
