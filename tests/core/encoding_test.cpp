// hex and base64url: RFC 4648 vectors, strictness, and libsodium's codecs as an
// independent implementation.
#include "m2msec/core/encoding.hpp"

#include <catch2/catch.hpp>
#include <sodium.h>

#include "support/policies.hpp"

using namespace m2msec;

TEST_CASE("base64url: RFC 4648 section 10 vectors, unpadded", "[core][encoding]") {
  const std::pair<std::string_view, std::string_view> v[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : v) {
    CHECK(base64url_encode(as_bytes(plain)) == enc);
    auto d = base64url_decode(enc);
    REQUIRE(d);
    CHECK(std::string(d->begin(), d->end()) == plain);
  }
  // the two characters that differ from standard base64
  const byte ff[] = {0xFB, 0xFF, 0xBF};
  CHECK(base64url_encode(ff) == "-_-_");
}

TEST_CASE("base64url: strict decoding", "[core][encoding]") {
  for (std::string_view bad : {"Zg==", "Zg=", "Zm9v YmFy", "Zm9v\nYmFy", "Zm9v+mFy", "Zm9v/mFy", "Z", "Zm9vY",
                               "Zh", "Zm9", "Zm+", " Zg", "Zg ", "\x80Zg"}) {
    INFO(bad);
    CHECK(base64url_decode(bad).error() == errc::invalid_encoding);
  }
  // Zh: the low 4 bits of 'h' are not zero, so it would decode to 'f' non-canonically.
  CHECK(base64url_decode("Zg"));
  byte out[2];
  CHECK(base64url_decode("Zm9v", out).error() == errc::buffer_too_small);
  auto s = base64url_decode_secret("AAECAwQFBgcICQoLDA0ODw");
  REQUIRE(s);
  CHECK(s->size() == 16);
  CHECK(s->expose()[15] == 15);
  CHECK(base64url_decode_secret("AA=").error() == errc::invalid_encoding);
}

TEST_CASE("hex: both cases in, lower case out, strict", "[core][encoding]") {
  const byte b[] = {0x00, 0x9f, 0xA0, 0xff};
  CHECK(hex_encode(b) == "009fa0ff");
  CHECK(*hex_decode("009FA0fF") == byte_vector(std::begin(b), std::end(b)));
  for (std::string_view bad : {"0", "0g", "g0", " 00", "00 ", "0x00", ":0"}) {
    INFO(bad);
    CHECK(hex_decode(bad).error() == errc::invalid_encoding);
  }
  CHECK(hex_decode_secret("0001")->size() == 2);
}

TEST_CASE("base64url and hex agree with libsodium on random inputs", "[core][encoding][differential]") {
  REQUIRE(sodium_init() >= 0);
  for (std::size_t n = 0; n < 300; ++n) {
    const auto data = policies::random_bytes(n);
    std::string ref(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(ref.data(), ref.size(), data.data(), n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    ref.resize(std::strlen(ref.c_str()));
    REQUIRE(base64url_encode(data) == ref);
    REQUIRE(*base64url_decode(ref) == data);
    std::string hex(2 * n + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), data.data(), n);
    hex.resize(2 * n);
    REQUIRE(hex_encode(data) == hex);
    REQUIRE(*hex_decode(hex) == data);
  }
}

TEST_CASE("base64url: every string of up to 3 characters decodes iff libsodium accepts it", "[core][encoding][differential]") {
  REQUIRE(sodium_init() >= 0);
  std::string alphabet;
  for (int c = 0; c < 128; ++c) alphabet.push_back(static_cast<char>(c));
  std::size_t accepted = 0;
  for (std::size_t len = 1; len <= 3; ++len) {
    std::vector<std::size_t> idx(len, 0);
    for (;;) {
      std::string s;
      for (auto i : idx) s.push_back(alphabet[i]);
      byte ref[4], ours[4];
      size_t ref_len = 0;
      const char* end = nullptr;
      const bool ref_ok = sodium_base642bin(ref, sizeof ref, s.data(), s.size(), nullptr, &ref_len, &end,
                                            sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
                          end == s.data() + s.size();
      auto r = base64url_decode(s, ours);
      INFO("input of " << len << " chars");
      REQUIRE(r.has_value() == ref_ok);
      if (ref_ok) {
        REQUIRE(*r == ref_len);
        REQUIRE(std::equal(ref, ref + ref_len, ours));
        ++accepted;
      }
      std::size_t k = 0;
      while (k < len && ++idx[k] == alphabet.size()) idx[k++] = 0;
      if (k == len) break;
    }
  }
  CHECK(accepted == 64 * 4 + 64 * 64 * 16);  // canonical: 4 last characters of 2, 16 of 3
}
