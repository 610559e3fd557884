// m2msec: JWE compact parsing (RFC 7516 §5.2 steps 1-8, §7.1): the structure,
// sizes, headers and algorithms are checked against the caller's policy before
// any key is touched. JSON serializations: jwe_parse.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "m2msec/jose/gcm.hpp"
#include "m2msec/jose/jwe_types.hpp"

namespace m2msec::jose {

namespace detail {

// Decodes the ciphertext and tag straight into parsed.sealed.
[[nodiscard]] inline result<void> decode_body(parsed_jwe& p, std::string_view iv, std::string_view ciphertext,
                                              std::string_view tag) {
  auto v = fast_base64url_decode(iv);
  if (!v) return fail(refuse(v.error(), "iv", "base64url"));
  if (v->size() != iv_size) return fail(refuse(errc::invalid_encoding, "iv", "length (96 bits for AES-GCM)"));
  p.iv = std::move(*v);
  if (base64url_decoded_size(tag.size()) != tag_size || tag.size() % 4 == 1)
    return fail(refuse(errc::invalid_encoding, "tag", "length (128 bits)"));
  if (ciphertext.size() % 4 == 1) return fail(refuse(errc::invalid_encoding, "ciphertext", "base64url"));
  const std::size_t n = base64url_decoded_size(ciphertext.size());
  p.sealed.resize(n + tag_size);
  auto c = fast_base64url_decode(ciphertext, mutable_bytes(p.sealed).first(n));
  if (!c) return fail(refuse(c.error(), "ciphertext", "base64url"));
  auto t = fast_base64url_decode(tag, mutable_bytes(p.sealed).subspan(n));
  if (!t) return fail(refuse(t.error(), "tag", "base64url"));
  return {};
}

// The rules every recipient's joint header must pass, before any key.
template <class Epk>
[[nodiscard]] result<void> check_recipients(parsed_jwe& p, const policy& pol) {
  if (p.recipients.empty()) return fail(refuse(errc::invalid_encoding, "recipients", "none"));
  if (p.recipients.size() > pol.bounds.max_recipients)
    return fail(refuse(errc::message_too_long, "recipients", "more than max_recipients"));
  std::optional<enc> common;
  for (auto& r : p.recipients) {
    if (auto c = check_crit_and_zip(r.header, p.protected_header, pol); !c) return fail(c.error());
    auto a = header_alg(r.header, pol);
    if (!a) return fail(a.error());
    if (!is_encryption(*a)) return fail(refuse(errc::alg_not_allowed, "alg", "not a key-management algorithm"));
    r.algorithm = *a;
    auto en = string_member(r.header, "enc");
    if (!en) return fail(refuse(en.error(), "enc", "not a string"));
    if (!*en) return fail(refuse(errc::invalid_encoding, "enc", "missing"));
    const auto e = parse_enc(**en);
    if (!e) return fail(refuse(errc::unsupported, "enc", "not implemented"));
    if (!pol.encs.contains(*e)) return fail(refuse(errc::alg_not_allowed, "enc", "not in the policy"));
    if (common && *common != *e) return fail(refuse(errc::invalid_encoding, "enc", "differs between recipients"));
    common = *e;
    if (is_direct(*a) != r.encrypted_key.empty())
      return fail(refuse(errc::invalid_encoding, "encrypted_key", "present exactly when alg is not dir or ECDH-ES"));
    if (is_direct(*a) && p.recipients.size() != 1)
      return fail(refuse(errc::invalid_encoding, "recipients", "a direct key with other recipients"));
    if (is_ecdh(*a))
      if (auto epk = Epk::check(r.header, *a); !epk) return fail(epk.error());
    if (auto kid = string_member(r.header, "kid"); !kid) return fail(refuse(kid.error(), "kid", "not a string"));
  }
  p.encryption = *common;
  return {};
}

template <class Epk>
[[nodiscard]] result<parsed_jwe> parse_compact_jwe(std::string_view text, const policy& pol) {
  auto parts = split<5>(text);
  if (!parts) return fail(refuse(parts.error(), "compact", "five parts"));
  parsed_jwe p;
  auto h = decode_header((*parts)[0], pol.bounds);
  if (!h) return fail(h.error());
  p.protected_header = std::move(*h);
  auto ek = fast_base64url_decode((*parts)[1]);
  if (!ek) return fail(refuse(ek.error(), "encrypted_key", "base64url"));
  p.recipients.push_back({p.protected_header, alg::dir, std::move(*ek)});
  // The algorithms first: an object m2msec does not implement is unsupported,
  // whatever its IV looks like.
  if (auto r = check_recipients<Epk>(p, pol); !r) return fail(r.error());
  if (auto r = decode_body(p, (*parts)[2], (*parts)[3], (*parts)[4]); !r) return fail(r.error());
  p.aad = std::string((*parts)[0]);
  return p;
}

}  // namespace detail

// Parses compact JWEs under one policy, keeping the last compact protected header and
// encrypted key it read. An ESPrim session sends the same ones with every
// request; when the next object starts with the same bytes, their parse (a
// function of those bytes and the policy alone) is reused and only the IV,
// ciphertext and tag are decoded.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <class Epk = epk_check>
class compact_jwe_reader {
 public:
  explicit compact_jwe_reader(policy pol) : pol_(std::move(pol)) {}

  [[nodiscard]] result<parsed_jwe> parse(std::string_view text) {
    detail::start_refusals();
    if (text.size() > pol_.bounds.max_object) return fail(detail::refuse(errc::message_too_long, "compact", "size"));
    auto parts = split<5>(text);
    if (!parts) return fail(detail::refuse(parts.error(), "compact", "five parts"));
    const std::string_view head = text.substr(0, (*parts)[0].size() + 1 + (*parts)[1].size());
    if (!last_ || head != last_head_) {
      auto p = detail::parse_compact_jwe<Epk>(text, pol_);
      if (!p) return p;
      last_.emplace(parsed_jwe{p->form, p->protected_header, p->encryption, p->recipients, {}, {}, p->aad});
      last_head_ = head;
      return p;
    }
    parsed_jwe p = *last_;
    if (auto r = detail::decode_body(p, (*parts)[2], (*parts)[3], (*parts)[4]); !r) return fail(r.error());
    return p;
  }

 private:
  policy pol_;
  std::string last_head_;            // "header.encrypted_key" as last read
  std::optional<parsed_jwe> last_;   // its parse, without IV and body
};

}  // namespace m2msec::jose
