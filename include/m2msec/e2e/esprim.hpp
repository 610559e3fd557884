// m2msec: ESPrim, end-to-end security of primitives (TS-0003 §8.4, TS-0001
// §11.4.2, TS-0004 §7.6.2). An Originator and a Receiver share a
// pairwiseESPrimKey; with two rand objects they derive a sessionESPrimKey
// (TS-0003 §10.3.8) that lives in a security association ending no later than
// either rand object and strictly before the pairwise key. Each request and
// response primitive travels as a JWE compact ("dir", A128/192/256GCM) inside
// a NOTIFY whose content is m2m:securityInfo with sit = 5.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "m2msec/core/rsc.hpp"
#include "m2msec/credential/symmetric.hpp"
#include "m2msec/jose/jwe.hpp"
#include "m2msec/e2e/replay_cache.hpp"
#include "m2msec/sa/bound.hpp"

namespace m2msec::esprim {

using jose::json;
using rand_object = esprim_rand_object;

// TS-0004 §6.3.4.2.40: esprimKeyGenAlgID 1 = HMAC-SHA256 (TS-0003 §10.3.8).
inline constexpr std::uint8_t key_gen_hmac_sha256 = 1;
// TS-0004 §6.3.4.2.41: esprimProtocolAndAlgID, JWE compact with this "enc".
inline constexpr std::uint8_t jwe_a128gcm = 10, jwe_a192gcm = 11, jwe_a256gcm = 12;
// TS-0004 §6.3.4.2.35: securityInfoType values ESPrim uses.
inline constexpr int sit_rand_request = 3, sit_rand_response = 4, sit_esprim_object = 5;
// TS-0004 §6.3.4.2.x: the NOTIFY operation.
inline constexpr int op_notify = 5;

[[nodiscard]] constexpr std::uint8_t protocol_id(jose::enc e) noexcept {
  return static_cast<std::uint8_t>(jwe_a128gcm + static_cast<int>(e));
}
[[nodiscard]] constexpr std::optional<jose::enc> enc_of(std::uint8_t id) noexcept {
  if (id < jwe_a128gcm || id > jwe_a256gcm) return std::nullopt;
  return static_cast<jose::enc>(id - jwe_a128gcm);
}

// Why a Receiver or Originator refused: the code to send (TS-0004 Table
// 7.6.2-1) and m2msec's reason.
struct error {
  rsc code;
  errc reason;
  friend bool operator==(const error&, const error&) = default;
};
template <class T>
using outcome = tl::expected<T, error>;
[[nodiscard]] inline tl::unexpected<error> refuse(rsc code, errc reason) noexcept { return tl::unexpected<error>(error{code, reason}); }

// ---- time: m2m:timestamp, ISO 8601 basic "YYYYMMDDTHHMMSS", UTC -------------------------

[[nodiscard]] inline std::string to_timestamp(time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd(day);
  const hh_mm_ss hms(secs - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}
// Strict: exactly "YYYYMMDDTHHMMSS", a real calendar date and time of day,
// in the years 1970-2261 that a time_point holds.
[[nodiscard]] inline result<time_point> parse_timestamp(std::string_view s) {
  using namespace std::chrono;
  if (s.size() != 15 || s[8] != 'T') return fail(errc::invalid_encoding);
  int v[6];
  const std::size_t at[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    v[i] = 0;
    for (std::size_t k = at[i]; k < at[i] + len[i]; ++k) {
      if (s[k] < '0' || s[k] > '9') return fail(errc::invalid_encoding);
      v[i] = v[i] * 10 + (s[k] - '0');
    }
  }
  const year_month_day ymd{year(v[0]), month(static_cast<unsigned>(v[1])), day(static_cast<unsigned>(v[2]))};
  if (!ymd.ok() || v[3] > 23 || v[4] > 59 || v[5] > 59) return fail(errc::invalid_encoding);
  // time_point counts nanoseconds from 1970 in 64 bits: it ends in 2262.
  if (v[0] < 1970 || v[0] > 2261) return fail(errc::invalid_encoding);
  return time_point(sys_days(ymd)) + hours(v[3]) + minutes(v[4]) + seconds(v[5]);
}

// ---- rand objects (TS-0004 §6.3.5.50/51), short names ------------------------------------

enum class role { originator, receiver };

// esprimRandValue is typed xs:NCName; m2msec writes the 128 bits as "X" and
// 32 upper-case hex digits (docs/decisions.md, A6).
[[nodiscard]] inline std::string rand_value_text(const rand_object& o) {
  std::string s = "X" + hex_encode(o.value);
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
  return s;
}

[[nodiscard]] inline json to_json(const rand_object& o, role r) {
  json j = {{"esri", o.id}, {"esrv", rand_value_text(o)}, {"esrx", to_timestamp(o.expiry)}, {"espa", o.protocol_and_alg_ids}};
  if (r == role::originator && o.key_gen_alg_ids.size() == 1) j["esk"] = o.key_gen_alg_ids[0];
  else j["esks"] = o.key_gen_alg_ids;
  return j;
}

namespace detail {
inline bool is_ncname(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; });
}
inline result<std::vector<std::uint8_t>> small_ints(const json& j) {
  if (!j.is_array() || j.empty() || j.size() > 16) return fail(errc::invalid_encoding);
  std::vector<std::uint8_t> out;
  for (const auto& v : j) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 255) return fail(errc::invalid_encoding);
    out.push_back(static_cast<std::uint8_t>(v.get<std::uint64_t>()));
  }
  return out;
}
}  // namespace detail

