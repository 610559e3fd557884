// A program that uses m2msec as an installed package would: the version, and a
// value sealed and opened with libsodium's AEAD and Botan's (whose headers must
// come in as system headers: -Werror holds).
#include <cstdio>
#include <string>

#include "m2msec/backend/aead.hpp"
#include "m2msec/core/errc.hpp"
#include "m2msec/version.hpp"

template <class Aead>
bool round_trip() {
  using namespace m2msec;
  byte key[Aead::key_size] = {1}, nonce[Aead::nonce_size] = {2};
  auto a = Aead::create(key);
  if (!a) return false;
  const byte msg[3] = {'m', '2', 'm'};
  byte out[3 + Aead::tag_size], back[3] = {};
  return a->seal(out, nonce, {}, msg) && a->open(back, nonce, {}, out) && back[2] == 'm';
}

int main() {
  using namespace m2msec;
  static_assert(M2MSEC_VERSION >= 100, "0.1.0 or later");
  const bool ok = round_trip<crypto::aead<crypto::xchacha20_poly1305, backend::sodium>>() &&
                  round_trip<crypto::aead<crypto::aes256_gcm, backend::botan>>();
  std::printf("m2msec %s: %s\n", M2MSEC_VERSION_STRING, ok ? "sealed and opened" : std::string(to_string(errc::auth_failed)).c_str());
  return ok ? 0 : 1;
}
