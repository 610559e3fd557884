// The tests' link to an MEF or a MAF in memory: real channels pumped into each
// other, the primitives carried over HTTP by Beast.
#pragma once

#include "../channel/support.hpp"

#include <catch2/catch.hpp>

#include "m2msec/channel/profiles.hpp"
#include "m2msec/enrolment/http_binding.hpp"

namespace m2msec {

using channel = tls::channel<manual_clock>;
using namespace std::chrono_literals;
using tls::transport;

// One client's connection to an MEF or a MAF (`Server`, whose handshake profile is
// `Handshake`): both channels, the function's view, and the HTTP readers.
template <class Server, class Handshake, class Connection>
struct test_link {
  symmetric_credential cred;
  sa::bound<secret> psk;
  std::unique_ptr<channel> client, server;
  std::optional<Connection> conn;
  mef::http::request_reader requests;
  mef::http::response_reader responses;
  std::optional<mef::response> last;  // as the MEF produced it

  test_link(Server& m, const manual_clock& clk, symmetric_credential c, const entity_id& self,
           transport kind = transport::stream)
      : cred(std::move(c)),
        psk(*sa::bound<secret>::create(*cred.key().clone(), {self, cred.id()}, cred, requested_lifetime::session(1h), {}, clk)) {
    const auto& domain = m.settings().domain;
    client = std::move(*tls::connect<Handshake>({kind, domain.str()},
                                                *Handshake::identity_type::parse(cred.id().value()), psk, clk));
    server = std::move(*channel::psk_server({kind, domain.str(), {}, Handshake::usage}, domain, m.resolver(),
                                            requested_lifetime::session(1h), {}, clk));
    if (test_channel::pump(*client, *server) && client->active() && server->active()) {
      auto accepted = m.accept(*server);
      if (accepted) conn = std::move(*accepted);
    }
  }
  // Sends raw bytes as the client; the MEF answers each whole request.
  std::optional<mef::response> send_raw(Server& m, std::string_view bytes) {
    last.reset();
    if (!client->send(as_bytes(bytes)) || !test_channel::pump(*client, *server)) return std::nullopt;
    for (;;) {
      std::size_t used = 0;
      auto got = requests.read(server->received(), used);
      server->consume_received(used);
      if (!got) break;
      mef::response r = got->message ? m.handle(*conn, *got->message)
                                     : mef::response{got->code, got->rqi, {}, got->refused};
      if (!got->message) {
        const auto t = mef::refusal_text(got->code);
        r.body.assign(t.begin(), t.end());
      }
      last = r;
      const auto out = mef::http::write_response(r);
      if (!server->send(as_bytes(std::string_view(out.data(), out.size())))) return std::nullopt;
      if (got->fatal) break;
    }
    if (!test_channel::pump(*client, *server)) return std::nullopt;
    std::size_t used = 0;
    auto resp = responses.read(client->received(), used);
    client->consume_received(used);
    if (!resp || !resp->message) return std::nullopt;
    return std::move(*resp->message);
  }
  std::optional<mef::response> exchange(Server& m, const mef::request& r) {
    return send_raw(m, mef::http::write_request(r, m.settings().domain.str()));
  }
};

}  // namespace m2msec
