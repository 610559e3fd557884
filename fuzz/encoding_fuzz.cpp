// Fuzz target: strict base64url and hex decoding of arbitrary bytes. Whatever
// decodes must re-encode to the same text (one encoding per value), and on
// ASCII input base64url must accept exactly what libsodium's URL-safe unpadded
// decoder accepts. (libsodium 1.0.18 reads its input as signed char and takes
// some bytes >= 0x80 for alphabet letters, "\xa4\xffZg" decodes there; m2msec
// refuses every byte outside the alphabet, so non-ASCII input is not compared.)
#include <sodium.h>

#include <cstdlib>
#include <string_view>

#include "m2msec/core/encoding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto d = m2msec::base64url_decode(text)) {
    if (m2msec::base64url_encode(*d) != text) std::abort();
  }
  bool ascii = true;
  for (std::size_t i = 0; i < size; ++i) ascii = ascii && data[i] < 0x80;
  m2msec::byte_vector ref(size + 1);  // never empty: libsodium takes no null pointers
  std::size_t ref_len = 0;
  const char* end = nullptr;
  const bool ref_ok = sodium_base642bin(ref.data(), ref.size(), text.data(), size, nullptr, &ref_len, &end,
                                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
                      end == text.data() + size;
  if (ascii && ref_ok != m2msec::base64url_decode(text).has_value()) std::abort();

  if (auto h = m2msec::hex_decode(text)) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
    if (m2msec::hex_encode(*h) != lower) std::abort();
  }
  return 0;
}
