// m2msec: an ESPrim session's pieces: the sessionESPrimKey (TS-0003 §10.3.8), the
// JOSE policy and protected header of its objects, the inner From, the pairwise key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "m2msec/credential/symmetric.hpp"
#include "m2msec/e2e/esprim/rand_object.hpp"
#include "m2msec/jose/common.hpp"
#include "m2msec/jose/reader.hpp"

namespace m2msec::esprim {

// ---- the session key ------------------------------------------------------------------------

namespace detail {
// TS-0003 §10.3.8: sessionESPrimKey = HMAC-SHA256(pairwiseESPrimKey, receiver || originator || label),
// used as the CEK; A128GCM and A192GCM take its first 16 or 24 bytes (docs/decisions.md).
inline result<secret> session_key(const secret& pairwise, const rand_object& receiver, const rand_object& originator,
                                  jose::enc e) {
  std::array<byte, 32> full{};
  auto r = derive_session_esprim_key(pairwise.expose(), receiver, originator, full);
  if (!r) return fail(r.error());
  auto k = secret::copy_of(bytes_view(full).first(jose::key_size(e)));
  ct::wipe(full.data(), full.size());
  return k;
}

inline jose::policy esprim_policy() {
  jose::policy p;
  p.algs = jose::alg_set{jose::alg::dir};
  return p;
}

// The ESPrim members of the protected header, after alg and enc. TS-0003 §8.4.3.2.
inline std::string esprim_members(std::string_view kid, std::string_view ori, std::string_view rri,
                                  std::string_view cty) {
  std::string m;
  m.reserve(kid.size() + ori.size() + rri.size() + cty.size() + 40);
  jose::append_string_member(m, "kid", kid);
  jose::append_string_member(m, "ori", ori);
  jose::append_string_member(m, "rri", rri);
  if (!cty.empty()) jose::append_string_member(m, "cty", cty);
  return m;
}


// What ESPrim checks in a JSON primitive, bare or wrapped in "m2m:rqp" or
// "m2m:rsp", read in one pass without building the document: the From ("fr")
// and Request Identifier ("rqi"), each a string when present, and whether it
// carries an Operation ("op", a request) or a Response Status Code ("rsc", a
// response). The text must be valid JSON (RFC 8259), at most 64 deep, with no
// member name twice in an object (so that no reader can see another From, rqi
// or wrapper).
struct primitive_fields {
  std::optional<std::string> from, request_id;
  bool operation = false, status = false;
  [[nodiscard]] bool request() const noexcept { return operation && !status; }
  [[nodiscard]] bool response() const noexcept { return status && !operation; }
};
inline std::optional<primitive_fields> fields_of(std::string_view primitive) {
  constexpr std::size_t max_depth = 64;
  jose::json_reader r(primitive);
  primitive_fields f;
  auto text = [&](std::optional<std::string>& out) {
    std::string_view v;
    std::string unescaped;
    if (r.peek() != '"' || !r.string(v, unescaped)) return false;
    out.emplace(v);
    return true;
  };
  // Names compared inline (jose::same_name), not through memcmp calls.
  using jose::same_name;
  auto member = [&](std::string_view name, std::size_t depth) {
    if (same_name(name, "fr")) return !f.from && text(f.from);
    if (same_name(name, "rqi")) return !f.request_id && text(f.request_id);
    if (same_name(name, "op")) f.operation = true;
    if (same_name(name, "rsc")) f.status = true;
    return r.skip(depth, max_depth);
  };
  bool wrapped = false;
  auto top = [&](std::string_view name) {
    if (!same_name(name, "m2m:rqp") && !same_name(name, "m2m:rsp")) return member(name, 1);
    if (wrapped) return false;  // one wrapper
    wrapped = true;
    return r.peek() == '{' && r.object(1, max_depth, [&](std::string_view inner) { return member(inner, 2); });
  };
  if (r.peek() != '{' || !r.object(0, max_depth, top) || !r.at_end()) return std::nullopt;
  return f;
}
// The From of a JSON primitive (see fields_of), when there is exactly one.
inline std::optional<std::string> from_of(std::string_view primitive) {
  auto f = fields_of(primitive);
  if (!f) return std::nullopt;
  return std::move(f->from);
}

}  // namespace detail

// The pairwiseESPrimKey as a credential, and the `From` of the originator it is
// bound to (TS-0003 §7.2.2): an ESPrim request whose inner From differs is refused.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct pairwise_key {
  symmetric_credential credential;  // id().value() is the pairwiseESPrimKeyID ("kid")
  std::string originator;           // the From it authenticates
};

}  // namespace m2msec::esprim
