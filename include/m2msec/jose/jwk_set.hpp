// m2msec: a JWK Set (RFC 7517 §5): the keys a party publishes or holds, looked up
// by "kid". No "kid" appears twice, and a set either holds private material in
// every key or in none: a set meant to be published cannot carry a secret by
// mistake, and a key ring cannot hide a public-only key that decrypts nothing.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/jose/jwk.hpp"

namespace m2msec::jose {

// Thread safety: one thread at a time per object; distinct objects are independent.
class jwk_set {
 public:
  static constexpr std::size_t max_keys = 256;

  // The set of these keys, checked: at most max_keys, distinct kids (where
  // given: RFC 7517 §4.5), all private or all public.
  [[nodiscard]] static result<jwk_set> make(std::vector<jwk> keys) {
    if (keys.size() > max_keys) return fail(errc::message_too_long);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].has_private() != keys.front().has_private()) return fail(errc::invalid_key);
      if (keys[i].kid().empty()) continue;
      for (std::size_t k = 0; k < i; ++k)
        if (keys[k].kid() == keys[i].kid()) return fail(errc::invalid_encoding);
    }
    jwk_set s;
    s.keys_ = std::move(keys);
    return s;
  }

  // RFC 7517 §5 from text: {"keys": [JWK, ...]} read by the strict reader, each
  // key by jwk::parse (its private members straight into wiped memory); a key
  // that names no "alg" gets those of `uses` it can serve. Other members of the set are ignored
  // (§5); so is a key whose "kty" m2msec does not know (§5: SHOULD ignore).
  [[nodiscard]] static result<jwk_set> parse(std::string_view text, alg_set uses = {}, const limits& lim = {}) {
    if (text.size() > max_keys * lim.max_header) return fail(errc::message_too_long);
    std::vector<jwk> keys;
    std::optional<errc> refused;
    bool seen = false;
    json_reader r(text);
    auto on_key = [&] {
      if (keys.size() == max_keys) {
        refused = errc::message_too_long;
        return false;
      }
      const char c = r.peek();
      const std::size_t start = r.offset();
      if (c != '{' || !r.skip(1, lim.max_depth + 1)) return false;
      const std::string_view raw = text.substr(start, r.offset() - start);
      auto k = jwk::parse(raw, uses, lim, /*fitting=*/true);
      if (!k) {
        if (k.error() == errc::unsupported && unknown_kty()) return true;
        refused = k.error();
        return false;
      }
      keys.push_back(std::move(*k));
      return true;
    };
    auto on_member = [&](std::string_view name) {
      if (name == "keys") {
        seen = true;
        return r.peek() == '[' && r.array(1, lim.max_depth + 1, on_key);
      }
      return r.skip(1, lim.max_depth + 1);
    };
    if (r.peek() != '{' || !r.object(0, lim.max_depth + 1, on_member) || !r.at_end() || !seen)
      return fail(refused.value_or(errc::invalid_encoding));
    return make(std::move(keys));
  }

  // {"keys": [...]}, each key as jwk::to_json gives it.
  [[nodiscard]] secret_json to_json(bool with_private = false) const {
    secret_json list = secret_json::array();
    for (const auto& k : keys_) list.push_back(k.to_json(with_private));
    secret_json j = secret_json::object();
    j["keys"] = std::move(list);
    return j;
  }

  // The key with this kid, or null.
  [[nodiscard]] const jwk* find(std::string_view kid) const noexcept {
    for (const auto& k : keys_)
      if (!kid.empty() && k.kid() == kid) return &k;
    return nullptr;
  }
  [[nodiscard]] std::span<const jwk> keys() const noexcept { return keys_; }
  // The keys as decrypt() and verify() take them.
  [[nodiscard]] std::vector<const jwk*> pointers() const {
    std::vector<const jwk*> out;
    for (const auto& k : keys_) out.push_back(&k);
    return out;
  }
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }
  // Whether the keys hold private material (all of them do, or none).
  [[nodiscard]] bool has_private() const noexcept { return !keys_.empty() && keys_.front().has_private(); }

 private:
  // Whether jwk::parse refused the key for its "kty" (one m2msec does not read:
  // skipped), not for an unsupported curve or algorithm of a known type (refused).
  // jwk::parse says so in last_refusal(), so the key's text is read once.
  static bool unknown_kty() noexcept {
    const auto& why = last_refusal();
    return why.member == "kty" && why.check == "not implemented";
  }

  std::vector<jwk> keys_;
};

}  // namespace m2msec::jose
