// m2msec: JSON Web Encryption (RFC 7516) with the algorithms of TS-0003 §8.5.3:
// alg dir, A128KW/A192KW/A256KW, ECDH-ES and ECDH-ES+A*KW (P-256/384/521,
// Concat KDF), RSA-OAEP-256; enc A128GCM/A192GCM/A256GCM. Compact, flattened
// and general JSON serializations, one or more recipients.
//
// Decoding is split in two: parse_jwe() checks the structure, sizes, headers and
// algorithms against the caller's policy without touching a key; decrypt() then
// unwraps the CEK and opens the ciphertext. No plaintext leaves on failure.
// This layer allocates (JSON headers, the output string).
#pragma once

#include "m2msec/jose/jwe_compact.hpp"   // the compact writer, direct mode
#include "m2msec/jose/jwe_decrypt.hpp"   // decryption
#include "m2msec/jose/jwe_encrypt.hpp"   // encryption, every serialization
#include "m2msec/jose/jwe_keys.hpp"      // key management
#include "m2msec/jose/jwe_parse.hpp"     // parsing
#include "m2msec/jose/jwe_types.hpp"     // what is parsed and decrypted
