// m2msec: the character classes of oneM2M identifiers, and fully qualified domain names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "m2msec/core/result.hpp"

namespace m2msec {

// Bounds for parsers fed by peers: each part of an identifier (a CSE name, a
// stem, a relative key identifier, a rand object's ID) is at most
// max_identifier_size characters, an FQDN at most 253, and a whole identifier at
// most max_text_size, so that every absolute form built from parts that parsed
// parses again.
inline constexpr std::size_t max_identifier_size = 255;

namespace id_detail {

inline constexpr std::size_t max_text_size = 1024;

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }
// RFC 3986 §2.3 unreserved characters.
constexpr bool is_unreserved(char c) noexcept {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
// TS-0003 §10.6: letters, digits, '.', '_' and '-' (relative key identifiers).
constexpr bool is_key_char(char c) noexcept { return is_alnum(c) || c == '-' || c == '.' || c == '_'; }
constexpr char to_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

template <class Pred>
constexpr bool all_of(std::string_view s, Pred p) noexcept {
  for (char c : s)
    if (!p(c)) return false;
  return true;
}
constexpr bool iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}
// One DNS label of a host name (RFC 1123 §2.1): 1..63 letters, digits and
// hyphens, neither first nor last a hyphen.
constexpr bool is_dns_label(std::string_view l) noexcept {
  return !l.empty() && l.size() <= 63 && l.front() != '-' && l.back() != '-' &&
         all_of(l, [](char c) { return is_alnum(c) || c == '-'; });
}

}  // namespace id_detail

// ASCII case-insensitive equality, as DNS compares names (RFC 4343).
[[nodiscard]] constexpr bool iequal_ascii(std::string_view a, std::string_view b) noexcept {
  return id_detail::iequal(a, b);
}

// A fully qualified domain name: at least two RFC 1123 labels, at most 253
// characters, no trailing dot, no wildcard, and a last label that is not all
// digits (so an IPv4 address is not a name). Kept in lower case, so two names
// that DNS treats as one compare equal (docs/decisions.md).
// Thread safety: immutable once made; any number of threads may use one object.
class fqdn {
 public:
  static constexpr std::size_t max_size = 253;

  [[nodiscard]] static result<fqdn> parse(std::string_view s) {
    if (s.empty() || s.size() > max_size) return fail(errc::invalid_encoding);
    std::size_t labels = 0, start = 0;
    std::string_view last;
    while (true) {
      const std::size_t dot = s.find('.', start);
      last = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (!id_detail::is_dns_label(last)) return fail(errc::invalid_encoding);
      ++labels;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (labels < 2 || id_detail::all_of(last, id_detail::is_digit)) return fail(errc::invalid_encoding);
    std::string lower(s);
    for (char& c : lower) c = id_detail::to_lower(c);
    return fqdn(std::move(lower));
  }

  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  friend bool operator==(const fqdn&, const fqdn&) = default;
  friend auto operator<=>(const fqdn&, const fqdn&) = default;

 private:
  explicit fqdn(std::string s) : text_(std::move(s)) {}
  std::string text_;
};

}  // namespace m2msec
