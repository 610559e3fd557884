// The tests' clients of m2msec-mef and m2msec-maf over real loopback sockets: one
// request and its response over a channel, and a PSK client of either function.
#pragma once

#include "sockets.hpp"

#include <catch2/catch.hpp>

#include "m2msec/channel/profiles.hpp"
#include "m2msec/enrolment/http_binding.hpp"

namespace test_sockets {

using namespace m2msec;
using namespace std::chrono_literals;
using channel = tls::channel<>;
inline const system_clock clk{};

// A test file of tests/enrolment/pki.
inline std::string pki(const std::string& name) { return M2MSEC_SOURCE_DIR "/tests/enrolment/pki/" + name; }
// The server program meson names in `variable` (M2MSEC_MEF, M2MSEC_MAF).
inline std::string program_named(const char* variable) {
  const char* p = std::getenv(variable);
  REQUIRE(p != nullptr);  // set by meson
  return p;
}
// 32 bytes b, b+1, ... as hex: the tests' keys.
inline std::string hex_key(byte b) {
  std::string s;
  char buf[3];
  for (int i = 0; i < 32; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<byte>(b + i)));
    s += buf;
  }
  return s;
}
// The CSE or AE as the identity an association is bound to.
inline bound_identity bound_of(const entity_id& e) {
  if (const auto* c = std::get_if<cse_id>(&e)) return *c;
  return std::get<ae_id>(e);
}

// One request and its response over a channel on a socket.
template <class Channel>
std::optional<mef::response> exchange(Channel& ch, int fd, mef::http::response_reader& reader, const mef::request& r,
                                      std::string_view host = "mef.example.com") {
  if (!ch.send(as_bytes(mef::http::write_request(r, host)))) return std::nullopt;
  std::optional<mef::response> got;
  drive<Channel>({{&ch, fd}}, [&] {
    std::size_t used = 0;
    if (auto m = reader.read(ch.received(), used)) got = m->message;
    ch.consume_received(used);
    return got.has_value() || ch.closed();
  });
  return got;
}

// One client connection to an MEF or a MAF (`Handshake`: mef_handshake with a Kpm,
// maf_handshake with a Km) over a real socket.
template <class Handshake>
struct function_client {
  symmetric_credential cred;
  sa::bound<secret> psk;
  fd_guard sock;
  std::unique_ptr<channel> ch;
  mef::http::response_reader reader;
  entity_id self;
  std::string sni;

  function_client(unsigned short port, bool datagram, symmetric_credential c, entity_id me,
                  std::string host = "mef.example.com")
      : cred(std::move(c)),
        psk(*sa::bound<secret>::create(*cred.key().clone(), {me, cred.id()}, cred, requested_lifetime::session(1h), {}, clk)),
        sock(test_sockets::connect_to(port, datagram)),
        self(std::move(me)),
        sni(std::move(host)) {
    const auto kind = datagram ? tls::transport::datagram : tls::transport::stream;
    ch = std::move(*tls::connect<Handshake>({kind, sni}, *Handshake::identity_type::parse(cred.id().value()), psk, clk));
  }
  // DTLS drops what does not authenticate, silently: a refused client hears nothing until `limit`.
  bool handshake(std::chrono::milliseconds limit = 10s) {
    return sock.fd >= 0 && drive<channel>({{ch.get(), sock.fd}}, [&] { return ch->active() || ch->closed(); }, limit) &&
           ch->active();
  }
  std::optional<mef::response> call(const mef::request& r) { return exchange(*ch, sock.fd, reader, r, sni); }
};

}  // namespace test_sockets
