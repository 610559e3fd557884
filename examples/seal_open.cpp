// m2msec example: seal and open one message with every AEAD on each backend
// that has it, then show what a tampered message gives.
#include <cstdio>
#include <string>
#include <string_view>

#include "m2msec/m2msec.hpp"

namespace {

using namespace m2msec;
using namespace m2msec::crypto;

template <class P>
bool demo(std::string_view algorithm, std::string_view backend) {
  // A fresh key and nonce. In m2msec proper, keys come from a security
  // association and nonces from its record counter; this is the primitive layer.
  auto key = secret::allocate(P::key_size);
  byte nonce[P::nonce_size];
  if (!key || !rng<>::fill(key->expose()) || !rng<>::fill(nonce)) return false;
  auto aead = P::create(key->expose());
  if (!aead) {
    std::printf("%-20s %-10s unavailable: %s\n", algorithm.data(), backend.data(), to_string(aead.error()).data());
    return aead.error() == errc::unsupported;
  }

  const auto message = as_bytes(R"({"m2m:cin":{"con":"21.5"}})");
  const auto header = as_bytes("/cse-in/sensor1");
  byte sealed[P::sealed_size(64)], opened[64];
  const auto n = aead->seal(sealed, nonce, header, message);
  const auto m = n ? aead->open(opened, nonce, header, bytes_view(sealed, *n)) : result<std::size_t>(fail(n.error()));
  if (!m) return false;
  const std::string text(reinterpret_cast<const char*>(opened), *m);

  sealed[0] ^= 1;  // one flipped bit: open refuses it and hands out only zeros
  const auto tampered = aead->open(opened, nonce, header, bytes_view(sealed, *n));
  std::printf("%-20s %-10s %zu -> %zu bytes, opened %s; tampered: %s\n", algorithm.data(), backend.data(),
              message.size(), *n, text.c_str(), tampered ? "opened (wrong!)" : to_string(tampered.error()).data());
  return !tampered && tampered.error() == errc::auth_failed && ct::is_zero(bytes_view(opened, *m));
}

}  // namespace

int main() {
  using b = backend::botan;
  using s = backend::sodium;
  bool ok = true;
  ok &= demo<aead<aes128_gcm, b>>("AES-128-GCM", "Botan 2");
  ok &= demo<aead<aes256_gcm, b>>("AES-256-GCM", "Botan 2");
  ok &= demo<aead<aes256_gcm, s>>("AES-256-GCM", "libsodium");
  ok &= demo<aead<aes128_ccm8, b>>("AES-128-CCM-8", "Botan 2");
  ok &= demo<aead<chacha20_poly1305, b>>("ChaCha20-Poly1305", "Botan 2");
  ok &= demo<aead<chacha20_poly1305, s>>("ChaCha20-Poly1305", "libsodium");
  ok &= demo<aead<xchacha20_poly1305, b>>("XChaCha20-Poly1305", "Botan 2");
  ok &= demo<aead<xchacha20_poly1305, s>>("XChaCha20-Poly1305", "libsodium");
  std::puts(ok ? "all sealed and opened; every tampered message refused" : "FAILED");
  return ok ? 0 : 1;
}