[[nodiscard]] inline result<rand_object> rand_object_from_json(const json& j, role r) {
  if (!j.is_object()) return fail(errc::invalid_encoding);
  rand_object o;
  auto id = jose::string_member(j, "esri");
  auto value = jose::string_member(j, "esrv");
  auto expiry = jose::string_member(j, "esrx");
  for (auto* m : {&id, &value, &expiry})
    if (!*m || !**m) return fail(errc::invalid_encoding);
  if (!detail::is_ncname(**id)) return fail(errc::invalid_encoding);
  o.id = std::string(**id);
  if ((*value)->size() != 33 || (**value)[0] != 'X') return fail(errc::invalid_encoding);
  if (auto n = hex_decode((*value)->substr(1), o.value); !n) return fail(n.error());
  if (rand_value_text(o) != **value) return fail(errc::invalid_encoding);  // upper-case only
  auto t = parse_timestamp(**expiry);
  if (!t) return fail(t.error());
  o.expiry = *t;
  const json* espa = jose::member(j, "espa");
  if (espa == nullptr) return fail(errc::invalid_encoding);
  auto p = detail::small_ints(*espa);
  if (!p) return fail(p.error());
  o.protocol_and_alg_ids = std::move(*p);
  if (r == role::originator) {
    const json* esk = jose::member(j, "esk");
    if (esk == nullptr || j.contains("esks")) return fail(errc::invalid_encoding);
    auto k = detail::small_ints(json::array({*esk}));
    if (!k) return fail(k.error());
    o.key_gen_alg_ids = std::move(*k);
  } else {
    const json* esks = jose::member(j, "esks");
    if (esks == nullptr || j.contains("esk")) return fail(errc::invalid_encoding);
    auto k = detail::small_ints(*esks);
    if (!k) return fail(k.error());
    o.key_gen_alg_ids = std::move(*k);
  }
  return o;
}

