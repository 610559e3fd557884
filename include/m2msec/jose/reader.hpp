// m2msec: a strict RFC 8259 reader for the small JSON texts of the message
// path (JOSE headers, the From of an ESPrim primitive). It checks the grammar,
// UTF-8 (RFC 3629) and \u surrogate pairs exactly as nlohmann-json does, bounds
// nesting, and can refuse duplicate member names at any depth; it builds no
// document. fuzz/json_fuzz.cpp holds it to nlohmann-json's verdict.
#pragma once

#include <algorithm>
#include <charconv>
#include <system_error>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <array>
#include <bit>
#include <forward_list>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace m2msec::jose {

// Equality of two short names (header members, JSON keys), inline rather than
// through a memcmp call.
[[nodiscard]] inline bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// Thread safety: one thread at a time per object; distinct objects are independent.
class json_reader {
 public:
  explicit json_reader(std::string_view text, bool refuse_duplicates = true)
      : s_(text), duplicates_(!refuse_duplicates) {
    names_.reserve(16);
  }
  json_reader(const json_reader&) = delete;
  json_reader& operator=(const json_reader&) = delete;

  // Skips whitespace and returns the next byte, or '\0' at the end (a NUL
  // byte is never valid JSON, so the two need no telling apart).
  char peek() noexcept {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\n' || s_[at_] == '\r' || s_[at_] == '\t')) ++at_;
    return at_ < s_.size() ? s_[at_] : '\0';
  }
  bool eat(char c) noexcept {
    if (peek() != c) return false;
    ++at_;
    return true;
  }
  [[nodiscard]] bool at_end() noexcept { return peek() == '\0' && at_ == s_.size(); }
  [[nodiscard]] std::size_t offset() const noexcept { return at_; }

  // A string at the cursor. Without escapes `out` views the text; with them
  // the unescaped bytes are appended to `scratch` and `out` views those.
  bool string(std::string_view& out, std::string& scratch) {
    if (!eat('"')) return false;
    const std::size_t start = at_;
    bool escaped = false;
    while (true) {
      skip_plain();
      if (at_ >= s_.size()) return false;
      const auto c = static_cast<unsigned char>(s_[at_]);
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c == '\\') {
        escaped = true;
        at_ += 2;
        if (at_ > s_.size()) return false;
        continue;
      }
      if (c < 0x80) {
        ++at_;
        continue;
      }
      const std::size_t n = utf8_length(at_);
      if (n == 0) return false;
      at_ += n;
    }
    const std::size_t end = at_++;
    if (!escaped) {
      out = s_.substr(start, end - start);
      return true;
    }
    const std::size_t from = scratch.size();
    if (!unescape(s_.substr(start, end - start), scratch)) return false;
    out = std::string_view(scratch).substr(from);
    return true;
  }

  // Any value at the cursor, checked and skipped; `depth` is that of the
  // containers around it.
  bool skip(std::size_t depth, std::size_t max_depth) {
    switch (peek()) {
      case '{': return object(depth, max_depth, [&](std::string_view) { return skip(depth + 1, max_depth); });
      case '[': return array(depth, max_depth, [&] { return skip(depth + 1, max_depth); });
      case '"': {
        std::string_view ignored;
        std::string unescaped;
        return string(ignored, unescaped);
      }
      case 't': return word("true");
      case 'f': return word("false");
      case 'n': return word("null");
      default: return number();
    }
  }

  // An array at the cursor: `element()` is called with the cursor on each
  // element and must consume it.
  template <class Element>
  bool array(std::size_t depth, std::size_t max_depth, Element&& element) {
    if (depth >= max_depth || !eat('[')) return false;
    if (eat(']')) return true;
    do {
      if (!element()) return false;
    } while (eat(','));
    return eat(']');
  }

  // A non-negative integer at the cursor, written without fraction or
  // exponent, and at most `max`.
  bool unsigned_integer(std::uint64_t& out, std::uint64_t max) {
    peek();
    const std::size_t start = at_;
    if (!number()) return false;
    const std::string_view digits = s_.substr(start, at_ - start);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc{} && end == digits.data() + digits.size() && out <= max;
  }

  // An object at the cursor: `member(name)` is called with the cursor on each
  // member's value and must consume it. Names are compared unescaped.
  template <class Member>
  bool object(std::size_t depth, std::size_t max_depth, Member&& member) {
    if (depth >= max_depth || !eat('{')) return false;
    const std::size_t base = names_.size();
    if (!eat('}')) {
      do {
        std::string_view name;
        std::string unescaped;
        if (!string(name, unescaped) || !eat(':')) return false;
        if (!duplicates_) {
          if (!unescaped.empty()) name = names_store_.emplace_front(std::move(unescaped));
          names_.push_back(name);
        }
        if (!member(name)) return false;
      } while (eat(','));
      if (!eat('}')) return false;
    }
    if (duplicates_) return true;
    // RFC 7515 §5.2 step 4 / RFC 7516 §5.2 step 4: no name twice.
    const bool distinct = all_distinct(std::span(names_).subspan(base));
    names_.resize(base);
    return distinct;
  }

 private:
  // A few names (a JOSE header has about eight) are compared pairwise; many
  // are sorted.
  static bool all_distinct(std::span<std::string_view> names) {
    if (names.size() > 16) {
      std::sort(names.begin(), names.end());
      return std::adjacent_find(names.begin(), names.end()) == names.end();
    }
    for (std::size_t i = 1; i < names.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (same_name(names[i], names[j])) return false;
    return true;
  }
  // Moves past plain string bytes up to the first that is '"', '\\', a
  // control character or non-ASCII (left to the byte loop): sixteen at a time
  // with SSE2 (one signed comparison finds both control and non-ASCII bytes),
  // then eight at a time, where in each flag the lowest set byte is exact
  // because borrows only run upwards.
  void skip_plain() noexcept {
#if defined(__SSE2__)
    while (at_ + 16 <= s_.size()) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + at_));
      const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                        _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
      if (const int mask = _mm_movemask_epi8(stop); mask != 0) {
        at_ += static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(mask)));
        return;
      }
      at_ += 16;
    }
