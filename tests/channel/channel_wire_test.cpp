// Issue 13, items 1-4 and 6, on the wire: what the outside review found in the
// channel, replayed over loopback TCP and UDP against `openssl s_client` and
// `s_server` (and, for a ClientHello no OpenSSL tool sends, a raw socket).
#include "openssl_support.hpp"

#include <regex>
#include <set>

using namespace openssl_test;

namespace {

const std::string psk_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string identity = "ae1@issuer.example.com";
const std::string sni = "in-cse.sp.example.com";
using chan = tls::channel<manual_clock>;

const char* name(transport kind) { return kind == transport::stream ? "TLS" : "DTLS"; }

symmetric_credential kpsa(time_point nb, time_point na) {
  return *symmetric_credential::make(*hex_decode_secret(psk_hex), *credential_id::parse("12-" + identity),
                                     suid::preprovisioned_saef, *ae_id::parse("/in-cse/C0042"), *validity::make(nb, na));
}

std::vector<std::string> client_args(transport kind, int port) {
  return {"s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-servername", sni,
          kind == transport::stream ? "-tls1_2" : "-dtls1_2",
          "-cipher", kind == transport::stream ? "PSK-AES128-CBC-SHA256" : "PSK-AES128-CCM8"};
}

// Every "SSL alert number N" OpenSSL printed.
std::multiset<int> alerts_in(const std::string& out) {
  std::multiset<int> found;
  static const std::regex number("SSL alert number ([0-9]+)");
  for (std::sregex_iterator it(out.begin(), out.end(), number), end; it != end; ++it) found.insert(std::stoi((*it)[1]));
  return found;
}

// Reads what is waiting on a socket now, without blocking.
byte_vector read_waiting(int fd) {
  byte_vector out;
  byte buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

std::vector<byte_vector> tls_records(bytes_view stream) {
  std::vector<byte_vector> out;
  for (std::size_t at = 0; at + 5 <= stream.size();) {
    const std::size_t end = at + 5 + ((std::size_t{stream[at + 3]} << 8) | stream[at + 4]);
    if (end > stream.size()) break;
    out.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(at), stream.begin() + static_cast<std::ptrdiff_t>(end));
    at = end;
  }
  return out;
}

// The PSK server the tests run, resolving `identity` to `cred`.
std::unique_ptr<chan> psk_server(transport kind, const symmetric_credential& cred, const manual_clock& clk,
                                 usage_limits limits = {}) {
  auto resolver = [&cred](std::string_view id, std::string_view) -> result<tls::psk_entry> {
    if (id != identity) return fail(errc::not_found);
    return tls::psk_entry{&cred, *ae_id::parse("/in-cse/C0042")};
  };
  return std::move(*chan::psk_server({kind, sni}, *cse_id::parse("/in-cse"), resolver, requested_lifetime::session(1h),
                                     limits, clk));
}

}  // namespace

