// m2msec: oneM2M identifiers (TS-0001 §7.1, §7.2 Table 7.2-1). Each type has a
// strict parse() that returns a whole identifier or an errc, and str() for its
// canonical text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "m2msec/identity/fqdn.hpp"

namespace m2msec {

// TS-0001 §7.2: M2M-SP-ID = "//" FQDN.
// Thread safety: immutable once made; any number of threads may use one object.
class sp_id {
 public:
  [[nodiscard]] static result<sp_id> parse(std::string_view s) {
    if (!s.starts_with("//")) return fail(errc::invalid_encoding);
    return fqdn::parse(s.substr(2)).map([](fqdn d) { return sp_id(std::move(d)); });
  }
  [[nodiscard]] static sp_id of(fqdn d) { return sp_id(std::move(d)); }
  [[nodiscard]] const fqdn& domain() const noexcept { return domain_; }
  [[nodiscard]] std::string str() const { return "//" + domain_.str(); }
  friend bool operator==(const sp_id&, const sp_id&) = default;
  friend auto operator<=>(const sp_id&, const sp_id&) = default;

 private:
  explicit sp_id(fqdn d) : domain_(std::move(d)) {}
  fqdn domain_;
};

namespace id_detail {

// "/" followed by 1+ unreserved characters; returns the part after the slash.
inline result<std::string_view> segment(std::string_view s) {
  if (s.size() < 2 || s.size() > max_identifier_size + 1 || s.front() != '/') return fail(errc::invalid_encoding);
  s.remove_prefix(1);
  if (!all_of(s, is_unreserved)) return fail(errc::invalid_encoding);
  return s;
}

// Splits "//fqdn/rest" into the SP-ID and "/rest"; leaves SP-relative text alone.
inline result<std::pair<std::optional<sp_id>, std::string_view>> split_sp(std::string_view s) {
  if (s.size() > max_text_size) return fail(errc::invalid_encoding);
  if (!s.starts_with("//")) return std::pair<std::optional<sp_id>, std::string_view>{std::nullopt, s};
  const std::size_t slash = s.find('/', 2);
  if (slash == std::string_view::npos) return fail(errc::invalid_encoding);
  auto sp = sp_id::parse(s.substr(0, slash));
  if (!sp) return fail(sp.error());
  return std::pair<std::optional<sp_id>, std::string_view>{std::move(*sp), s.substr(slash)};
}

}  // namespace id_detail

// TS-0001 §7.2: CSE-ID, SP-relative ("/" + unreserved characters, e.g. /CSE090112)
// or absolute (SP-ID + SP-relative CSE-ID, e.g. //m2m.thingscompany.com/ab3f124a).
// Thread safety: immutable once made; any number of threads may use one object.
class cse_id {
 public:
  [[nodiscard]] static result<cse_id> parse(std::string_view s) {
    auto split = id_detail::split_sp(s);
    if (!split) return fail(split.error());
    auto rel = id_detail::segment(split->second);
    if (!rel) return fail(rel.error());
    return cse_id(std::move(split->first), std::string(*rel));
  }

  [[nodiscard]] bool is_absolute() const noexcept { return sp_.has_value(); }
  [[nodiscard]] const std::optional<sp_id>& sp() const noexcept { return sp_; }
  // The CSE-ID without its leading slash, e.g. "CSE090112".
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] cse_id sp_relative() const { return cse_id(std::nullopt, name_); }
  [[nodiscard]] cse_id absolute(const sp_id& sp) const { return cse_id(sp_ ? sp_ : sp, name_); }
  [[nodiscard]] std::string str() const { return (sp_ ? sp_->str() : std::string()) + "/" + name_; }
  friend bool operator==(const cse_id&, const cse_id&) = default;
  friend auto operator<=>(const cse_id&, const cse_id&) = default;

 private:
  cse_id(std::optional<sp_id> sp, std::string name) : sp_(std::move(sp)), name_(std::move(name)) {}
  std::optional<sp_id> sp_;
  std::string name_;
};

// TS-0001 §7.2: AE-ID-Stem. 'C' stems are assigned by the Registrar CSE, 'S'
// stems by the M2M Service Provider; the rest is unreserved characters.
// Thread safety: immutable once made; any number of threads may use one object.
class ae_id_stem {
 public:
  enum class kind : char { registrar_assigned = 'C', sp_assigned = 'S' };

