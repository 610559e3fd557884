// m2msec: JWE parsing (RFC 7516 §5.2 steps 1-8), both serializations: the
// structure, sizes, headers and algorithms are checked against the caller's
// policy before any key is touched.
#pragma once

#include <string_view>

#include "m2msec/jose/json.hpp"
#include "m2msec/jose/jwe_parse_compact.hpp"

namespace m2msec::jose {

namespace detail {

template <class Epk>
[[nodiscard]] result<parsed_jwe> parse_json_jwe(std::string_view text, const policy& pol) {
  if (auto shape = check_serialization_shape(text, pol.bounds, {"unprotected", "header"}, "recipients"); !shape)
    return fail(refuse(shape.error(), "json", "shape: strings, header objects, one recipients list"));
  auto doc = parse_object(text, pol.bounds.max_object, pol.bounds.max_depth + 3);
  if (!doc) return fail(doc.error());
  const json& j = *doc;
  static constexpr std::string_view known[] = {"protected", "unprotected", "header", "encrypted_key", "recipients",
                                               "aad",       "iv",          "ciphertext", "tag"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (auto k : known) ok = ok || it.key() == k;
    if (!ok) return fail(refuse(errc::invalid_encoding, "json", "a member RFC 7516 does not define"));
  }
  parsed_jwe p;
  auto prot = b64_member(j, "protected", false);
  if (!prot) return fail(prot.error());
  if (*prot) {
    auto h = decode_header(**prot, pol.bounds);
    if (!h) return fail(h.error());
    p.protected_header = std::move(*h);
  }
  const json* shared = member(j, "unprotected");

  auto add = [&](const json& r) -> result<void> {
    if (!r.is_object()) return fail(errc::invalid_encoding);
    for (auto it = r.begin(); it != r.end(); ++it)
      if (it.key() != "header" && it.key() != "encrypted_key") return fail(errc::invalid_encoding);
    auto joint = joint_header(p.protected_header, {shared, member(r, "header")}, pol.bounds);
    if (!joint) return fail(joint.error());
    auto ek = b64_member(r, "encrypted_key", false);
    if (!ek) return fail(ek.error());
    byte_vector key;
    if (*ek) {
      auto d = fast_base64url_decode(**ek);
      if (!d) return fail(d.error());
      key = std::move(*d);
    }
    p.recipients.push_back({std::move(*joint), alg::dir, std::move(key)});
    return {};
  };
  if (const json* list = member(j, "recipients")) {
    p.form = serialization::general;
    if (j.contains("header") || j.contains("encrypted_key") || !list->is_array()) return fail(errc::invalid_encoding);
    if (list->size() > pol.bounds.max_recipients) return fail(errc::message_too_long);
    for (const auto& r : *list)
      if (auto a = add(r); !a) return fail(a.error());
  } else {
    p.form = serialization::flattened;
    json r = json::object();
    if (const json* h = member(j, "header")) r["header"] = *h;
    if (const json* k = member(j, "encrypted_key")) r["encrypted_key"] = *k;
    if (auto a = add(r); !a) return fail(a.error());
  }
  auto iv = b64_member(j, "iv", true);
  auto ct = b64_member(j, "ciphertext", true);
  auto tag = b64_member(j, "tag", true);
  auto aad = b64_member(j, "aad", false);
  for (auto* m : {&iv, &ct, &tag, &aad})
    if (!*m) return fail(refuse(m->error(), "json", "iv, ciphertext and tag are strings"));
  // The algorithms first: an object m2msec does not implement is unsupported, whatever its IV.
  if (auto r = check_recipients<Epk>(p, pol); !r) return fail(r.error());
  if (auto r = decode_body(p, **iv, **ct, **tag); !r) return fail(r.error());
  p.aad = *prot ? std::string(**prot) : std::string();
  if (*aad) {
    if (auto d = fast_base64url_decode(**aad); !d) return fail(refuse(d.error(), "aad", "base64url"));
    p.aad += '.';
    p.aad += **aad;
  }
  return p;
}

}  // namespace detail

// Checks a JWE (compact or JSON, told apart by its first character) against
// the policy without touching a key.
template <class Epk = epk_check>
[[nodiscard]] result<parsed_jwe> parse_jwe(std::string_view text, const policy& pol = {}) {
  detail::start_refusals();
  if (text.size() > pol.bounds.max_object) return fail(detail::refuse(errc::message_too_long, "json", "max_object"));
  if (!text.empty() && text.front() == '{') return detail::parse_json_jwe<Epk>(text, pol);
  return detail::parse_compact_jwe<Epk>(text, pol);
}

}  // namespace m2msec::jose