// A fresh rand object: random 128-bit value, an id `prefix` + 16 hex digits,
// expiry cut to whole seconds (the resolution of m2m:timestamp).
[[nodiscard]] inline result<rand_object> make_rand_object(char prefix, time_point expiry,
                                                          std::vector<std::uint8_t> key_gen_ids,
                                                          std::vector<std::uint8_t> protocol_ids) {
  rand_object o;
  std::array<byte, 8> id{};
  if (auto r = crypto::rng<>::fill(id); !r) return fail(r.error());
  if (auto r = crypto::rng<>::fill(o.value); !r) return fail(r.error());
  o.id = std::string(1, prefix) + hex_encode(id);
  o.expiry = std::chrono::floor<std::chrono::seconds>(expiry);
  o.key_gen_alg_ids = std::move(key_gen_ids);
  o.protocol_and_alg_ids = std::move(protocol_ids);
  return o;
}

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


// The From ("fr") of a JSON request primitive, bare or wrapped in "m2m:rqp",
// read in one pass without building the document. The text must be valid JSON
// (RFC 8259), at most 64 deep, with no member name twice in an object (so that
// no reader can see another From or another m2m:rqp), and exactly one From
// that is a string.
inline std::optional<std::string> from_of(std::string_view primitive) {
  constexpr std::size_t max_depth = 64;
  jose::json_reader r(primitive);
  std::optional<std::string> from;
  auto member = [&](std::string_view name, std::size_t depth) {
    if (name != "fr") return r.skip(depth, max_depth);
    std::string_view v;
    std::string unescaped;
    if (from || r.peek() != '"' || !r.string(v, unescaped)) return false;
    from.emplace(v);
    return true;
  };
  auto top = [&](std::string_view name) {
    if (name != "m2m:rqp") return member(name, 1);
    return r.peek() == '{' && r.object(1, max_depth, [&](std::string_view inner) { return member(inner, 2); });
  };
  if (r.peek() != '{' || !r.object(0, max_depth, top) || !r.at_end()) return std::nullopt;
  return from;
}

}  // namespace detail

// The pairwiseESPrimKey as a credential, and the `From` of the originator it is
// bound to (TS-0003 §7.2.2): an ESPrim request whose inner From differs is refused.
struct pairwise_key {
  symmetric_credential credential;  // id().value() is the pairwiseESPrimKeyID ("kid")
  std::string originator;           // the From it authenticates
};

// ---- the outer NOTIFY (TS-0001 Tables 11.4.2-1/2, TS-0004 §7.6.2) -----------------------------

// The request that carries an ESPrim object: NOTIFY to the Target, with the
// inner primitive's expirations, event category and delivery aggregation copied.
[[nodiscard]] inline json outer_request(const json& inner, std::string_view to, std::string_view from,
                                        std::string_view rqi, std::string_view jwe) {
  json outer = {{"op", op_notify}, {"to", to}, {"fr", from}, {"rqi", rqi},
                {"pc", {{"m2m:seci", {{"sit", sit_esprim_object}, {"epo", jwe}}}}}};
  for (const char* k : {"rqet", "rset", "ec", "da", "rvi"})
    if (inner.is_object() && inner.contains(k)) outer[k] = inner[k];
  return outer;
}
// The response that carries one: the RSC of the outer exchange and the object.
[[nodiscard]] inline json outer_response(std::string_view rqi, std::string_view jwe) {
  return {{"rsc", static_cast<int>(rsc::ok)}, {"rqi", rqi},
          {"pc", {{"m2m:seci", {{"sit", sit_esprim_object}, {"epo", jwe}}}}}};
}
// The ESPrim object inside an outer request or response (TS-0004 §6.3.5.48).
[[nodiscard]] inline outcome<std::string> esprim_object_of(const json& outer) {
  if (!outer.is_object()) return refuse(rsc::bad_request, errc::invalid_encoding);
  if (outer.contains("op") && outer["op"] != op_notify) return refuse(rsc::bad_request, errc::invalid_encoding);
  const json* pc = jose::member(outer, "pc");
  const json* seci = pc != nullptr ? jose::member(*pc, "m2m:seci") : nullptr;
  const json* sit = seci != nullptr ? jose::member(*seci, "sit") : nullptr;
  const json* epo = seci != nullptr ? jose::member(*seci, "epo") : nullptr;
  if (sit == nullptr || *sit != sit_esprim_object || epo == nullptr || !epo->is_string())
    return refuse(rsc::bad_request, errc::invalid_encoding);
  return epo->get<std::string>();
}
// Per-request mode: the NOTIFY content asking for a receiver rand object, and the answer.
[[nodiscard]] inline json rand_request() { return {{"m2m:seci", {{"sit", sit_rand_request}}}}; }
[[nodiscard]] inline json rand_response(const rand_object& o) {
  return {{"m2m:seci", {{"sit", sit_rand_response}, {"ero", to_json(o, role::receiver)}}}};
}
[[nodiscard]] inline result<rand_object> rand_object_of_response(const json& content) {
  const json* seci = jose::member(content, "m2m:seci");
  if (seci == nullptr || !seci->contains("sit") || (*seci)["sit"] != sit_rand_response || !seci->contains("ero"))
    return fail(errc::invalid_encoding);
  return rand_object_from_json((*seci)["ero"], role::receiver);
}