TEST_CASE("wire: an unknown, malformed or expired PSK identity looks like a wrong key to s_client (item 1)",
          "[interop][wire]") {
  manual_clock clk(std::chrono::system_clock::now());
  const auto good = kpsa(clk.now() - 1h, clk.now() + 24h);
  const auto expired = kpsa(clk.now() - 2h, clk.now() - 1h);
  struct attempt {
    const char* what;
    std::string id, key;
    const symmetric_credential* registrar_copy;
    std::optional<errc> refusal;
    errc error;
  };
  const std::vector<attempt> attempts = {
      {"wrong key", identity, "ff" + psk_hex.substr(2), &good, std::nullopt, errc::auth_failed},
      {"unknown identity", "bogus@issuer.example.com", psk_hex, &good, errc::not_found, errc::not_found},
      {"expired credential", identity, psk_hex, &expired, errc::expired, errc::expired},
      {"malformed identity", "ae1 @issuer.example.com", psk_hex, &good, errc::invalid_encoding, errc::invalid_encoding},
  };
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO(name(kind));
    std::set<std::multiset<int>> seen;
    for (const auto& a : attempts) {
      INFO(a.what);
      listener l(kind);
      auto args = client_args(kind, l.port);
      args.insert(args.end(), {"-psk", a.key, "-psk_identity", a.id, "-ign_eof"});
      process client(args);
      const int fd = l.accept();
      auto server = psk_server(kind, *a.registrar_copy, clk);
      drive(*server, fd, [&] { return server->closed(); }, kind == transport::stream ? 4000ms : 1500ms);
      if (kind == transport::stream) (void)client.wait_for("SSL alert number", 3000ms);
      ::close(fd);
      client.kill_now();
      const std::string out = client.output();
      INFO(out);
      CHECK(server->refusal() == a.refusal);
      if (kind == transport::stream) {
        CHECK(server->error() == a.error);
        CHECK(alerts_in(out) == std::multiset<int>{20});  // bad_record_mac, never 115 unknown_psk_identity
      } else {
        CHECK_FALSE(server->active());
        CHECK(alerts_in(out).empty());  // DTLS drops the bad Finished: silence, in every case
      }
      CHECK(out.find("unknown psk identity") == std::string::npos);
      seen.insert(alerts_in(out));
    }
    CHECK(seen.size() == 1);  // one answer for all four
  }
}

TEST_CASE("wire: five records in one TCP segment deliver what one per segment does (item 2)", "[interop][wire]") {
  manual_clock clk(std::chrono::system_clock::now());
  const auto cred = kpsa(clk.now() - 1h, clk.now() + 24h);
  for (bool one_feed : {true, false}) {
    INFO((one_feed ? "all five records in one feed" : "one record per feed"));
    listener l(transport::stream);
    auto args = client_args(transport::stream, l.port);
    args.insert(args.end(), {"-psk", psk_hex, "-psk_identity", identity, "-ign_eof"});
    process client(args);
    const int fd = l.accept();
    auto server = psk_server(transport::stream, cred, clk, {.hard_messages = 3});
    drive(*server, fd, [&] { return server->active(); });
    REQUIRE(server->active());
    REQUIRE(client.wait_for("Verify return code"));
    for (const char* line : {"1\n", "2\n", "3\n", "4\n", "5\n"}) {  // one record each
      client.write(line);
      std::this_thread::sleep_for(150ms);
    }
    std::this_thread::sleep_for(300ms);
    const byte_vector waiting = read_waiting(fd);
    const auto records = tls_records(waiting);
    REQUIRE(records.size() == 5);
    if (one_feed) {
      CHECK(server->feed(waiting).error() == errc::limit_reached);
    } else {
      for (std::size_t i = 0; i < 3; ++i) REQUIRE(server->feed(records[i]));
      CHECK(server->feed(records[3]).error() == errc::limit_reached);
    }
    CHECK(std::string(server->received().begin(), server->received().end()) == "1\n2\n3\n");
    CHECK(server->association()->messages() == 3);
    ::close(fd);
  }
}

TEST_CASE("wire: one 1 MiB send is 64 records, and the sender's SA counts 64 (item 3)", "[interop][wire]") {
  manual_clock clk(std::chrono::system_clock::now());
  const auto cred = kpsa(clk.now() - 1h, clk.now() + 24h);
  auto psk = *sa::bound<secret>::create(*cred.key().clone(), {*ae_id::parse("/in-cse/C0042"), *cse_id::parse("/in-cse")},
                                        cred, requested_lifetime::session(1h), {}, clk);
  const int port = free_port(transport::stream);
  process server({"s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-naccept", "1", "-tls1_2", "-cipher",
                  "PSK-AES128-CBC-SHA256", "-nocert", "-psk", psk_hex, "-psk_identity", identity});
  REQUIRE(server.wait_for("ACCEPT"));
  const int fd = connect_to(transport::stream, port);
  auto ch = std::move(*chan::psk_client({transport::stream, sni}, identity, psk, clk));
  drive(*ch, fd, [&] { return ch->active(); });
  REQUIRE(ch->active());
  const std::uint64_t before = psk.association().messages();
  const std::string big(1 << 20, '^');
  REQUIRE(ch->send(as_bytes(big)));
  CHECK(psk.association().messages() - before == 64);
  auto received = [&] {
    const auto out = server.output();
    return static_cast<std::size_t>(std::count(out.begin(), out.end(), '^'));
  };
  drive(*ch, fd, [&] { return received() >= big.size(); });
  CHECK(received() == big.size());
  ::close(fd);
}

