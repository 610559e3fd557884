// The operations the primitive benchmarks time: for each AEAD and MAC, the raw
// backend call and the m2msec call on the same bytes. Shared by the Google
// Benchmark program and the callgrind instruction counter.
#pragma once

#include <botan/aead.h>
#include <botan/mac.h>
#include <sodium.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <botan/ecdh.h>
#include <botan/ecdsa.h>
#include <botan/kdf.h>
#include <botan/pkcs8.h>
#include <botan/pubkey.h>
#include <botan/rfc3394.h>

#include "m2msec/backend/botan/jose.hpp"
#include "m2msec/crypto.hpp"

namespace bench {

using namespace m2msec;

// Keeps a result alive so the optimiser cannot drop the call that made it.
inline void benchmark_sink(const void* p) { __asm__ __volatile__("" : : "r"(p) : "memory"); }

// One message size, one algorithm: raw() and lib() each process `size` bytes once.
struct pair_case {
  std::string name;  // "AES-128-GCM seal [Botan 2]"
  std::size_t size;
  std::function<void()> raw, lib;
};

struct buffers {
  explicit buffers(std::size_t n) : in(n, 0x5a), out(n + 64), ad(13, 0x11), key(64, 0x42), nonce(24, 0x24) {}
  byte_vector in, out, ad, key, nonce, sealed;
  Botan::secure_vector<byte> botan_buf;
  unsigned long long len = 0;
};

// Botan's AEAD_Mode the way its documentation uses it (the raw call).
inline std::function<void()> botan_raw_seal(std::shared_ptr<buffers> b, const std::string& mode, std::size_t key_size,
                                            std::size_t nonce_size) {
  std::shared_ptr<Botan::AEAD_Mode> enc = Botan::AEAD_Mode::create_or_throw(mode, Botan::ENCRYPTION);
  enc->set_key(b->key.data(), key_size);
  return [b, enc, nonce_size] {
    b->botan_buf.assign(b->in.begin(), b->in.end());
    enc->set_associated_data(b->ad.data(), b->ad.size());
    enc->start(b->nonce.data(), nonce_size);
    enc->finish(b->botan_buf);
  };
}

inline std::function<void()> botan_raw_open(std::shared_ptr<buffers> b, const std::string& mode, std::size_t key_size,
                                            std::size_t nonce_size) {
  std::shared_ptr<Botan::AEAD_Mode> dec = Botan::AEAD_Mode::create_or_throw(mode, Botan::DECRYPTION);
  dec->set_key(b->key.data(), key_size);
  return [b, dec, nonce_size] {
    b->botan_buf.assign(b->sealed.begin(), b->sealed.end());
    dec->set_associated_data(b->ad.data(), b->ad.size());
    dec->start(b->nonce.data(), nonce_size);
    dec->finish(b->botan_buf);
  };
}

// The library's open, on a message its seal made (kept in b->sealed for the raw call too).
template <class P>
std::function<void()> lib_open(std::shared_ptr<buffers> b) {
  auto p = std::make_shared<P>(*P::create(bytes_view(b->key).first(P::key_size)));
  b->sealed.resize(P::sealed_size(b->in.size()));
  if (!p->seal(b->sealed, bytes_view(b->nonce).first(P::nonce_size), b->ad, b->in))
    throw std::runtime_error("seal failed");
  return [b, p] {
    if (!p->open(b->out, bytes_view(b->nonce).first(P::nonce_size), b->ad, b->sealed)) std::abort();
  };
}

template <class P>
std::function<void()> lib_seal(std::shared_ptr<buffers> b) {
  auto p = std::make_shared<P>(*P::create(bytes_view(b->key).first(P::key_size)));
  return [b, p] {
    (void)p->seal(b->out, bytes_view(b->nonce).first(P::nonce_size), b->ad, b->in);
  };
}

template <class P>
std::function<void()> lib_mac(std::shared_ptr<buffers> b) {
  auto p = std::make_shared<P>(*P::create(bytes_view(b->key).first(32)));
  return [b, p] { (void)p->compute(b->in, b->out); };
}

inline std::vector<pair_case> cases(std::size_t n) {
  using namespace m2msec::crypto;
  using m2msec::backend::botan;
  using m2msec::backend::sodium;
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  std::vector<pair_case> v;
  auto add = [&](std::string name, auto raw, auto lib) { v.push_back({std::move(name), n, raw, lib}); };
  auto fresh = [&] { return std::make_shared<buffers>(n); };

  {
    auto b = fresh();
    add("ChaCha20-Poly1305 seal [libsodium]", [b] {
          crypto_aead_chacha20poly1305_ietf_encrypt(b->out.data(), &b->len, b->in.data(), b->in.size(), b->ad.data(),
                                                    b->ad.size(), nullptr, b->nonce.data(), b->key.data());
        }, lib_seal<aead<chacha20_poly1305, sodium>>(b));
  }
  {
    auto b = fresh();
    add("XChaCha20-Poly1305 seal [libsodium]", [b] {
          crypto_aead_xchacha20poly1305_ietf_encrypt(b->out.data(), &b->len, b->in.data(), b->in.size(), b->ad.data(),
                                                     b->ad.size(), nullptr, b->nonce.data(), b->key.data());
        }, lib_seal<aead<xchacha20_poly1305, sodium>>(b));
  }
  if (crypto_aead_aes256gcm_is_available()) {
    auto b = fresh();
    auto st = std::shared_ptr<crypto_aead_aes256gcm_state>(
        static_cast<crypto_aead_aes256gcm_state*>(sodium_malloc(sizeof(crypto_aead_aes256gcm_state))), sodium_free);
    crypto_aead_aes256gcm_beforenm(st.get(), b->key.data());
    add("AES-256-GCM seal [libsodium]", [b, st] {
          crypto_aead_aes256gcm_encrypt_afternm(b->out.data(), &b->len, b->in.data(), b->in.size(), b->ad.data(),
                                                b->ad.size(), nullptr, b->nonce.data(), st.get());
        }, lib_seal<aead<aes256_gcm, sodium>>(b));
  }
  {
    auto b = fresh();
    add("AES-128-GCM seal [Botan 2]", botan_raw_seal(b, "AES-128/GCM", 16, 12), lib_seal<aead<aes128_gcm, botan>>(b));
  }
  {
    auto b = fresh();
    add("AES-256-GCM seal [Botan 2]", botan_raw_seal(b, "AES-256/GCM", 32, 12), lib_seal<aead<aes256_gcm, botan>>(b));
  }
  {
    auto b = fresh();
    add("AES-128-CCM-8 seal [Botan 2]", botan_raw_seal(b, "AES-128/CCM(8,3)", 16, 12),
        lib_seal<aead<aes128_ccm8, botan>>(b));
  }
  {
    auto b = fresh();
    add("ChaCha20-Poly1305 seal [Botan 2]", botan_raw_seal(b, "ChaCha20Poly1305", 32, 12),
        lib_seal<aead<chacha20_poly1305, botan>>(b));
  }
  {
    auto b = fresh();
    add("XChaCha20-Poly1305 seal [Botan 2]", botan_raw_seal(b, "ChaCha20Poly1305", 32, 24),
        lib_seal<aead<xchacha20_poly1305, botan>>(b));
  }
  {
    auto b = fresh();
    auto lib = lib_open<aead<chacha20_poly1305, sodium>>(b);
    add("ChaCha20-Poly1305 open [libsodium]", [b] {
          if (crypto_aead_chacha20poly1305_ietf_decrypt(b->out.data(), &b->len, nullptr, b->sealed.data(),
                                                        b->sealed.size(), b->ad.data(), b->ad.size(), b->nonce.data(),
                                                        b->key.data()) != 0)
            std::abort();
        }, lib);
  }
  {
    auto b = fresh();
    auto lib = lib_open<aead<xchacha20_poly1305, sodium>>(b);
    add("XChaCha20-Poly1305 open [libsodium]", [b] {
          if (crypto_aead_xchacha20poly1305_ietf_decrypt(b->out.data(), &b->len, nullptr, b->sealed.data(),
                                                         b->sealed.size(), b->ad.data(), b->ad.size(), b->nonce.data(),
                                                         b->key.data()) != 0)
            std::abort();
        }, lib);
  }
  if (crypto_aead_aes256gcm_is_available()) {
    auto b = fresh();
    auto lib = lib_open<aead<aes256_gcm, sodium>>(b);
    auto st = std::shared_ptr<crypto_aead_aes256gcm_state>(
        static_cast<crypto_aead_aes256gcm_state*>(sodium_malloc(sizeof(crypto_aead_aes256gcm_state))), sodium_free);
    crypto_aead_aes256gcm_beforenm(st.get(), b->key.data());
    add("AES-256-GCM open [libsodium]", [b, st] {
          if (crypto_aead_aes256gcm_decrypt_afternm(b->out.data(), &b->len, nullptr, b->sealed.data(), b->sealed.size(),
                                                    b->ad.data(), b->ad.size(), b->nonce.data(), st.get()) != 0)
            std::abort();
        }, lib);
  }
  {
    auto b = fresh();
    auto lib = lib_open<aead<aes128_gcm, botan>>(b);
    add("AES-128-GCM open [Botan 2]", botan_raw_open(b, "AES-128/GCM", 16, 12), lib);
  }
  {
    auto b = fresh();
    auto lib = lib_open<aead<aes256_gcm, botan>>(b);
    add("AES-256-GCM open [Botan 2]", botan_raw_open(b, "AES-256/GCM", 32, 12), lib);
  }
  {
    auto b = fresh();
    auto lib = lib_open<aead<aes128_ccm8, botan>>(b);
    add("AES-128-CCM-8 open [Botan 2]", botan_raw_open(b, "AES-128/CCM(8,3)", 16, 12), lib);
  }
  {
    auto b = fresh();
    auto lib = lib_open<aead<chacha20_poly1305, botan>>(b);
    add("ChaCha20-Poly1305 open [Botan 2]", botan_raw_open(b, "ChaCha20Poly1305", 32, 12), lib);
  }
  {
    auto b = fresh();
    auto lib = lib_open<aead<xchacha20_poly1305, botan>>(b);
    add("XChaCha20-Poly1305 open [Botan 2]", botan_raw_open(b, "ChaCha20Poly1305", 32, 24), lib);
  }
  {
    auto b = fresh();
    add("HMAC-SHA-256 [libsodium]",
        [b] { crypto_auth_hmacsha256(b->out.data(), b->in.data(), b->in.size(), b->key.data()); },
        lib_mac<mac<hmac_sha256, sodium>>(b));
  }
  {
    auto b = fresh();
    add("HMAC-SHA-512 [libsodium]",
        [b] { crypto_auth_hmacsha512(b->out.data(), b->in.data(), b->in.size(), b->key.data()); },
        lib_mac<mac<hmac_sha512, sodium>>(b));
  }
  for (std::string h : {"SHA-256", "SHA-384", "SHA-512"}) {
    auto b = fresh();
    std::shared_ptr<Botan::MessageAuthenticationCode> m = Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + h + ")");
    m->set_key(b->key.data(), 32);
    std::function<void()> lib = h == "SHA-256"   ? lib_mac<mac<hmac_sha256, botan>>(b)
                                : h == "SHA-384" ? lib_mac<mac<hmac_sha384, botan>>(b)
                                                 : lib_mac<mac<hmac_sha512, botan>>(b);
    add("HMAC-" + h + " [Botan 2]", [b, m] {
          m->update(b->in.data(), b->in.size());
          m->final(b->out.data());
        }, lib);
  }
  return v;
}

