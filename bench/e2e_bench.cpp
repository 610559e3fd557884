// End-to-end security beside the raw backend call on the same bytes:
//   ESPrim protect + unprotect of a 300-byte JSON request primitive (JWE compact,
//     dir, A256GCM) vs AES-256-GCM seal + open of 300 bytes;
//   ESData protect + unprotect (JWE compact, dir, A256GCM) at 1 KiB and 1 MiB vs
//     AES-256-GCM seal + open;
//   JWS HS256 sign + verify of 300 bytes vs HMAC-SHA-256 compute + verify.
// Each pair prints the ratio m2msec/raw, the time per round trip, and for ESData
// the throughput with both directions counted (2 x size / round-trip time),
// the measure bench/jose_peers.py and bench/jose_peers.mjs print for the peers.
// Usage: e2e_bench [min seconds per case, default 0.5]
//        e2e_bench --instructions   (under callgrind: one warm call of each, see bench/callgrind.sh build e2e)
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <botan/mac.h>
#include <sodium.h>
#include <valgrind/callgrind.h>

#include "m2msec/e2e.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "e2e_bench: %s\n", what);
  std::exit(1);
}

bool instructions = false;  // --instructions: one warm call per case, counted by callgrind

// Median of 5 runs of the ns per call of f, each run at least `seconds` long.
// With --instructions, one warm call between callgrind dumps named `label`.
double time_ns(const std::function<void()>& f, double seconds, const std::string& label = "") {
  if (instructions) {
    for (int i = 0; i < 4; ++i) f();
    CALLGRIND_ZERO_STATS;
    f();
    CALLGRIND_DUMP_STATS_AT(label.c_str());
    return 1;
  }
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    std::size_t n = 0;
    const auto start = clk::now();
    auto now = start;
    do {
      for (int i = 0; i < 16; ++i) f();
      n += 16;
      now = clk::now();
    } while (std::chrono::duration<double>(now - start).count() < seconds / 5);
    runs.push_back(std::chrono::duration<double, std::nano>(now - start).count() / static_cast<double>(n));
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

std::string json_request(std::size_t size) {
  std::string s = R"({"op":1,"to":"/in-cse/meter-7/readings","fr":"Cae-meter-7","rqi":"r-000001","rvi":"4","ty":4,"pc":{"m2m:cin":{"cnf":"application/json:0","con":")";
  const std::string tail = R"("}}})";
  s.append(size - s.size() - tail.size(), 'x');
  return s + tail;
}

struct row {
  std::string name;
  std::size_t size;
  double raw_ns, lib_ns;
};

}  // namespace

