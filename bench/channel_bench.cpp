// The secure channel: full handshakes per second over memory, and record
// throughput at 64 B, 1 KiB and 16 KiB, for m2msec beside (a) Botan's TLS classes
// used directly with the same RNG and policy and (b) OpenSSL 3.0 over a BIO pair.
// All over TLS 1.2 (stream); each side does its own work in one thread.
// usage: channel_bench [seconds per measurement, default 0.5]
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define M2MSEC_HAVE_CALLGRIND 1
#endif
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "m2msec/channel/channel.hpp"

using namespace m2msec;
using namespace std::chrono_literals;

namespace {

double seconds = 0.5;
std::string slurp(const std::string& name) {
  std::ifstream in(std::string(M2MSEC_SOURCE_DIR "/tests/channel/pki/") + name);
  if (!in) std::abort();
  return std::string(std::istreambuf_iterator<char>(in), {});
}
const std::string psk_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const char* sni = "in-cse.sp.example.com";

bool instructions = false;  // under callgrind: run each operation 20 times between client requests
std::string current;

// Runs f until `seconds` pass; returns operations per second.
double rate(const std::function<void()>& f) {
  f();  // warm
#ifdef M2MSEC_HAVE_CALLGRIND
  if (instructions) {
    CALLGRIND_ZERO_STATS;
    for (int i = 0; i < 20; ++i) f();
    CALLGRIND_DUMP_STATS_AT(current.c_str());
    return 1;
  }
#endif
  std::size_t n = 0;
  const auto start = std::chrono::steady_clock::now();
  auto now = start;
  do {
    f();
    ++n;
    now = std::chrono::steady_clock::now();
  } while (std::chrono::duration<double>(now - start).count() < seconds);
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

// ---------------------------------------------------------------- m2msec
using chan = tls::channel<manual_clock>;
struct m2m_world {
  manual_clock clk{std::chrono::system_clock::now()};
  symmetric_credential cred = *symmetric_credential::make(
      *hex_decode_secret(psk_hex), *credential_id::parse("12-ae1@issuer.example.com"), suid::preprovisioned_saef,
      *ae_id::parse("/in-cse/C0042"), *validity::make(clk.now() - 1h, clk.now() + 24h * 365));
  trust_anchors anchors;
  std::optional<certificate_credential> own;
  m2m_world() {
    if (!anchors.add(as_bytes(slurp("ca.pem")))) std::abort();
    own.emplace(*certificate_credential::verify(*certificate::parse(as_bytes(slurp("client.pem"))),
                                                 *expected_name::ae(*ae_id::parse("//sp.example.com/in-cse/C0042")),
                                                 anchors, clk.now()));
  }
};
template <class A, class B>
void pump(A& a, B& b) {
  for (int i = 0; i < 20 && (a.has_outgoing() || b.has_outgoing()); ++i) {
    a.drain_outgoing([&](bytes_view d) { (void)b.feed(d); });
    b.drain_outgoing([&](bytes_view d) { (void)a.feed(d); });
  }
}
struct m2m_pair {
  std::unique_ptr<chan> client, server;
};
// The client's key and association are made once (the key lives in locked pages of
// its own, about 12 us of system calls); each handshake runs under them.
sa::bound<secret>& client_psk(m2m_world& w) {
  static sa::bound<secret> psk =
      *sa::bound<secret>::create(*w.cred.key().clone(), {*ae_id::parse("/in-cse/C0042"), *cse_id::parse("/in-cse")},
                                 w.cred, requested_lifetime::session(24h), {}, w.clk);
  return psk;
}
security_association& client_sa(m2m_world& w) { return client_psk(w).association(); }
m2m_pair m2m_connect(m2m_world& w, bool certificate, bool ccm) {
  const tls::transport kind = tls::transport::stream;
  m2m_pair p{nullptr, nullptr};
  if (certificate) {
    p.server = std::move(*chan::certificate_server({kind, sni, ccm}, *cse_id::parse("/in-cse"),
                                                   {slurp("server.pem"), slurp("server.key")}, w.anchors,
                                                   *expected_name::ae(*ae_id::parse("//sp.example.com/in-cse/C0042")),
                                                   requested_lifetime::session(1h),
                                                   {}, w.clk));
    p.client = std::move(*chan::certificate_client({kind, sni, ccm}, {slurp("client.pem"), slurp("client.key")},
                                                   w.anchors, expected_name::cse(*fqdn::parse(sni)), client_sa(w), w.clk));
  } else {
    auto resolver = [&w](std::string_view, std::string_view) -> result<tls::psk_entry> {
      return tls::psk_entry{&w.cred, *ae_id::parse("/in-cse/C0042")};
    };
    p.server = std::move(*chan::psk_server({kind, sni, ccm}, *cse_id::parse("/in-cse"), resolver,
                                           requested_lifetime::session(1h), {}, w.clk));
    p.client = std::move(*chan::psk_client({kind, sni, ccm}, "ae1@issuer.example.com", client_psk(w), w.clk));
  }
  pump(*p.client, *p.server);
  if (!p.client->active() || !p.server->active()) std::abort();
  return p;
}

// ---------------------------------------------------------------- Botan directly
struct botan_side final : Botan::TLS::Callbacks, Botan::Credentials_Manager {
  std::vector<byte> out, in;
  Botan::SymmetricKey key{*hex_decode(psk_hex)};
  Botan::Certificate_Store_In_Memory store;
  std::vector<Botan::X509_Certificate> chain;
  std::unique_ptr<Botan::Private_Key> priv;
  bool certificate = false;
  void tls_emit_data(const uint8_t d[], size_t n) override { out.insert(out.end(), d, d + n); }
  void tls_record_received(uint64_t, const uint8_t d[], size_t n) override { in.insert(in.end(), d, d + n); }
  void tls_alert(Botan::TLS::Alert) override {}
  bool tls_session_established(const Botan::TLS::Session&) override { return false; }
  std::string psk_identity(const std::string&, const std::string&, const std::string&) override {
    return "ae1@issuer.example.com";
  }
  Botan::SymmetricKey psk(const std::string&, const std::string& ctx, const std::string&) override {
    if (ctx == "session-ticket") throw Botan::Exception("no tickets");
    return key;
  }
  std::vector<Botan::Certificate_Store*> trusted_certificate_authorities(const std::string&, const std::string&) override {
    if (!certificate) return {};
    return {&store};
  }
  std::vector<Botan::X509_Certificate> find_cert_chain(const std::vector<std::string>& types,
                                                       const std::vector<Botan::X509_DN>&, const std::string&,
                                                       const std::string&) override {
    for (auto& t : types)
      if (t == "ECDSA" && certificate) return chain;
    return {};
  }
  Botan::Private_Key* private_key_for(const Botan::X509_Certificate&, const std::string&, const std::string&) override {
    return priv.get();
  }
  void load(const std::string& stem) {
    certificate = true;
    store.add_certificate(Botan::X509_Certificate(std::vector<uint8_t>(*[] {
      Botan::DataSource_Memory s(slurp("ca.pem"));
      return std::make_unique<std::vector<uint8_t>>(Botan::X509_Certificate(s).BER_encode());
    }())));
    Botan::DataSource_Memory c(slurp(stem + ".pem"));
    chain.emplace_back(c);
    Botan::DataSource_Memory k(slurp(stem + ".key"));
    priv = Botan::PKCS8::load_key(k);
  }
};
struct botan_pair {
  botan_side cs, ss;
  Botan::TLS::Session_Manager_Noop sessions;
  tls::onem2m_policy policy;
  std::unique_ptr<Botan::TLS::Server> server;
  std::unique_ptr<Botan::TLS::Client> client;
  botan_pair(bool certificate, bool ccm)
      : policy(tls::transport::stream, certificate ? tls::authentication::certificate : tls::authentication::psk, ccm) {
    if (certificate) {
      cs.load("client");
      ss.load("server");
    }
    server = std::make_unique<Botan::TLS::Server>(ss, sessions, ss, policy, tls::system_rng::get(), false);
    client = std::make_unique<Botan::TLS::Client>(cs, sessions, cs, policy, tls::system_rng::get(),
                                                  Botan::TLS::Server_Information(sni),
                                                  Botan::TLS::Protocol_Version::TLS_V12);
    flow();
    if (!client->is_active() || !server->is_active()) std::abort();
  }
  void flow() {
    for (int i = 0; i < 20 && (!cs.out.empty() || !ss.out.empty()); ++i) {
      auto a = std::exchange(cs.out, {});
      if (!a.empty()) server->received_data(a.data(), a.size());
      auto b = std::exchange(ss.out, {});
      if (!b.empty()) client->received_data(b.data(), b.size());
    }
  }
};

// ---------------------------------------------------------------- OpenSSL
unsigned psk_client_cb(SSL*, const char*, char* identity, unsigned max_id, unsigned char* psk, unsigned max_psk) {
  std::snprintf(identity, max_id, "ae1@issuer.example.com");
  auto k = *hex_decode(psk_hex);
  if (k.size() > max_psk) return 0;
  std::copy(k.begin(), k.end(), psk);
  return static_cast<unsigned>(k.size());
}
unsigned psk_server_cb(SSL*, const char*, unsigned char* psk, unsigned max_psk) {
  auto k = *hex_decode(psk_hex);
  if (k.size() > max_psk) return 0;
  std::copy(k.begin(), k.end(), psk);
  return static_cast<unsigned>(k.size());
}
struct ossl_ctx {
  SSL_CTX *client, *server;
  ossl_ctx(const char* cipher, bool certificate) {
    client = SSL_CTX_new(TLS_client_method());
    server = SSL_CTX_new(TLS_server_method());
    for (SSL_CTX* c : {client, server}) {
      SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
      SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
      SSL_CTX_set_cipher_list(c, cipher);
      SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
      SSL_CTX_set1_groups_list(c, "P-256");
    }
    if (certificate) {
      const std::string dir = M2MSEC_SOURCE_DIR "/tests/channel/pki/";
      for (auto [c, stem] : {std::pair{client, "client"}, std::pair{server, "server"}}) {
        SSL_CTX_use_certificate_file(c, (dir + stem + ".pem").c_str(), SSL_FILETYPE_PEM);
        SSL_CTX_use_PrivateKey_file(c, (dir + stem + ".key").c_str(), SSL_FILETYPE_PEM);
        SSL_CTX_load_verify_locations(c, (dir + "ca.pem").c_str(), nullptr);
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      }
    } else {
      SSL_CTX_set_psk_client_callback(client, psk_client_cb);
      SSL_CTX_set_psk_server_callback(server, psk_server_cb);
    }
  }
  ~ossl_ctx() {
    SSL_CTX_free(client);
    SSL_CTX_free(server);
  }
};
struct ossl_pair {
  SSL *c, *s;
  explicit ossl_pair(ossl_ctx& ctx) {
    c = SSL_new(ctx.client);
    s = SSL_new(ctx.server);
    SSL_set_tlsext_host_name(c, sni);
    BIO *cb, *sb;
    BIO_new_bio_pair(&cb, 0, &sb, 0);
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    for (int i = 0; i < 20; ++i) {
      const int a = SSL_do_handshake(c);
      const int ea = a == 1 ? 0 : SSL_get_error(c, a);
      const int b = SSL_do_handshake(s);
      const int eb = b == 1 ? 0 : SSL_get_error(s, b);
      if (a == 1 && b == 1) return;
      if ((ea && ea != SSL_ERROR_WANT_READ) || (eb && eb != SSL_ERROR_WANT_READ)) {
        ERR_print_errors_fp(stderr);
        std::abort();
      }
    }
    std::abort();
  }
  ~ossl_pair() {
    SSL_free(c);
    SSL_free(s);
  }
};

struct row {
  std::string what;
  double m2m, botan, ossl;
  const char* unit;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--instructions") instructions = true;
  else if (argc > 1) seconds = std::atof(argv[1]);
  m2m_world w;
  std::vector<row> rows;
  struct suite_case {
    const char* name;
    std::uint16_t code;
    bool certificate;
    const char* ossl_cipher;
  };
  const suite_case suites[] = {
      {"PSK AES-128-CCM-8 (0xC0A8)", 0xC0A8, false, "PSK-AES128-CCM8"},
      {"PSK AES-128-CBC-SHA256 (0x00AE)", 0x00AE, false, "PSK-AES128-CBC-SHA256"},
      {"ECDHE-ECDSA P-256 mutual (0xC023)", 0xC023, true, "ECDHE-ECDSA-AES128-SHA256"},
  };
  for (const auto& s : suites) {
    ossl_ctx octx(s.ossl_cipher, s.certificate);
    const bool ccm = s.code == 0xC0A8;
    {  // the suite negotiated is the one named
      auto p = m2m_connect(w, s.certificate, ccm);
      if (p.client->suite() != s.code) std::abort();
    }
    current = std::string("m2msec/handshake ") + s.name;
    const double m = rate([&] { auto p = m2m_connect(w, s.certificate, ccm); });
    current = std::string("botan/handshake ") + s.name;
    const double b = rate([&] { botan_pair p(s.certificate, ccm); });
    current = std::string("openssl/handshake ") + s.name;
    const double o = rate([&] { ossl_pair p(octx); });
    rows.push_back({std::string("handshakes/s ") + s.name, m, b, o, "/s"});
    if (s.certificate) continue;
    for (std::size_t n : {64u, 1024u, 16384u}) {
      const byte_vector msg(n, 0x5a);
      auto mp = m2m_connect(w, false, ccm);
      const std::string rec = std::string(s.name) + " " + std::to_string(n) + " B";
      current = "m2msec/record " + rec;
      const double mr = rate([&] {
        if (!mp.client->send(msg)) std::abort();
        pump(*mp.client, *mp.server);
        if (mp.server->received().size() != n) std::abort();
        mp.server->consume_received();
      });
      botan_pair bp(false, ccm);
      current = "botan/record " + rec;
      const double br = rate([&] {
        bp.client->send(msg.data(), n);
        bp.flow();
        if (std::exchange(bp.ss.in, {}).size() != n) std::abort();
      });
      ossl_pair op(octx);
      std::vector<byte> buf(n);
      current = "openssl/record " + rec;
      const double orr = rate([&] {
        if (SSL_write(op.c, msg.data(), static_cast<int>(n)) != static_cast<int>(n)) std::abort();
        std::size_t got = 0;
        while (got < n) {
          const int r = SSL_read(op.s, buf.data() + got, static_cast<int>(n - got));
          if (r <= 0) std::abort();
          got += static_cast<std::size_t>(r);
        }
      });
      const double mb = static_cast<double>(n) / 1e6;
      rows.push_back({"MB/s " + std::string(s.name) + " " + std::to_string(n) + " B", mr * mb, br * mb, orr * mb, "MB/s"});
    }
  }
  if (instructions) return 0;
  for (const auto& r : rows)
    std::printf("%-48s m2msec %10.1f  Botan %10.1f  OpenSSL %10.1f  m2msec/Botan %.3f  m2msec/OpenSSL %.3f\n",
                r.what.c_str(), r.m2m, r.botan, r.ossl, r.m2m / r.botan, r.m2m / r.ossl);
  return 0;
}