  [[nodiscard]] static result<ae_id_stem> parse(std::string_view s) {
    if (s.size() < 2 || s.size() > max_identifier_size) return fail(errc::invalid_encoding);
    if (s.front() != 'C' && s.front() != 'S') return fail(errc::invalid_encoding);
    if (!id_detail::all_of(s, id_detail::is_unreserved)) return fail(errc::invalid_encoding);
    return ae_id_stem(std::string(s));
  }
  [[nodiscard]] kind type() const noexcept { return static_cast<kind>(text_.front()); }
  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  friend bool operator==(const ae_id_stem&, const ae_id_stem&) = default;
  friend auto operator<=>(const ae_id_stem&, const ae_id_stem&) = default;

 private:
  explicit ae_id_stem(std::string s) : text_(std::move(s)) {}
  std::string text_;
};

// TS-0001 §7.2: AE-ID. A 'C' stem lives under its Registrar CSE
// (/CSE090112/C190XX7T), an 'S' stem directly under the SP (/S190XX7T); either
// may be absolute (//m2m.prov.com/CSE3219/C9886, //m2m.things.com/S98821).
// Thread safety: immutable once made; any number of threads may use one object.
class ae_id {
 public:
  [[nodiscard]] static result<ae_id> parse(std::string_view s) {
    auto split = id_detail::split_sp(s);
    if (!split) return fail(split.error());
    std::string_view rest = split->second;
    if (rest.empty() || rest.front() != '/') return fail(errc::invalid_encoding);
    const std::size_t slash = rest.find('/', 1);
    std::optional<cse_id> registrar;
    std::string_view stem_text = rest.substr(1);
    if (slash != std::string_view::npos) {
      auto cse = cse_id::parse(rest.substr(0, slash));
      if (!cse) return fail(cse.error());
      registrar = std::move(*cse);
      stem_text = rest.substr(slash + 1);
    }
    auto stem = ae_id_stem::parse(stem_text);
    if (!stem) return fail(stem.error());
    // A 'C' stem needs its Registrar CSE-ID, an 'S' stem must not have one.
    if ((stem->type() == ae_id_stem::kind::registrar_assigned) != registrar.has_value())
      return fail(errc::invalid_encoding);
    return ae_id(std::move(split->first), std::move(registrar), std::move(*stem));
  }

  [[nodiscard]] bool is_absolute() const noexcept { return sp_.has_value(); }
  [[nodiscard]] const std::optional<sp_id>& sp() const noexcept { return sp_; }
  [[nodiscard]] const ae_id_stem& stem() const noexcept { return stem_; }
  // The Registrar CSE (SP-relative) of a 'C' stem; empty for an 'S' stem.
  [[nodiscard]] const std::optional<cse_id>& registrar() const noexcept { return registrar_; }
  [[nodiscard]] ae_id sp_relative() const { return ae_id(std::nullopt, registrar_, stem_); }
  [[nodiscard]] ae_id absolute(const sp_id& sp) const { return ae_id(sp_ ? sp_ : sp, registrar_, stem_); }
  [[nodiscard]] std::string str() const {
    return (sp_ ? sp_->str() : std::string()) + (registrar_ ? registrar_->str() : std::string()) + "/" +
           stem_.str();
  }
  friend bool operator==(const ae_id&, const ae_id&) = default;
  friend auto operator<=>(const ae_id&, const ae_id&) = default;

 private:
  ae_id(std::optional<sp_id> sp, std::optional<cse_id> registrar, ae_id_stem stem)
      : sp_(std::move(sp)), registrar_(std::move(registrar)), stem_(std::move(stem)) {}
  std::optional<sp_id> sp_;
  std::optional<cse_id> registrar_;
  ae_id_stem stem_;
};

// TS-0001 §7.1.3: App-ID. Registered: R{authority-ID}.{reverse DNS}.{name}
// (Ra01.com.company.smartcity; a lower-case 'r' is tolerated until Release 4);
// non-registered: N followed by anything unreserved (Nk836-t071-fc022).
// Thread safety: immutable once made; any number of threads may use one object.
class app_id {
 public:
  enum class kind { registered, non_registered };

  [[nodiscard]] static result<app_id> parse(std::string_view s) {
    if (s.size() < 2 || s.size() > max_identifier_size) return fail(errc::invalid_encoding);
    if (!id_detail::all_of(s, id_detail::is_unreserved)) return fail(errc::invalid_encoding);
    if (s.front() == 'N') return app_id(std::string(s), kind::non_registered);
    if (s.front() != 'R' && s.front() != 'r') return fail(errc::invalid_encoding);
    // authority-ID, then at least one more dot-separated part, none empty.
    const std::string_view body = s.substr(1);
    if (body.find('.') == std::string_view::npos || body.front() == '.' || body.back() == '.' ||
        body.find("..") != std::string_view::npos)
      return fail(errc::invalid_encoding);
    return app_id(std::string(s), kind::registered);
  }
  [[nodiscard]] kind type() const noexcept { return kind_; }
  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  friend bool operator==(const app_id& a, const app_id& b) noexcept { return a.text_ == b.text_; }
  friend auto operator<=>(const app_id& a, const app_id& b) noexcept { return a.text_ <=> b.text_; }