TEST_CASE("wire: the transport's end: s_client killed, cut mid-record, or closing properly (item 4)",
          "[interop][wire]") {
  manual_clock clk(std::chrono::system_clock::now());
  const auto cred = kpsa(clk.now() - 1h, clk.now() + 24h);
  enum class ending { killed, mid_record, close_notify };
  for (auto how : {ending::killed, ending::mid_record, ending::close_notify}) {
    INFO(static_cast<int>(how));
    listener l(transport::stream);
    auto args = client_args(transport::stream, l.port);
    args.insert(args.end(), {"-psk", psk_hex, "-psk_identity", identity});
    if (how != ending::close_notify) args.push_back("-ign_eof");
    process client(args);
    const int fd = l.accept();
    auto server = psk_server(transport::stream, cred, clk);
    drive(*server, fd, [&] { return server->active(); });
    REQUIRE(server->active());
    REQUIRE(client.wait_for("Verify return code"));
    CHECK(server->check_originator("C0042") == rsc::ok);
    if (how == ending::mid_record) {
      client.write("half of this arrives\n");
      std::this_thread::sleep_for(300ms);
      const byte_vector record = read_waiting(fd);
      REQUIRE(record.size() > 10);
      REQUIRE(server->feed(bytes_view(record).first(record.size() / 2)));
      client.kill_now();
    } else if (how == ending::killed) {
      client.kill_now();
    } else {
      client.close_stdin();  // s_client sends close_notify, then closes
    }
    // Read to the end of the stream, as a server loop does.
    byte buf[4096];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      REQUIRE(::poll(&p, 1, 5000) == 1);
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      (void)server->feed({buf, static_cast<std::size_t>(n)});
    }
    const auto end = server->transport_closed();
    if (how == ending::close_notify) {
      CHECK(end);
      CHECK_FALSE(server->error());
    } else {
      CHECK(end.error() == errc::truncated);
      CHECK(server->error() == errc::truncated);
    }
    CHECK(server->received().empty());
    CHECK_FALSE(server->active());
    CHECK(server->check_originator("C0042") != rsc::ok);
    ::close(fd);
  }
}