// ---- the Originator ---------------------------------------------------------------------------

// One ESPrim session as the Originator holds it.
class originator {
 public:
  // TS-0003 §8.4.2 phase B: checks the receiver's object (unexpired, HMAC-SHA256
  // offered, `e` offered), makes the originator object (expiry no later than the
  // receiver's, nor than now + lifetime), derives sessionESPrimKey into an SA
  // with `limits` (and AES-GCM's usage limit).
  template <clock Clock>
  [[nodiscard]] static outcome<originator> start(const pairwise_key& key, entity_id self, const rand_object& receiver,
                                                 jose::enc e, duration lifetime, const Clock& clk,
                                                 usage_limits limits = {}) {
    const time_point now = clk.now();
    if (auto u = check_usage(key.credential.usage(), usage_scope::esprim); !u)
      return refuse(rsc::esprim_unknown_key_id, u.error());
    if (receiver.expiry <= now) return refuse(rsc::esprim_unknown_recv_rand_id, errc::expired);
    const auto& gens = receiver.key_gen_alg_ids;
    if (std::find(gens.begin(), gens.end(), key_gen_hmac_sha256) == gens.end())
      return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    const auto& protos = receiver.protocol_and_alg_ids;
    if (std::find(protos.begin(), protos.end(), protocol_id(e)) == protos.end())
      return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    auto mine = make_rand_object('o', std::min(receiver.expiry, now + lifetime), {key_gen_hmac_sha256}, {protocol_id(e)});
    if (!mine) return refuse(rsc::esprim_encryption_error, mine.error());
    if (mine->expiry <= now) return refuse(rsc::esprim_encryption_error, errc::invalid_validity);
    auto k = detail::session_key(key.credential.key(), receiver, *mine, e);
    if (!k) return refuse(rsc::esprim_encryption_error, k.error());
    auto session = sa::bound<secret>::create(std::move(*k), {std::move(self), key.credential.id()}, key.credential,
                                             requested_lifetime::session(mine->expiry - now),
                                             with_aead_limit<crypto::aes256_gcm>(limits), clk);
    if (!session) return refuse(rsc::esprim_unknown_key_id, session.error());
    return originator(key.credential.id().value(), std::move(*mine), receiver, e, std::move(*session));
  }

  // The JWE for one request primitive. The originator object rides along
  // ("oro") until the Receiver has answered once.
  template <clock Clock>
  [[nodiscard]] outcome<std::string> protect_request(bytes_view primitive, const Clock& clk,
                                                     std::string_view cty = "application/json") {
    auto g = session_.use(usage_scope::esprim, clk, primitive.size());
    if (!g) return refuse(rsc::esprim_encryption_error, g.error());
    auto jwe = jose::seal_compact(primitive, g->key().expose(), enc_, header(cty));
    if (!jwe) return refuse(rsc::esprim_encryption_error, jwe.error());
    return std::move(*jwe);
  }

