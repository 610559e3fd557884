// The TS-0003 §10.3 derivations beside the raw HMAC calls they are built on
// (libsodium's HMAC-SHA-256 with the same inputs), and the security
// association's per-use check.
#pragma once

#include "m2msec/kdf/ke2e.hpp"
#include "m2msec/sa/security_association.hpp"
#include "primitive_ops.hpp"

namespace bench {

// HMAC-SHA-256 over parts with libsodium's own calls, the baseline.
inline void raw_hmac256(bytes_view key, std::initializer_list<bytes_view> parts, byte* out) {
  crypto_auth_hmacsha256_state s;
  crypto_auth_hmacsha256_init(&s, key.data(), key.size());
  for (bytes_view p : parts) crypto_auth_hmacsha256_update(&s, p.data(), p.size());
  crypto_auth_hmacsha256_final(&s, out);
}

inline std::vector<pair_case> key_schedule_cases() {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  std::vector<pair_case> v;
  auto add = [&](std::string name, std::function<void()> raw, std::function<void()> lib) {
    v.push_back({std::move(name), 0, std::move(raw), std::move(lib)});
  };
  auto b = std::make_shared<buffers>(64);
  const bytes_view ke = bytes_view(b->key).first(32);
  auto text = [](std::string_view s) { return as_bytes(s); };

  add("Km derive [TS-0003 10.3.2]", [b, ke, text] {
        raw_hmac256(ke, {text(kdf_label::km), text("maf.example.com")}, b->out.data());
      }, [b, ke] { (void)derive_km(ke, "maf.example.com", mutable_bytes(b->out).first(32)); });
  add("Kpsa derive [TS-0003 10.3.3]", [b, ke, text] {
        raw_hmac256(ke, {text(kdf_label::kpsa), text("//sp.example.com/CSE123")}, b->out.data());
      }, [b, ke] { (void)derive_kpsa(ke, "//sp.example.com/CSE123", mutable_bytes(b->out).first(32)); });
  add("usage-constrained derive [10.3.7]", [b, ke, text] {
        raw_hmac256(ke, {text(kdf_label::usage_constrained), text("22"), text("cse123.in-cse.sp.example.com")},
                    b->out.data());
      }, [b, ke] {
        (void)derive_usage_constrained(ke, suid::rspf_saef, "cse123.in-cse.sp.example.com",
                                       mutable_bytes(b->out).first(32));
      });
  add("Ke2e chain SHA-256 [10.3.6]", [b, ke, text] {
        byte* o = b->out.data();
        raw_hmac256(bytes_view(b->nonce).first(16), {ke}, o);
        const std::string_view labels[] = {kdf_label::e2e_msg_auth, kdf_label::e2e_msg_conf, kdf_label::e2e_att_auth,
                                           kdf_label::e2e_att_conf};
        static byte tail[160];
        for (int i = 1; i <= 4; ++i) {
          const byte c = static_cast<byte>(i);
          raw_hmac256({o, 32}, {i == 1 ? bytes_view() : bytes_view(tail + 32 * (i - 2), 32), text(labels[i - 1]), {&c, 1}},
                      tail + 32 * (i - 1));
        }
        benchmark_sink(tail);
      }, [b, ke] {
        static byte out[ke2e_chain<>::output_size];
        (void)ke2e_chain<crypto::sha256, backend::sodium>::derive(bytes_view(b->nonce).first(16), ke, out);
        benchmark_sink(out);
      });
  auto recv = std::make_shared<esprim_rand_object>(
      esprim_rand_object{"recvRand01", {1, 2, 3}, time_point(std::chrono::seconds(1798761600)), {1}, {10, 11, 12}});
  auto orig = std::make_shared<esprim_rand_object>(
      esprim_rand_object{"origRandA", {4, 5, 6}, time_point(std::chrono::seconds(1798758000)), {1}, {12}});
  // The raw side hashes the same bytes, already encoded: the encoding is m2msec's cost.
  auto enc = std::make_shared<std::pair<byte_vector, byte_vector>>(*encode_rand_object(*recv), *encode_rand_object(*orig));
  add("sessionESPrimKey derive [10.3.8]", [b, ke, enc, text] {
        raw_hmac256(ke, {enc->first, enc->second, text(kdf_label::session_esprim)}, b->out.data());
      }, [b, ke, recv, orig] { (void)derive_session_esprim_key(ke, *recv, *orig, mutable_bytes(b->out).first(32)); });
  add("Km derive into a secret", [b, ke, text] {
        raw_hmac256(ke, {text(kdf_label::km), text("maf.example.com")}, b->out.data());
      }, [ke] {
        static const secret k = *secret::copy_of(ke);
        static const fqdn maf = *fqdn::parse("maf.example.com");
        auto s = derive_km(k, maf);
        benchmark_sink(&s);
      });
  return v;
}

// The per-operation check of a security association, beside reading the clock alone.
inline pair_case sa_check_case() {
  using namespace std::chrono_literals;
  struct cred {
    credential_id cid = *credential_id::parse("12-k@issuer.example.com");
    validity life = *validity::make(time_point{}, time_point::max() - 1h);
    const credential_id& id() const { return cid; }
    const validity& lifetime() const { return life; }
    suid usage() const { return suid::preprovisioned_saef; }
  };
  auto sa = std::make_shared<security_association>(*security_association::create(
      {*cse_id::parse("/a"), *cse_id::parse("/b")}, cred{}, requested_lifetime::session(24h * 365 * 100),
      with_aead_limit<crypto::aes_gcm<128>>({.soft_bytes = std::uint64_t{1} << 62, .hard_bytes = std::uint64_t{1} << 62,
                                              .soft_before_end = 1h}),
      system_clock{}));
  return {"SA use() check [system clock]", 0, [] { auto t = system_clock{}.now(); benchmark_sink(&t); },
          [sa] {
            auto r = sa->use(system_clock{}, 64);
            benchmark_sink(&r);
          }};
}

}  // namespace bench