#endif
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    auto below = [&](std::uint64_t w, unsigned n) { return (w - ones * n) & ~w & highs; };
    while (at_ + 8 <= s_.size()) {
      std::uint64_t w;
      std::memcpy(&w, s_.data() + at_, 8);
      const std::uint64_t stop = below(w ^ (ones * '"'), 1) | below(w ^ (ones * '\\'), 1) | below(w, 0x20) | (w & highs);
      if (stop != 0) {
        at_ += static_cast<std::size_t>(std::countr_zero(stop)) / 8;
        return;
      }
      at_ += 8;
    }
  }
  bool word(std::string_view w) noexcept {
    if (s_.substr(at_, w.size()) != w) return false;
    at_ += w.size();
    return true;
  }
  // RFC 8259 §6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number() noexcept {
    auto digit = [&] { return at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9'; };
    auto digits = [&] {
      if (!digit()) return false;
      while (digit()) ++at_;
      return true;
    };
    const std::size_t start = at_;
    if (at_ < s_.size() && s_[at_] == '-') ++at_;
    if (at_ < s_.size() && s_[at_] == '0') {
      ++at_;
    } else if (!digits()) {
      return false;
    }
    if (at_ < s_.size() && s_[at_] == '.') {
      ++at_;
      if (!digits()) return false;
    }
    if (at_ < s_.size() && (s_[at_] == 'e' || s_[at_] == 'E')) {
      ++at_;
      if (at_ < s_.size() && (s_[at_] == '+' || s_[at_] == '-')) ++at_;
      if (!digits()) return false;
    }
    const std::string_view token = s_.substr(start, at_ - start);
    const bool small_integer = token.size() <= 19 && token.find_first_of(".eE") == std::string_view::npos;
    return small_integer || finite(token);
  }
  // RFC 8259 §6 lets a reader bound the range of numbers: like nlohmann-json,
  // m2msec refuses one beyond the range of a double (underflow reads as 0).
  static bool finite(std::string_view token) noexcept {
    double v = 0;
    if (std::from_chars(token.data(), token.data() + token.size(), v).ec != std::errc::result_out_of_range) return true;
    // Out of range: above 1e308 or below 1e-323; the place of the first
    // significant digit tells which.
    const std::size_t e = std::min(token.find_first_of("eE"), token.size());
    long exponent = 0;
    bool negative = false;
    for (std::size_t i = e + 1; i < token.size(); ++i) {
      if (token[i] == '-') negative = true;
      if (token[i] >= '0' && token[i] <= '9') exponent = std::min(exponent * 10 + (token[i] - '0'), 1000000L);
    }
    if (negative) exponent = -exponent;
    const std::string_view mantissa = token.substr(0, e);
    const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
    const std::size_t first = mantissa.find_first_of("123456789");
    if (first == std::string_view::npos) return true;  // zero
    const long place = first < point ? static_cast<long>(point - first) : -static_cast<long>(first - point - 1);
    return place + exponent <= 0;
  }
  // RFC 3629 §4: the length of the well-formed UTF-8 sequence at `i`, or 0.
  [[nodiscard]] std::size_t utf8_length(std::size_t i) const noexcept {
    auto byte = [&](std::size_t k) { return i + k < s_.size() ? static_cast<unsigned char>(s_[i + k]) : 0u; };
    auto tail = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
      return byte(k) >= lo && byte(k) <= hi;
    };
    const unsigned c = byte(0);
    if (c >= 0xC2 && c <= 0xDF) return tail(1) ? 2 : 0;
    if (c == 0xE0) return tail(1, 0xA0) && tail(2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return tail(1) && tail(2) ? 3 : 0;
    if (c == 0xED) return tail(1, 0x80, 0x9F) && tail(2) ? 3 : 0;
    if (c == 0xF0) return tail(1, 0x90) && tail(2) && tail(3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return tail(1) && tail(2) && tail(3) ? 4 : 0;
    if (c == 0xF4) return tail(1, 0x80, 0x8F) && tail(2) && tail(3) ? 4 : 0;
    return 0;
  }
  static int hex4(std::string_view s, std::size_t i) noexcept {
    if (i + 4 > s.size()) return -1;
    int v = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
      const char c = s[k];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }
  // RFC 8259 §7: the escapes of a string body (already checked for raw bytes).
  static bool unescape(std::string_view body, std::string& out) {
    for (std::size_t i = 0; i < body.size();) {
      if (body[i] != '\\') {
        out += body[i++];
        continue;
      }
      if (i + 1 >= body.size()) return false;
      const char e = body[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; continue;
        case '\\': out += '\\'; continue;
        case '/': out += '/'; continue;
        case 'b': out += '\b'; continue;
        case 'f': out += '\f'; continue;
        case 'n': out += '\n'; continue;
        case 'r': out += '\r'; continue;
        case 't': out += '\t'; continue;
        case 'u': break;
        default: return false;
      }
      int cp = hex4(body, i);
      if (cp < 0) return false;
      i += 4;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (i + 6 > body.size() || body[i] != '\\' || body[i + 1] != 'u') return false;
        const int low = hex4(body, i + 2);
        if (low < 0xDC00 || low > 0xDFFF) return false;
        i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    return true;
  }

  std::string_view s_;
  std::size_t at_ = 0;
  bool duplicates_;                     // true: duplicate names are let through
  // Names of the open objects, innermost last: on the stack up to 32 of them.
  std::array<std::byte, 48 * sizeof(std::string_view)> first_names_;
  std::pmr::monotonic_buffer_resource names_memory_{first_names_.data(), first_names_.size()};
  std::pmr::vector<std::string_view> names_{&names_memory_};
  std::forward_list<std::string> names_store_;  // unescaped names (stable addresses)
};

}  // namespace m2msec::jose