// The other crypto paths, once each (their cost does not depend on a message size):
// key derivation, key wrap, key agreement, signatures and RSA-OAEP.
inline std::vector<pair_case> key_cases() {
  using namespace m2msec::crypto;
  using m2msec::backend::botan;
  using m2msec::backend::sodium;
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  auto& rng = Botan::system_rng();
  std::vector<pair_case> v;
  auto add = [&](std::string name, std::function<void()> raw, std::function<void()> lib) {
    v.push_back({std::move(name), 0, std::move(raw), std::move(lib)});
  };
  auto b = std::make_shared<buffers>(64);

  {
    std::shared_ptr<Botan::KDF> raw_kdf = Botan::KDF::create_or_throw("HKDF(SHA-256)");
    add("HKDF-SHA-256 derive 32 B [Botan 2]", [b, raw_kdf] {
          auto k = raw_kdf->derive_key(32, b->key.data(), 32, b->nonce.data(), 16, b->ad.data(), b->ad.size());
          benchmark_sink(k.data());
        }, [b] {
          (void)kdf<hkdf_sha256, botan>::derive(bytes_view(b->nonce).first(16), bytes_view(b->key).first(32), b->ad,
                                                 mutable_bytes(b->out).first(32));
        });
  }
  {
    // JOSE's ECDH-ES Concat KDF (RFC 7518 §4.6.2) over a P-256 Z: Botan's
    // SP800-56A(SHA-256) made and run once per derivation, as m2msec does.
    add("Concat KDF SHA-256 32 B [Botan 2]", [b] {
          const auto kdf = Botan::KDF::create_or_throw("SP800-56A(SHA-256)");
          kdf->kdf(b->out.data(), 32, b->key.data(), 32, nullptr, 0, b->ad.data(), b->ad.size());
          benchmark_sink(b->out.data());
        }, [b] {
          (void)m2msec::backend::botan_jose::concat_kdf_sha256(bytes_view(b->key).first(32), b->ad,
                                                              mutable_bytes(b->out).first(32));
        });
  }
  {
    auto w = std::make_shared<keywrap<aes128_kw, botan>>(*keywrap<aes128_kw, botan>::create(bytes_view(b->key).first(16)));
    add("AES-128-KW wrap 32 B [Botan 2]", [b] {
          auto r = Botan::rfc3394_keywrap(Botan::secure_vector<byte>(b->in.begin(), b->in.begin() + 32),
                                          Botan::SymmetricKey(b->key.data(), 16));
          benchmark_sink(r.data());
        }, [b, w] { (void)w->wrap(b->out, bytes_view(b->in).first(32)); });
  }
  {
    auto a = std::make_shared<keypair>(*key_agreement<x25519, sodium>::generate());
    auto peer = std::make_shared<keypair>(*key_agreement<x25519, sodium>::generate());
    add("X25519 agree [libsodium]", [b, a, peer] {
          if (crypto_scalarmult(b->out.data(), a->private_key.expose().data(), peer->public_key.data()) != 0) std::abort();
        }, [b, a, peer] { (void)key_agreement<x25519, sodium>::agree(a->private_key.expose(), peer->public_key, b->out); });
  }
  {
    auto a = std::make_shared<keypair>(*key_agreement<ecdh_p256, botan>::generate());
    auto peer = std::make_shared<keypair>(*key_agreement<ecdh_p256, botan>::generate());
    auto key = std::make_shared<Botan::ECDH_PrivateKey>(
        rng, Botan::EC_Group("secp256r1"), Botan::BigInt(a->private_key.expose().data(), 32));
    auto ka = std::make_shared<Botan::PK_Key_Agreement>(*key, rng, "Raw");
    add("ECDH P-256 agree [Botan 2]", [ka, peer, key] {
          auto k = ka->derive_key(32, peer->public_key.data(), peer->public_key.size());
          benchmark_sink(k.begin());
        }, [b, a, peer] { (void)key_agreement<ecdh_p256, botan>::agree(a->private_key.expose(), peer->public_key, b->out); });
  }
  {
    using S = signature<ed25519, sodium>;
    auto k = std::make_shared<keypair>(*S::generate());
    auto sk = std::make_shared<byte_vector>(64);
    byte pk[32];
    crypto_sign_seed_keypair(pk, sk->data(), k->private_key.expose().data());
    auto signer = std::make_shared<S::signer>(*S::signer::create(k->private_key.expose()));
    auto verifier = std::make_shared<S::verifier>(*S::verifier::create(k->public_key));
    add("Ed25519 sign 64 B [libsodium]", [b, sk] { crypto_sign_detached(b->out.data(), nullptr, b->in.data(), 64, sk->data()); },
        [b, signer] { (void)signer->sign(b->in, b->out); });
    auto sig = std::make_shared<byte_vector>(64);
    (void)signer->sign(b->in, *sig);
    add("Ed25519 verify 64 B [libsodium]", [b, k, sig] {
          if (crypto_sign_verify_detached(sig->data(), b->in.data(), 64, k->public_key.data()) != 0) std::abort();
        }, [b, verifier, sig] { if (!verifier->verify(b->in, *sig)) std::abort(); });
  }
  {
    using S = signature<ecdsa_p256_sha256, botan>;
    auto k = std::make_shared<keypair>(*S::generate());
    auto key = std::make_shared<Botan::ECDSA_PrivateKey>(rng, Botan::EC_Group("secp256r1"),
                                                         Botan::BigInt(k->private_key.expose().data(), 32));
    auto raw_signer = std::make_shared<Botan::PK_Signer>(*key, rng, "EMSA1(SHA-256)");
    auto raw_verifier = std::make_shared<Botan::PK_Verifier>(*key, "EMSA1(SHA-256)");
    auto signer = std::make_shared<S::signer>(*S::signer::create(k->private_key.expose()));
    auto verifier = std::make_shared<S::verifier>(*S::verifier::create(k->public_key));
    add("ECDSA P-256 sign 64 B [Botan 2]", [b, raw_signer, key] {
          auto s = raw_signer->sign_message(b->in.data(), 64, Botan::system_rng());
          benchmark_sink(s.data());
        }, [b, signer] { (void)signer->sign(b->in, b->out); });
    auto sig = std::make_shared<byte_vector>(64);
    (void)signer->sign(b->in, *sig);
    add("ECDSA P-256 verify 64 B [Botan 2]", [b, raw_verifier, sig] {
          if (!raw_verifier->verify_message(b->in.data(), 64, sig->data(), sig->size())) std::abort();
        }, [b, verifier, sig] { if (!verifier->verify(b->in, *sig)) std::abort(); });
  }
  {
    using S = signature<rsa_pkcs1_sha256, botan>;
    auto k = std::make_shared<keypair>(*S::generate());
    Botan::DataSource_Memory src(k->private_key.expose().data(), k->private_key.size());
    std::shared_ptr<Botan::Private_Key> key = Botan::PKCS8::load_key(src);
    std::shared_ptr<Botan::Public_Key> pub(Botan::X509::load_key(k->public_key));
    auto raw_verifier = std::make_shared<Botan::PK_Verifier>(*pub, "EMSA3(SHA-256)");
    auto verifier = std::make_shared<S::verifier>(*S::verifier::create(k->public_key));
    auto signer = std::make_shared<S::signer>(*S::signer::create(k->private_key.expose()));
    auto sig = std::make_shared<byte_vector>(256);
    (void)signer->sign(b->in, *sig);
    add("RSA-2048 PKCS#1 verify 64 B [Botan 2]", [b, raw_verifier, sig, pub] {
          if (!raw_verifier->verify_message(b->in.data(), 64, sig->data(), sig->size())) std::abort();
        }, [b, verifier, sig] { if (!verifier->verify(b->in, *sig)) std::abort(); });
    using E = key_encryption<rsa_oaep_sha256, botan>;
    auto ct = std::make_shared<byte_vector>(256);
    (void)E::encrypt(k->public_key, {}, bytes_view(b->in).first(32), *ct);
    auto raw_dec = std::make_shared<Botan::PK_Decryptor_EME>(*key, rng, "OAEP(SHA-256,MGF1(SHA-256))");
    add("RSA-2048 OAEP-256 decrypt 32 B [Botan 2]", [raw_dec, ct, key] {
          auto p = raw_dec->decrypt(ct->data(), ct->size());
          benchmark_sink(p.data());
        }, [b, ct, dec = std::make_shared<E::decryptor>(*E::decryptor::create(k->private_key.expose()))] {
          if (!dec->decrypt(*ct, b->out)) std::abort();
        });
  }
  return v;
}

}  // namespace bench