  // The response primitive from a JWE. TS-0001 §11.4.2: a response not tied to
  // this session (kid, ori, rri) is dropped.
  template <clock Clock>
  [[nodiscard]] outcome<byte_vector> unprotect_response(std::string_view jwe, const Clock& clk) {
    auto p = reader_.parse(jwe);
    if (!p) return refuse(rsc::bad_request, p.error());
    const jose::header& h = p->protected_header;
    auto same = [&](const char* name, const std::string& want) {
      auto v = jose::string_member(h, name);
      return v && *v && **v == want;
    };
    if (p->form != jose::serialization::compact) return refuse(rsc::bad_request, errc::invalid_encoding);
    if (!same("kid", kid_)) return refuse(rsc::esprim_unknown_key_id, errc::not_found);
    if (!same("ori", mine_.id)) return refuse(rsc::esprim_unknown_orig_rand_id, errc::not_found);
    if (!same("rri", theirs_.id)) return refuse(rsc::esprim_unknown_recv_rand_id, errc::not_found);
    if (p->encryption != enc_) return refuse(rsc::esprim_unsupported_option, errc::alg_not_allowed);
    auto g = session_.use(usage_scope::esprim, clk, p->sealed.size());
    if (!g) return refuse(rsc::esprim_unknown_key_id, g.error());
    auto out = jose::decrypt_direct(std::move(*p), g->key().expose());
    if (!out) return refuse(rsc::esprim_bad_mac, out.error());
    answered_ = true;
    return std::move(*out);
  }

  [[nodiscard]] const rand_object& own_rand_object() const noexcept { return mine_; }
  [[nodiscard]] const security_association& association() const noexcept { return session_.association(); }
  // The sessionESPrimKey, reached only through a checked use of the session's association.
  [[nodiscard]] sa::bound<secret>& session() noexcept { return session_; }
  // Ends the session now: every later request or response is refused.
  void close() noexcept { session_.association().close(); }

 private:
  originator(std::string kid, rand_object mine, rand_object theirs, jose::enc e, sa::bound<secret> session)
      : kid_(std::move(kid)), mine_(std::move(mine)), theirs_(std::move(theirs)), enc_(e), session_(std::move(session)) {}

  // The encoded protected header (TS-0003 §8.4.3.2), with "oro" while the
  // Receiver may not have it. It is the same for every request with the same
  // cty: written once, kept.
  [[nodiscard]] const std::string& header(std::string_view cty) {
    const bool oro = !answered_;
    if (header_.empty() || header_oro_ != oro || header_cty_ != cty) {
      std::string members = detail::esprim_members(kid_, mine_.id, theirs_.id, cty);
      if (oro) members += ",\"oro\":" + to_json(mine_, role::originator).dump();
      header_ = jose::direct_header(enc_, members);
      header_oro_ = oro;
      header_cty_ = cty;
    }
    return header_;
  }

  std::string kid_;
  rand_object mine_, theirs_;
  jose::enc enc_;
  sa::bound<secret> session_;  // sessionESPrimKey
  jose::compact_jwe_reader reader_{detail::esprim_policy()};
  bool answered_ = false;
  std::string header_, header_cty_;  // the last header written, and its cty
  bool header_oro_ = false;           // whether it carries "oro"
};

// ---- the Receiver -------------------------------------------------------------------------------

struct receiver_options {
  std::size_t max_sessions = 4096;
  std::size_t replay_entries = 65536;
  usage_limits session_limits{};  // each session's, besides AES-GCM's usage limit
  std::vector<std::uint8_t> key_gen_ids{key_gen_hmac_sha256};
  std::vector<std::uint8_t> protocol_ids{jwe_a128gcm, jwe_a192gcm, jwe_a256gcm};
};

// A request that passed every check.
struct request {
  byte_vector primitive;  // the inner primitive, as sent (JSON)
  std::string from;       // its From, checked against the pairwise key
  std::string kid, ori, rri;
  jose::enc encryption = jose::enc::a256gcm;
};

