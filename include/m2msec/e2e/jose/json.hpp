// m2msec: strict JSON for JOSE. RFC 7515 §5.2 step 4 and RFC 7516 §5.2 step 4:
// a header with duplicate member names is rejected (nlohmann-json would keep the
// last one silently), and so is anything too long or too deep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "m2msec/core/result.hpp"

namespace m2msec::jose {

using json = nlohmann::json;

// Bounds decided before any key is touched.
struct limits {
  std::size_t max_object = std::size_t{16} << 20;  // a whole serialized JWE/JWS
  std::size_t max_header = 4096;                    // each header, decoded
  std::size_t max_recipients = 16;                  // JWE recipients / JWS signatures
  std::size_t max_depth = 8;                        // JSON nesting inside a header
};

// Parses text as one JSON value, refusing duplicate member names at any depth,
// nesting deeper than max_depth, and text longer than max_size.
[[nodiscard]] inline result<json> parse_strict(std::string_view text, std::size_t max_size, std::size_t max_depth) {
  if (text.size() > max_size) return fail(errc::message_too_long);
  // Members seen in each open object; an object that ends up with fewer
  // members than names were read had a name twice.
  std::vector<std::size_t> members;
  members.reserve(max_depth + 1);
  bool bad = false;
  auto check = [&](int depth, json::parse_event_t event, json& value) {
    switch (event) {
      case json::parse_event_t::object_start:
        members.push_back(0);
        [[fallthrough]];
      case json::parse_event_t::array_start:
        if (static_cast<std::size_t>(depth) >= max_depth) bad = true;
        break;
      case json::parse_event_t::key:
        if (!members.empty()) ++members.back();
        break;
      case json::parse_event_t::object_end:
        if (!members.empty()) {
          if (value.size() != members.back()) bad = true;
          members.pop_back();
        }
        break;
      default: break;
    }
    return true;
  };
  json j = json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
  if (j.is_discarded() || bad) return fail(errc::invalid_encoding);
  return j;
}

// A JSON object parsed strictly (the JOSE header and JSON serialization rule).
[[nodiscard]] inline result<json> parse_object(std::string_view text, std::size_t max_size, std::size_t max_depth) {
  auto j = parse_strict(text, max_size, max_depth);
  if (j && !j->is_object()) return fail(errc::invalid_encoding);
  return j;
}

// Member access that tells absence from a wrong type.
[[nodiscard]] inline const json* member(const json& obj, std::string_view name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}
// A string member: nullopt when absent, invalid_encoding when not a string.
[[nodiscard]] inline result<std::optional<std::string_view>> string_member(const json& obj, std::string_view name) {
  const json* m = member(obj, name);
  if (m == nullptr) return std::optional<std::string_view>{};
  if (!m->is_string()) return fail(errc::invalid_encoding);
  return std::optional<std::string_view>{m->get_ref<const std::string&>()};
}

}  // namespace m2msec::jose
