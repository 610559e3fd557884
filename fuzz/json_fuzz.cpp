// Fuzz target: m2msec's strict JSON reader held to nlohmann-json's verdict
// (differential). For any bytes:
//   - jose::header::parse accepts exactly what the nlohmann-based strict parse
//     (parse_object: an object, no name twice, depth-bounded) accepts, and
//     both read the same members and values;
//   - json_reader::skip accepts exactly what nlohmann-json accepts as one value;
//   - the ESPrim primitive reader accepts only text nlohmann-json accepts, and
//     finds the From, rqi, op and rsc nlohmann-json finds;
//   - a rand object read by the ESPrim reader is valid JSON and reads back the
//     same from the text m2msec writes for it;
//   - a JWK or JWK set m2msec reads is valid JSON and reads back from its output.
// One known difference: nlohmann-json takes a NUL byte for the end of the
// input and accepts `{}\0junk`; RFC 8259 has no such rule, and m2msec refuses
// any NUL outside a string (inside one it is a control character for both).
// Seeds: fuzz/corpus/json.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include "m2msec/e2e/esprim.hpp"
#include "m2msec/e2e/esprim/notify.hpp"
#include "m2msec/jose/jwk_set.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace m2msec;
  using jose::json;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t depth = 8;
  const jose::limits lim{.max_header = 1 << 20, .max_depth = depth};

  const bool has_nul = text.find('\0') != std::string_view::npos;
  auto mine = jose::header::parse(std::string(text), lim);
  auto theirs = jose::parse_object(text, lim.max_header, depth);
  if (mine.has_value() != (theirs.has_value() && !has_nul)) std::abort();
  if (mine && jose::to_json(*mine) != *theirs) std::abort();

  // One value of any kind, nesting well below the recursion nlohmann allows.
  if (std::count(text.begin(), text.end(), '[') + std::count(text.begin(), text.end(), '{') < 200) {
    jose::json_reader r(text, /*refuse_duplicates=*/false);
    const bool ours = r.skip(0, 256) && r.at_end();
    if (ours != (json::accept(text.begin(), text.end()) && !has_nul)) std::abort();
  }

  if (auto f = esprim::detail::fields_of(text)) {
    const json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) std::abort();
    const json* wrapper = nullptr;
    for (const char* w : {"m2m:rqp", "m2m:rsp"}) {
      if (!j.contains(w)) continue;
      if (wrapper != nullptr || !j[w].is_object()) std::abort();  // fields_of takes one object wrapper
      wrapper = &j[w];
    }
    // A member at the top or in the wrapper, never both.
    auto look = [&](const char* name) -> const json* {
      const json* top = j.contains(name) ? &j[name] : nullptr;
      const json* inner = wrapper != nullptr && wrapper->contains(name) ? &(*wrapper)[name] : nullptr;
      if (top != nullptr && inner != nullptr && (std::string_view(name) == "fr" || std::string_view(name) == "rqi"))
        std::abort();
      return top != nullptr ? top : inner;
    };
    auto same = [&](const char* name, const std::optional<std::string>& ours) {
      const json* theirs = look(name);
      if (!ours) return theirs == nullptr;
      return theirs != nullptr && theirs->is_string() && theirs->get<std::string>() == *ours;
    };
    if (!same("fr", f->from) || !same("rqi", f->request_id)) std::abort();
    if (f->operation != (look("op") != nullptr) || f->status != (look("rsc") != nullptr)) std::abort();
  }
  // A JWK and a JWK set read by the strict reader are JSON, and read back from
  // what m2msec writes for them (private members included).
  const jose::alg_set any{jose::alg::hs256, jose::alg::es256, jose::alg::rs256, jose::alg::ecdh_es, jose::alg::a128kw};
  if (auto k = jose::jwk::parse(text, any, {}, /*fitting=*/true)) {
    if (!json::accept(text.begin(), text.end())) std::abort();
    const auto again = k->to_json(true).dump();
    auto back = jose::jwk::parse(std::string_view(again.data(), again.size()), k->uses());
    if (!back || !(back->private_part() == k->private_part())) std::abort();
  }
  if (auto set = jose::jwk_set::parse(text, any)) {
    if (!json::accept(text.begin(), text.end())) std::abort();
    const auto again = set->to_json(true).dump();
    auto back = jose::jwk_set::parse(std::string_view(again.data(), again.size()), any);
    if (!back || back->size() != set->size()) std::abort();
  }
  for (auto role : {esprim::role::originator, esprim::role::receiver}) {
    auto o = esprim::parse_rand_object(text, role);
    if (!o) continue;
    if (!json::accept(text.begin(), text.end())) std::abort();
    auto back = esprim::parse_rand_object(esprim::rand_object_text(*o, role), role);
    if (!back || back->id != o->id || back->value != o->value || back->expiry != o->expiry ||
        back->key_gen_alg_ids != o->key_gen_alg_ids || back->protocol_and_alg_ids != o->protocol_and_alg_ids)
      std::abort();
  }
  return 0;
}
