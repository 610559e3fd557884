// Fuzz target: m2msec's strict JSON reader held to nlohmann-json's verdict
// (differential). For any bytes:
//   - jose::header::parse accepts exactly what the nlohmann-based strict parse
//     (parse_object: an object, no name twice, depth-bounded) accepts, and
//     both read the same members and values;
//   - json_reader::skip accepts exactly what nlohmann-json accepts as one value;
//   - the ESPrim From reader accepts only text nlohmann-json accepts, and finds
//     the From nlohmann-json finds;
//   - a rand object read by the ESPrim reader is valid JSON and reads back the
//     same from the text m2msec writes for it.
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

  if (auto from = esprim::detail::from_of(text)) {
    const json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) std::abort();
    const json* fr = j.contains("fr") ? &j["fr"] : nullptr;
    if (fr == nullptr && j.contains("m2m:rqp") && j["m2m:rqp"].contains("fr")) fr = &j["m2m:rqp"]["fr"];
    if (fr == nullptr || !fr->is_string() || fr->get<std::string>() != *from) std::abort();
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
