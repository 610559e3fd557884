// Fuzz target: the ESPrim Receiver's unprotect (JWE compact, the checks 1-7 of
// TS-0003 §8.4.2, the replay cache) on a fixed Receiver. A refusal must carry
// one of the codes ESPrim may send; an acceptance must carry the bound From.
// Seeds: fuzz/corpus/esprim (fuzz/make_e2e_corpus.py).
#include <cstdlib>
#include <string_view>

#include "e2e_fixture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace m2msec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = e2e_fixture::open_esprim(text);
  if (r) {
    if (r->from != "Cae-corpus") std::abort();
    return 0;
  }
  switch (r.error().code) {
    case rsc::bad_request:
    case rsc::esprim_unsupported_option:
    case rsc::esprim_unknown_key_id:
    case rsc::esprim_unknown_orig_rand_id:
    case rsc::esprim_unknown_recv_rand_id:
    case rsc::esprim_bad_mac:
    case rsc::esprim_impersonation_error:
    case rsc::esprim_decryption_error:
    case rsc::originator_not_authenticated: return 0;
    default: std::abort();
  }
}