int main(int argc, char** argv) {
  instructions = argc > 1 && std::string(argv[1]) == "--instructions";
  const double seconds = argc > 1 && !instructions ? std::atof(argv[1]) : 0.5;
  using gcm = crypto::aead<crypto::aes256_gcm, backend::sodium>;
  if (!gcm::available()) die("no AES-NI: libsodium's AES-256-GCM is unavailable");
  std::vector<row> rows;

  // ---- raw: libsodium's one-shot AES-256-GCM seal + open, random nonce, as a JWE needs --------------
  auto key = secret::allocate(32);
  if (!key || !crypto::rng<>::fill(key->expose())) die("key");
  auto raw_gcm = [&](std::size_t n) {
    return [&, n, pt = byte_vector(n, 0x61), sealed = byte_vector(n + 16), out = byte_vector(n + 16)]() mutable {
      std::array<byte, 12> iv{};
      (void)crypto::rng<>::fill(iv);
      unsigned long long n1 = 0, n2 = 0;
      if (crypto_aead_aes256gcm_encrypt(sealed.data(), &n1, pt.data(), pt.size(), nullptr, 0, nullptr, iv.data(),
                                        key->expose().data()) != 0 ||
          crypto_aead_aes256gcm_decrypt(out.data(), &n2, nullptr, sealed.data(), n1, nullptr, 0, iv.data(),
                                        key->expose().data()) != 0)
        die("raw gcm");
    };
  };

  // ---- ESPrim -----------------------------------------------------------------------------------
  {
    manual_clock clock(std::chrono::sys_days(std::chrono::year{2026} / 11 / 28) + 9h);
    const auto life = *validity::make(clock.now() - 1h, clock.now() + 24h);
    const auto id = *credential_id::make(credential_id_type::pairwise_esprim_key_id, "bench@maf.example.com");
    auto k2 = key->clone();
    esprim::receiver_options opt;
    opt.replay_entries = std::size_t{1} << 22;
    opt.replay_entries_per_key = opt.replay_entries;  // one key sends every request here
    esprim::receiver rx(*cse_id::parse("/in-cse"), opt);
    if (!rx.add_pairwise_key({*symmetric_credential::make(std::move(*k2), id, suid::maf_esprim, *cse_id::parse("/in-cse"), life),
                              "Cae-meter-7"}))
      die("pairwise");
    auto ro = rx.issue_rand_object(12h, true, clock);
    auto k3 = key->clone();
    esprim::pairwise_key pk{*symmetric_credential::make(std::move(*k3), id, suid::maf_esprim,
                                                        *ae_id::parse("/mn-cse/Cae-meter-7"), life),
                            "Cae-meter-7"};
    auto orig = esprim::originator::start(pk, *ae_id::parse("/mn-cse/Cae-meter-7"), *ro, jose::enc::a256gcm, 11h, clock);
    if (!orig) die("originator");
    std::string req = json_request(300);
    // One exchange first: later requests no longer carry the originator object.
    auto first = orig->protect_request(as_bytes(req), clock);
    auto got = rx.unprotect(*first, clock);
    if (!got) die("first unprotect");
    auto resp = rx.protect_response(*got, as_bytes(std::string(R"({"rsc":2000,"rqi":"r-000001"})")), clock);
    if (!resp || !orig->unprotect_response(*resp, clock)) die("first response");
    // Each request its own rqi (an Originator refuses one still waiting): its
    // six digits counted in place; the oldest unanswered are forgotten.
    const std::size_t digits = req.find("r-000001") + 2;
    std::uint32_t next = 1;
    auto lib = [&] {
      next = next % 999999 + 1;
      for (std::uint32_t v = next, i = 6; i-- > 0; v /= 10) req[digits + i] = static_cast<char>('0' + v % 10);
      auto jwe = orig->protect_request(as_bytes(req), clock);
      if (!jwe) die("protect");
      auto r = rx.unprotect(*jwe, clock);
      if (!r || r->primitive.size() != 300) die("unprotect");
    };
    rows.push_back({"ESPrim protect+unprotect (JWE dir A256GCM)", 300, time_ns(raw_gcm(300), seconds, "raw/esprim/300"),
                    time_ns(lib, seconds, "lib/esprim/300")});
  }

  // ---- ESData -----------------------------------------------------------------------------------
  {
    manual_clock clock(std::chrono::sys_days(std::chrono::year{2026} / 11 / 28) + 9h);
    struct cred_t {
      credential_id id_ = *credential_id::make(credential_id_type::esdata_direct_key, "data@tef.example.com");
      validity life_;
      const credential_id& id() const { return id_; }
      const validity& lifetime() const { return life_; }
      suid usage() const { return suid::preprovisioned_esdata_encryption; }
    } cred{.life_ = *validity::make(clock.now() - 1h, clock.now() + 24h)};
    auto k = key->clone();
    auto dk = jose::jwk::symmetric(std::move(*k), {jose::alg::dir}, "data");
    auto bk = esdata::bind(std::move(*dk), cred, {*cse_id::parse("/in-cse"), cred.id()},
                           *validity::make(clock.now(), clock.now() + 12h), clock);
    if (!bk) die("bound key");
    esdata::bound_key* keys[] = {&*bk};
    const esdata::protection how{{{&*bk, jose::alg::dir}}, jose::enc::a256gcm, nullptr, jose::alg::es256,
                                 esdata::content_security::jose_compact};
    for (std::size_t n : {std::size_t{1024}, std::size_t{1} << 20}) {
      const byte_vector data(n, 0x62);
      auto lib = [&] {
        auto s = esdata::protect(data, "application/octet-stream", how, clock);
        if (!s) die("esdata protect");
        auto o = esdata::unprotect(s->value, s->content_info, {keys}, clock);
        if (!o || o->data.size() != n) die("esdata unprotect");
      };
      const std::string id = "esdata/" + std::to_string(n);
      rows.push_back({"ESData protect+unprotect (JWE dir A256GCM)", n, time_ns(raw_gcm(n), seconds, "raw/" + id),
                      time_ns(lib, seconds, "lib/" + id)});
    }
  }

  // ---- JWS HS256 ----------------------------------------------------------------------------------
  {
    auto k = key->clone();
    auto hk = jose::jwk::symmetric(std::move(*k), {jose::alg::hs256}, "hs");
    const std::string payload = json_request(300);
    const jose::jwk* keys[] = {&*hk};
    auto lib = [&] {
      auto s = jose::sign(as_bytes(payload), *hk, jose::alg::hs256);
      if (!s) die("sign");
      auto p = jose::parse_jws(*s);
      if (!p || !jose::verify(std::move(*p), keys)) die("verify");
    };
    // raw: Botan's HMAC(SHA-256) (SHA-NI), keyed once, computed twice (sign, verify).
    auto botan_mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    botan_mac->set_key(hk->private_part().expose().data(), 32);
    auto raw = [&, tag = std::array<byte, 32>{}, again = std::array<byte, 32>{}]() mutable {
      botan_mac->update(reinterpret_cast<const byte*>(payload.data()), payload.size());
      botan_mac->final(tag.data());
      botan_mac->update(reinterpret_cast<const byte*>(payload.data()), payload.size());
      botan_mac->final(again.data());
      if (!ct::equal(tag, again)) die("hmac");
    };
    rows.push_back({"JWS HS256 sign+verify", 300, time_ns(raw, seconds, "raw/hs256/300"),
                    time_ns(lib, seconds, "lib/hs256/300")});
  }

  if (instructions) return 0;
  std::printf("\n%-46s %9s %12s %12s %7s %12s\n", "m2msec vs raw backend (median of 5)", "bytes", "raw us", "m2msec us",
              "ratio", "MB/s both");
  for (const auto& r : rows)
    std::printf("%-46s %9zu %12.2f %12.2f %7.2f %12.0f\n", r.name.c_str(), r.size, r.raw_ns / 1e3, r.lib_ns / 1e3,
                r.lib_ns / r.raw_ns, 2.0 * static_cast<double>(r.size) / r.lib_ns * 1e3);
  std::printf("\ntargets: ESPrim <= 5 us: %.2f us; HS256 <= 3 us: %.2f us; ESData 1 MiB >= 1000 MB/s: %.0f MB/s\n",
              rows[0].lib_ns / 1e3, rows[3].lib_ns / 1e3, 2.0 * static_cast<double>(rows[2].size) / rows[2].lib_ns * 1e3);
  return 0;
}