class receiver {
 public:
  explicit receiver(entity_id self, receiver_options opt = {})
      : self_(std::move(self)), opt_(std::move(opt)), replays_(opt_.replay_entries) {}

  // errc::wrong_usage for a key not provisioned for ESPrim (SUID x3).
  [[nodiscard]] result<void> add_pairwise_key(pairwise_key key) {
    if (auto u = check_usage(key.credential.usage(), usage_scope::esprim); !u) return fail(u.error());
    const std::string kid = key.credential.id().value();
    keys_.insert_or_assign(kid, std::move(key));
    return {};
  }
  void remove_pairwise_key(const std::string& kid) {
    keys_.erase(kid);
    std::erase_if(sessions_, [&](const auto& s) { return std::get<0>(s.first) == kid; });
  }

  // A receiver rand object valid for `lifetime`: shared (published in
  // e2eSecInfo as esro) or per request (sent in a sit = 4 NOTIFY response).
  template <clock Clock>
  [[nodiscard]] result<rand_object> issue_rand_object(duration lifetime, bool shared, const Clock& clk) {
    auto o = make_rand_object(shared ? 's' : 'r', clk.now() + lifetime, opt_.key_gen_ids, opt_.protocol_ids);
    if (!o) return fail(o.error());
    rands_.insert_or_assign(o->id, *o);
    return o;
  }

  // A receiver object made elsewhere (restored state, or a shared object of a
  // cluster): accepted as this Receiver's own.
  [[nodiscard]] result<void> add_rand_object(rand_object o) {
    if (!detail::is_ncname(o.id) || o.key_gen_alg_ids.empty() || o.protocol_and_alg_ids.empty())
      return fail(errc::invalid_argument);
    rands_.insert_or_assign(o.id, std::move(o));
    return {};
  }