namespace {

// The client's first flight, its ClientHello's server_name list rewritten to
// carry two host_names: "other.example.com" first, the real one last.
byte_vector with_two_host_names(bytes_view flight, bool datagram) {
  const std::size_t rec = datagram ? 13 : 5, hs = datagram ? 12 : 4;
  byte_vector body(flight.begin() + static_cast<std::ptrdiff_t>(rec + hs), flight.end());
  std::size_t at = 2 + 32;
  at += 1 + body[at];                              // session_id
  if (datagram) at += 1 + body[at];                // cookie
  at += 2 + ((std::size_t{body[at]} << 8) | body[at + 1]);  // cipher_suites
  at += 1 + body[at];                              // compression_methods
  const std::size_t ext_start = at + 2;
  byte_vector exts;
  for (std::size_t e = ext_start; e < body.size();) {
    const std::size_t type = (std::size_t{body[e]} << 8) | body[e + 1];
    const std::size_t len = (std::size_t{body[e + 2]} << 8) | body[e + 3];
    if (type == 0) {
      const std::string other = "other.example.com";
      byte_vector list = {0, 0, static_cast<byte>(other.size())};
      list.insert(list.end(), other.begin(), other.end());
      list.insert(list.end(), body.begin() + static_cast<std::ptrdiff_t>(e + 6),
                  body.begin() + static_cast<std::ptrdiff_t>(e + 4 + len));
      exts.insert(exts.end(), {0, 0, static_cast<byte>((list.size() + 2) >> 8), static_cast<byte>(list.size() + 2),
                               static_cast<byte>(list.size() >> 8), static_cast<byte>(list.size())});
      exts.insert(exts.end(), list.begin(), list.end());
    } else {
      exts.insert(exts.end(), body.begin() + static_cast<std::ptrdiff_t>(e),
                  body.begin() + static_cast<std::ptrdiff_t>(e + 4 + len));
    }
    e += 4 + len;
  }
  body.resize(at);
  body.insert(body.end(), {static_cast<byte>(exts.size() >> 8), static_cast<byte>(exts.size())});
  body.insert(body.end(), exts.begin(), exts.end());
  auto put24 = [](byte* p, std::size_t v) {
    p[0] = static_cast<byte>(v >> 16);
    p[1] = static_cast<byte>(v >> 8);
    p[2] = static_cast<byte>(v);
  };
  byte_vector out(flight.begin(), flight.begin() + static_cast<std::ptrdiff_t>(rec + hs));
  put24(&out[rec + 1], body.size());
  if (datagram) put24(&out[rec + 9], body.size());  // fragment_length: the whole message
  out[rec - 2] = static_cast<byte>((hs + body.size()) >> 8);
  out[rec - 1] = static_cast<byte>(hs + body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

TEST_CASE("wire: a ClientHello with two host_names draws illegal_parameter (item 6)", "[interop][wire]") {
  manual_clock clk(std::chrono::system_clock::now());
  const auto cred = kpsa(clk.now() - 1h, clk.now() + 24h);
  auto psk = *sa::bound<secret>::create(*cred.key().clone(), {*ae_id::parse("/in-cse/C0042"), *cse_id::parse("/in-cse")},
                                        cred, requested_lifetime::session(1h), {}, clk);
  for (auto kind : {transport::stream, transport::datagram}) {
    INFO(name(kind));
    for (bool twice : {false, true}) {
      INFO((twice ? "two host_names" : "one host_name"));
      auto ours = std::move(*chan::psk_client({kind, sni}, identity, psk, clk));
      auto flight = ours->take_outgoing();
      REQUIRE(flight.size() == 1);
      const byte_vector hello = twice ? with_two_host_names(flight[0], kind == transport::datagram) : flight[0];
      listener l(kind);
      const int out = connect_to(kind, l.port);
      REQUIRE(::send(out, hello.data(), hello.size(), 0) == static_cast<ssize_t>(hello.size()));
      const int in = l.accept();
      auto server = psk_server(kind, cred, clk);
      byte buf[4096];
      const ssize_t n = ::recv(in, buf, sizeof buf, 0);
      REQUIRE(n == static_cast<ssize_t>(hello.size()));
      const auto fed = server->feed({buf, static_cast<std::size_t>(n)});
      for (auto& d : server->take_outgoing()) REQUIRE(::send(in, d.data(), d.size(), 0) > 0);
      pollfd p{out, POLLIN, 0};
      REQUIRE(::poll(&p, 1, 3000) == 1);
      const ssize_t got = ::recv(out, buf, sizeof buf, 0);
      REQUIRE(got > 0);
      const byte_vector reply(buf, buf + got);
      const byte_vector alert = kind == transport::stream
                                    ? byte_vector{21, 3, 3, 0, 2, 2, 47}
                                    : byte_vector{21, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 47};
      if (twice) {
        CHECK(fed.error() == errc::invalid_encoding);
        CHECK(reply == alert);
      } else {
        CHECK(fed);
        CHECK(reply[0] == 22);  // the handshake goes on (ServerHello, or HelloVerifyRequest)
      }
      ::close(in);
      ::close(out);
    }
  }
}
