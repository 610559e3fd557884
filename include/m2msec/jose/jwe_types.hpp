// m2msec: JWE (RFC 7516) as m2msec reads it: as parsed (no key touched yet)
// and as decrypted. A sender's options: jwe_encrypt.hpp.
#pragma once

#include <string>
#include <vector>

#include "m2msec/jose/common.hpp"

namespace m2msec::jose {

class jwk;

// The parser's check of an ECDH-ES "epk" (RFC 7518 §4.6.1.1: a public key on a
// curve m2msec has, and on that curve), made before any key is touched. Defined
// with key management (jwe_keys.hpp); a parser of "dir" objects alone (ESPrim)
// takes no_key_agreement and so needs no EC or RSA code.
struct epk_check;

// "dir" and "ECDH-ES": the CEK is the key itself or the one agreed; no encrypted key.
[[nodiscard]] constexpr bool is_direct(alg a) noexcept { return a == alg::dir || a == alg::ecdh_es; }
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct no_key_agreement {
  [[nodiscard]] static result<void> check(const header&, alg) noexcept { return fail(errc::alg_not_allowed); }
};

// One recipient as parsed: its joint header (protected ∪ shared ∪ its own),
// algorithm and encrypted key.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct jwe_recipient {
  jose::header header;
  alg algorithm = alg::dir;
  byte_vector encrypted_key;
};

// A JWE whose structure and headers passed every check; no key touched yet.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct parsed_jwe {
  serialization form = serialization::compact;
  jose::header protected_header;  // as sent, authenticated
  enc encryption = enc::a256gcm;
  std::vector<jwe_recipient> recipients;
  byte_vector iv;
  byte_vector sealed;  // ciphertext || tag, so it opens in place
  std::string aad;     // the AEAD's AAD: BASE64URL(protected) [ '.' BASE64URL(aad) ]
};

// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct decrypted {
  byte_vector plaintext;
  jose::header header;  // the joint header of the recipient that matched
  std::size_t recipient = 0;
  std::size_t key = 0;  // the index of the key that opened it
};

}  // namespace m2msec::jose