  // TS-0003 §8.4.2 C.6, in order: (1) kid known and unexpired; (2) receiver rand
  // ID known and unexpired; (3) originator object (header or cache) unexpired
  // and not outliving the receiver's; (4) key-generation algorithm allowed;
  // (5) AEAD lists consistent; (6) AEAD decrypts; (7) inner From equals the
  // identity bound to the pairwise key. Then m2msec's replay check.
  template <clock Clock>
  [[nodiscard]] outcome<request> unprotect(std::string_view jwe, const Clock& clk) {
    const time_point now = clk.now();
    auto p = reader_.parse(jwe);
    if (!p) {
      const bool option = p.error() == errc::unsupported || p.error() == errc::alg_not_allowed;
      return refuse(option ? rsc::esprim_unsupported_option : rsc::bad_request, p.error());
    }
    if (p->form != jose::serialization::compact) return refuse(rsc::bad_request, errc::invalid_encoding);
    const jose::header& h = p->protected_header;
    auto kid = h.string("kid");
    auto ori = h.string("ori");
    auto rri = h.string("rri");
    for (auto* m : {&kid, &ori, &rri})
      if (!*m || !**m) return refuse(rsc::bad_request, errc::invalid_encoding);
    // Views into the header, which stays in *p until the end.
    const std::string_view k = **kid, o = **ori, r = **rri;

    // (1)
    auto key = keys_.find(k);
    if (key == keys_.end()) return refuse(rsc::esprim_unknown_key_id, errc::not_found);
    if (auto c = key->second.credential.lifetime().check(now); !c) return refuse(rsc::esprim_unknown_key_id, c.error());
    // (2)
    auto theirs = rands_.find(r);
    if (theirs == rands_.end()) return refuse(rsc::esprim_unknown_recv_rand_id, errc::not_found);
    if (theirs->second.expiry < now) return refuse(rsc::esprim_unknown_recv_rand_id, errc::expired);
    const rand_object& recv = theirs->second;
    // (3) from the header when sent (authenticated by step 6), else from the cache.
    std::optional<rand_object> sent;
    if (h.contains("oro")) {
      auto parsed = rand_object_from_json(h.value("oro"), role::originator);
      if (!parsed || parsed->id != o) return refuse(rsc::bad_request, errc::invalid_encoding);
      sent = std::move(*parsed);
    }
    const auto cached = originators_.find(std::tuple{k, o});
    const rand_object* orig = sent ? &*sent : cached != originators_.end() ? &cached->second : nullptr;
    if (orig == nullptr) return refuse(rsc::esprim_unknown_orig_rand_id, errc::not_found);
    if (orig->expiry < now) return refuse(rsc::esprim_unknown_orig_rand_id, errc::expired);
    if (orig->expiry > recv.expiry) return refuse(rsc::esprim_unknown_orig_rand_id, errc::invalid_validity);
    const time_point orig_expiry = orig->expiry;
    // (4)
    const auto& gens = recv.key_gen_alg_ids;
    if (orig->key_gen_alg_ids.size() != 1 || orig->key_gen_alg_ids[0] != key_gen_hmac_sha256 ||
        std::find(gens.begin(), gens.end(), orig->key_gen_alg_ids[0]) == gens.end())
      return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    // (5)
    const auto& offered = recv.protocol_and_alg_ids;
    for (auto id : orig->protocol_and_alg_ids)
      if (std::find(offered.begin(), offered.end(), id) == offered.end())
        return refuse(rsc::esprim_unsupported_option, errc::unsupported);
    const auto& chosen = orig->protocol_and_alg_ids;
    if (std::find(chosen.begin(), chosen.end(), protocol_id(p->encryption)) == chosen.end())
      return refuse(rsc::esprim_unsupported_option, errc::alg_not_allowed);
    // (6) A new session is kept only once an object under it has decrypted,
    // so a forged "oro" cannot take the place of the real one.
    const jose::enc e = p->encryption;
    std::optional<session_entry> fresh;
    sa::bound<secret>* session = nullptr;
    if (auto found = sessions_.find(std::tuple{k, r, o}); found != sessions_.end()) {
      if (found->second.encryption != e) return refuse(rsc::esprim_unsupported_option, errc::alg_not_allowed);
      session = &found->second.key;
    } else {
      auto made = new_session(key->second, recv, *orig, e, clk);
      if (!made) return tl::unexpected<error>(made.error());
      fresh.emplace(std::move(*made));
      session = &fresh->key;
    }
    auto g = session->use(usage_scope::esprim, clk, p->sealed.size());
    if (!g) return refuse(rsc::esprim_unknown_key_id, g.error());
    replay_cache::object_id seen{};
    std::copy(p->iv.begin(), p->iv.end(), seen.begin());
    std::copy(p->sealed.end() - jose::tag_size, p->sealed.end(), seen.begin() + jose::iv_size);
    replays_.prefetch(seen);
    auto plaintext = jose::decrypt_direct(std::move(*p), g->key().expose());
    if (!plaintext) return refuse(rsc::esprim_bad_mac, plaintext.error());
    if (sent) originators_.insert_or_assign(std::tuple{std::string(k), std::string(o)}, std::move(*sent));
    if (fresh) sessions_.emplace(session_id{k, r, o}, std::move(*fresh));
    // Beyond the spec: each object once while its rand objects are valid.
    if (auto once = replays_.insert(seen, std::min(orig_expiry, recv.expiry), now); !once)
      return refuse(once.error() == errc::replayed ? rsc::originator_not_authenticated : rsc::internal_server_error,
                    once.error());
    // (7) TS-0003 §7.2.2.
    request out;
    auto from = detail::from_of({reinterpret_cast<const char*>(plaintext->data()), plaintext->size()});
    if (!from) return refuse(rsc::bad_request, errc::invalid_encoding);
    if (*from != key->second.originator) return refuse(rsc::esprim_impersonation_error, errc::originator_not_authenticated);
    out.primitive = std::move(*plaintext);
    out.from = std::move(*from);
    out.kid = std::string(k);
    out.ori = std::string(o);
    out.rri = std::string(r);
    out.encryption = e;
    return out;
  }