 private:
  app_id(std::string s, kind k) : text_(std::move(s)), kind_(k) {}
  std::string text_;
  kind kind_;
};

// TS-0001 §7.1.6 and Annex H: M2M-Node-ID, globally unique. m2msec reads an
// OID in dotted decimal (0.2.481.1.100.3030.10011), an IMEI (15 digits with a
// valid Luhn check digit), or any other unreserved text (a Node-ID may equal
// the CSE-ID); the kind says which.
// Thread safety: immutable once made; any number of threads may use one object.
class node_id {
 public:
  enum class kind { oid, imei, other };

  [[nodiscard]] static result<node_id> parse(std::string_view s) {
    using namespace id_detail;
    if (s.empty() || s.size() > max_identifier_size || !all_of(s, is_unreserved))
      return fail(errc::invalid_encoding);
    if (all_of(s, is_digit) && s.size() == 15) {
      if (!luhn_ok(s)) return fail(errc::invalid_encoding);
      return node_id(std::string(s), kind::imei);
    }
    if (all_of(s, [](char c) { return is_digit(c) || c == '.'; }) && s.find('.') != std::string_view::npos) {
      if (!oid_ok(s)) return fail(errc::invalid_encoding);
      return node_id(std::string(s), kind::oid);
    }
    return node_id(std::string(s), kind::other);
  }
  [[nodiscard]] kind type() const noexcept { return kind_; }
  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  friend bool operator==(const node_id& a, const node_id& b) noexcept { return a.text_ == b.text_; }
  friend auto operator<=>(const node_id& a, const node_id& b) noexcept { return a.text_ <=> b.text_; }

 private:
  node_id(std::string s, kind k) : text_(std::move(s)), kind_(k) {}
  static constexpr bool luhn_ok(std::string_view d) noexcept {
    int sum = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
      int v = d[d.size() - 1 - i] - '0';
      if (i % 2 == 1 && (v *= 2) > 9) v -= 9;
      sum += v;
    }
    return sum % 10 == 0;
  }
  // X.660: at least two arcs, the first 0..2, the second < 40 under 0 and 1,
  // no empty arc and no leading zero.
  static constexpr bool oid_ok(std::string_view s) noexcept {
    std::size_t arcs = 0, start = 0;
    while (true) {
      const std::size_t dot = s.find('.', start);
      const std::string_view arc = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (arc.empty() || (arc.size() > 1 && arc.front() == '0')) return false;
      if (arcs == 0 && (arc.size() != 1 || arc.front() > '2')) return false;
      if (arcs == 1 && s.front() != '2' && (arc.size() > 2 || (arc.size() == 2 && arc.front() > '3'))) return false;
      ++arcs;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return arcs >= 2;
  }
  std::string text_;
  kind kind_;
};

// TS-0001 §7.1.7: M2M-Sub-ID. Owned by the Service Provider and never exposed on
// any interface, so it has no str(): reveal() is the one, greppable, way to the
// text, and redacted() is what logs get.
// Thread safety: immutable once made; any number of threads may use one object.
class sub_id {
 public:
  [[nodiscard]] static result<sub_id> parse(std::string_view s) {
    if (s.empty() || s.size() > max_identifier_size ||
        !id_detail::all_of(s, [](char c) { return c > ' ' && c < 0x7f; }))
      return fail(errc::invalid_encoding);
    return sub_id(std::string(s));
  }
  [[nodiscard]] const std::string& reveal() const noexcept { return text_; }
  [[nodiscard]] static constexpr std::string_view redacted() noexcept { return "<M2M-Sub-ID>"; }
  friend bool operator==(const sub_id&, const sub_id&) = default;
  friend auto operator<=>(const sub_id&, const sub_id&) = default;

 private:
  explicit sub_id(std::string s) : text_(std::move(s)) {}
  std::string text_;
};

// TS-0001 §7.2 Table 7.2-1 (CSE public domain name, used in CSE-ID certificates
// and as the GBA NAF FQDN): an IN-CSE's is "<IN-CSE-ID>.<SP domain>", an MN- or
// ASN-CSE's "<CSE-ID>.<IN-CSE public domain name>". The CSE-ID must be a DNS
// label; `parent` is the SP domain or the IN-CSE's public domain name.
[[nodiscard]] inline result<fqdn> public_domain_name(const cse_id& cse, const fqdn& parent) {
  if (!id_detail::is_dns_label(cse.name())) return fail(errc::invalid_encoding);
  return fqdn::parse(cse.name() + "." + parent.str());
}

}  // namespace m2msec
