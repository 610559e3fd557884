// m2msec: key identifiers of the form relative@FQDN (TS-0003 §10.3.4–§10.6).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/encoding.hpp"
#include "m2msec/identity/fqdn.hpp"

namespace m2msec {

namespace key_id_kind {
// How the relative part is written and compared, per identifier.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct text_exact {   // letters, digits, '.', '_', '-'; compared exactly
  static constexpr bool case_sensitive = true, hex16 = false;
};
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct text_nocase {  // same characters, compared without regard to case
  static constexpr bool case_sensitive = false, hex16 = false;
};
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct hex_bytes {    // 16 bytes as 32 upper-case hex digits (decision A5)
  static constexpr bool case_sensitive = true, hex16 = true;
};
}  // namespace key_id_kind

// relative@FQDN. The FQDN names the issuer, MEF or MAF, and so where a Target
// fetches the key (TS-0003 §8.3.4.3, §8.2.2.3).
// Thread safety: immutable once made; any number of threads may use one object.
template <class Kind, int Tag>
class basic_key_id {
 public:
  static constexpr std::size_t relative_bytes_size = 16;
  using relative_bytes = std::array<byte, relative_bytes_size>;

  [[nodiscard]] static result<basic_key_id> parse(std::string_view s) {
    if (s.size() > id_detail::max_text_size) return fail(errc::invalid_encoding);
    const std::size_t at = s.rfind('@');
    if (at == std::string_view::npos) return fail(errc::invalid_encoding);
    const std::string_view rel = s.substr(0, at);
    if (!relative_ok(rel)) return fail(errc::invalid_encoding);
    return fqdn::parse(s.substr(at + 1)).map([&](fqdn d) { return basic_key_id(std::string(rel), std::move(d)); });
  }

  [[nodiscard]] static result<basic_key_id> make(std::string_view relative, fqdn domain)
    requires(!Kind::hex16)
  {
    if (!relative_ok(relative)) return fail(errc::invalid_encoding);
    return basic_key_id(std::string(relative), std::move(domain));
  }
  // TS-0003 §10.3.4, §10.3.5: KeID = hexBinary(RelativeKeID)@MEF-FQDN, KcID likewise with the MAF's FQDN.
  [[nodiscard]] static basic_key_id from_bytes(bytes_view relative, fqdn domain)
    requires Kind::hex16
  {
    std::string hex = hex_encode(relative);
    for (char& c : hex)
      if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    return basic_key_id(std::move(hex), std::move(domain));
  }
  [[nodiscard]] relative_bytes bytes() const
    requires Kind::hex16
  {
    relative_bytes out{};
    (void)hex_decode(relative_, out);  // checked by the parser
    return out;
  }

  [[nodiscard]] const std::string& relative() const noexcept { return relative_; }
  [[nodiscard]] const fqdn& domain() const noexcept { return domain_; }
  [[nodiscard]] std::string str() const { return relative_ + "@" + domain_.str(); }

  friend bool operator==(const basic_key_id& a, const basic_key_id& b) noexcept {
    if (a.domain_ != b.domain_) return false;
    if constexpr (Kind::case_sensitive) return a.relative_ == b.relative_;
    else return id_detail::iequal(a.relative_, b.relative_);
  }

 private:
  basic_key_id(std::string rel, fqdn d) : relative_(std::move(rel)), domain_(std::move(d)) {}
  static bool relative_ok(std::string_view rel) noexcept {
    if constexpr (Kind::hex16) {
      return rel.size() == 2 * relative_bytes_size &&
             id_detail::all_of(rel, [](char c) { return id_detail::is_digit(c) || (c >= 'A' && c <= 'F'); });
    } else {
      return !rel.empty() && rel.size() <= max_identifier_size &&
             id_detail::all_of(rel, id_detail::is_key_char);
    }
  }
  std::string relative_;
  fqdn domain_;
};

// TS-0003 §10.5: KpsaID = Issuer_Relative_KpsaID@Issuer-FQDN.
using kpsa_id = basic_key_id<key_id_kind::text_exact, 0>;
// TS-0003 §10.6: KmID = MAF_RELATIVE_KmID@MAF-FQDN; the relative part is not case-sensitive.
using km_id = basic_key_id<key_id_kind::text_nocase, 1>;
// KpmID: no format is given by TS-0003; m2msec reads it as relative@MEF-FQDN.
using kpm_id = basic_key_id<key_id_kind::text_exact, 2>;
// TS-0003 §10.3.4: KeID = hexBinary(RelativeKeID)@MEF-FQDN.
using ke_id = basic_key_id<key_id_kind::hex_bytes, 3>;
// TS-0003 §10.3.5: the MAF key identifier hexBinary(KcID)@MAF-FQDN.
using kc_id = basic_key_id<key_id_kind::hex_bytes, 4>;

}  // namespace m2msec