  // The JWE for the response to `req`, under the same session key and headers.
  template <clock Clock>
  [[nodiscard]] outcome<std::string> protect_response(const request& req, bytes_view primitive, const Clock& clk,
                                                      std::string_view cty = "application/json") {
    auto s = sessions_.find(std::tie(req.kid, req.rri, req.ori));
    if (s == sessions_.end()) return refuse(rsc::esprim_encryption_error, errc::not_found);
    auto g = s->second.key.use(usage_scope::esprim, clk, primitive.size());
    if (!g) return refuse(rsc::esprim_encryption_error, g.error());
    auto jwe = jose::seal_direct(primitive, g->key().expose(), s->second.encryption,
                                         detail::esprim_members(req.kid, req.ori, req.rri, cty));
    if (!jwe) return refuse(rsc::esprim_encryption_error, jwe.error());
    return std::move(*jwe);
  }

  // Forgets rand objects, sessions and replay entries that expired before `now`.
  void purge(time_point now) {
    std::erase_if(rands_, [&](const auto& e) { return e.second.expiry < now; });
    std::erase_if(originators_, [&](const auto& e) { return e.second.expiry < now; });
    std::erase_if(sessions_, [&](const auto& e) { return !e.second.key.association().usable_at(now); });
    replays_.purge(now);
  }

  [[nodiscard]] std::size_t sessions() const noexcept { return sessions_.size(); }
  [[nodiscard]] const replay_cache& replays() const noexcept { return replays_; }

 private:
  struct session_entry {
    sa::bound<secret> key;  // sessionESPrimKey
    jose::enc encryption;
  };
  using session_id = std::tuple<std::string, std::string, std::string>;  // kid, rri, ori
  // Orders tuples of strings by their views, so that a lookup copies nothing.
  struct by_views {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return views(a) < views(b);
    }
    template <class T>
    static auto views(const T& t) noexcept {
      return std::apply([](const auto&... s) { return std::tuple{std::string_view(s)...}; }, t);
    }
  };

  // A session for (kid, rri, ori). Its SA ends at the earlier rand object's
  // expiry, and strictly before the pairwise key.
  template <clock Clock>
  outcome<session_entry> new_session(const pairwise_key& key, const rand_object& recv, const rand_object& orig,
                                     jose::enc e, const Clock& clk) {
    if (sessions_.size() >= opt_.max_sessions) {
      purge(clk.now());
      if (sessions_.size() >= opt_.max_sessions) return refuse(rsc::internal_server_error, errc::limit_reached);
    }
    const duration left = std::min(recv.expiry, orig.expiry) - clk.now();
    if (left <= duration::zero()) return refuse(rsc::esprim_unknown_orig_rand_id, errc::expired);
    auto sk = detail::session_key(key.credential.key(), recv, orig, e);
    if (!sk) return refuse(rsc::esprim_decryption_error, sk.error());
    auto session = sa::bound<secret>::create(std::move(*sk), {self_, key.credential.id()}, key.credential,
                                             requested_lifetime::session(left),
                                             with_aead_limit<crypto::aes256_gcm>(opt_.session_limits), clk);
    if (!session) return refuse(rsc::esprim_unknown_key_id, session.error());
    return session_entry{std::move(*session), e};
  }

  entity_id self_;
  receiver_options opt_;
  std::map<std::string, pairwise_key, std::less<>> keys_;
  std::map<std::string, rand_object, std::less<>> rands_;
  std::map<std::tuple<std::string, std::string>, rand_object, by_views> originators_;
  std::map<session_id, session_entry, by_views> sessions_;
  replay_cache replays_;
  jose::compact_jwe_reader reader_{detail::esprim_policy()};
};

}  // namespace m2msec::esprim
