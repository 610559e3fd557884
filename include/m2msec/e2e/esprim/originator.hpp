// m2msec: the ESPrim Originator (TS-0003 §8.4.2 phase B, §8.4.3): one session,
// its requests sealed and its responses opened under the sessionESPrimKey.
#pragma once

#include <algorithm>
#include <deque>
#include <string>

#include "m2msec/e2e/esprim/session.hpp"
#include "m2msec/jose/jwe_compact.hpp"
#include "m2msec/jose/jwe_parse_compact.hpp"
#include "m2msec/sa/bound.hpp"

namespace m2msec::esprim {

// ---- the Originator ---------------------------------------------------------------------------

// One ESPrim session as the Originator holds it.
// Thread safety: one thread at a time per object; distinct objects are independent.
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
    auto mine = make_rand_object('o', std::min(receiver.expiry, saturating_add(now, lifetime)), {key_gen_hmac_sha256}, {protocol_id(e)});
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

  // Requests sent and not answered yet are remembered by their rqi, up to this
  // many (past it the oldest is forgotten, and its response refused): a
  // session has a few requests in flight, not thousands.
  static constexpr std::size_t max_pending = 64;

  // The JWE for one request primitive: a JSON request ("op") with a Request
  // Identifier ("rqi") not already waiting for its response (errc::invalid_argument
  // otherwise). The originator object rides along ("oro") until the Receiver
  // has answered once.
  template <clock Clock>
  [[nodiscard]] outcome<std::string> protect_request(bytes_view primitive, const Clock& clk,
                                                     std::string_view cty = "application/json") {
    auto fields = detail::fields_of({reinterpret_cast<const char*>(primitive.data()), primitive.size()});
    if (!fields || !fields->request() || !fields->request_id ||
        std::find(pending_.begin(), pending_.end(), *fields->request_id) != pending_.end())
      return refuse(rsc::bad_request, errc::invalid_argument);
    auto g = session_.use(usage_scope::esprim, clk, primitive.size());
    if (!g) return refuse(rsc::esprim_encryption_error, g.error());
    auto jwe = jose::seal_compact(primitive, g->key().expose(), enc_, header(cty));
    if (!jwe) return refuse(rsc::esprim_encryption_error, jwe.error());
    if (pending_.size() == max_pending) pending_.pop_front();
    pending_.push_back(std::move(*fields->request_id));
    return std::move(*jwe);
  }

  // The response primitive from a JWE. TS-0001 §11.4.2: a response not tied to
  // this session (kid, ori, rri) is dropped. Then the plaintext must be a
  // response ("rsc", no "op": errc::invalid_encoding, as for a request
  // reflected back) to a request of this session still waiting for it
  // (errc::replayed when none is: answered already, or never sent), and, when
  // `request_id` is given, to that request (errc::not_found). Each response is
  // accepted once.
  template <clock Clock>
  [[nodiscard]] outcome<byte_vector> unprotect_response(std::string_view jwe, const Clock& clk,
                                                        std::string_view request_id = {}) {
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
    auto refused = [&](errc e) {
      ct::wipe(*out);
      return refuse(rsc::bad_request, e);
    };
    const auto fields = detail::fields_of({reinterpret_cast<const char*>(out->data()), out->size()});
    if (!fields || !fields->response() || !fields->request_id) return refused(errc::invalid_encoding);
    if (!request_id.empty() && *fields->request_id != request_id) return refused(errc::not_found);
    const auto waiting = std::find(pending_.begin(), pending_.end(), *fields->request_id);
    if (waiting == pending_.end()) return refused(errc::replayed);
    pending_.erase(waiting);
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
      if (oro) members += ",\"oro\":" + rand_object_text(mine_, role::originator);
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
  // ESPrim objects are "dir" alone (its policy allows no other alg): no EC or RSA code.
  jose::compact_jwe_reader<jose::no_key_agreement> reader_{detail::esprim_policy()};
  std::deque<std::string> pending_;  // rqi of each request sent and not answered, oldest first
  bool answered_ = false;
  std::string header_, header_cty_;  // the last header written, and its cty
  bool header_oro_ = false;           // whether it carries "oro"
};

}  // namespace m2msec::esprim
