// Fuzz target: AEAD open on attacker bytes. Input: algorithm selector, AD
// length, nonce, AD, then the sealed message, all under a fixed key. Where
// libsodium and Botan both have the algorithm, both must give the same
// verdict and the same plaintext; whatever opens must re-seal to the input.
#include <cstdlib>

#include "m2msec/backend/aead.hpp"

namespace {

using namespace m2msec;
using namespace m2msec::crypto;

constexpr byte fixed_key[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

template <class P>
P& instance() {
  static P p = *P::create(bytes_view(fixed_key).first(P::key_size));
  return p;
}

template <class P>
result<byte_vector> open(bytes_view nonce, bytes_view ad, bytes_view sealed) {
  byte_vector out(sealed.size() >= P::tag_size ? sealed.size() - P::tag_size : 0, 0xEE);
  auto r = instance<P>().open(out, nonce, ad, sealed);
  if (!r) {
    for (byte b : out)
      if (b != 0) std::abort();  // failure leaves no plaintext behind
    return fail(r.error());
  }
  byte_vector again(P::sealed_size(out.size()));
  if (!instance<P>().seal(again, nonce, ad, out) || again != byte_vector(sealed.begin(), sealed.end())) std::abort();
  return out;
}

template <class A, class B>
void differential(bytes_view nonce, bytes_view ad, bytes_view sealed) {
  auto a = open<A>(nonce, ad, sealed);
  auto b = open<B>(nonce, ad, sealed);
  if (a.has_value() != b.has_value()) std::abort();
  if (a && *a != *b) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bytes_view in(data, size);
  const unsigned which = in[0] % 6;
  const std::size_t ad_len = in[1] % 64;
  static constexpr std::size_t nonce_sizes[] = {12, 24, 12, 12, 12, 13};
  const std::size_t n = nonce_sizes[which];
  if (size < 2 + n + ad_len) return 0;
  const auto nonce = in.subspan(2, n), ad = in.subspan(2 + n, ad_len), sealed = in.subspan(2 + n + ad_len);
  using b = backend::botan;
  using s = backend::sodium;
  switch (which) {
    case 0: differential<aead<chacha20_poly1305, s>, aead<chacha20_poly1305, b>>(nonce, ad, sealed); break;
    case 1: differential<aead<xchacha20_poly1305, s>, aead<xchacha20_poly1305, b>>(nonce, ad, sealed); break;
    case 2: differential<aead<aes256_gcm, s>, aead<aes256_gcm, b>>(nonce, ad, sealed); break;
    case 3: (void)open<aead<aes128_gcm, b>>(nonce, ad, sealed); break;
    case 4: (void)open<aead<aes128_ccm8, b>>(nonce, ad, sealed); break;
    default: (void)open<aead<aes_ccm<16, 8, 13>, b>>(nonce, ad, sealed); break;
  }
  return 0;
}
