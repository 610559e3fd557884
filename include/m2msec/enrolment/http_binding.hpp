// m2msec: the MEF's primitives over HTTP (TS-0009 §6, the oneM2M HTTP binding),
// parsed and written by Boost.Beast, with no I/O: bytes a channel delivered in,
// bytes for the channel to send out. Bodies that carry a key stay in wiping memory.
#pragma once

#include <charconv>
#include <memory>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include "m2msec/enrolment/mef_protocol.hpp"

namespace m2msec::mef::http {

namespace beast_http = boost::beast::http;
using wiping_body = beast_http::basic_string_body<char, std::char_traits<char>, jose::wiping_allocator<char>>;

inline constexpr std::size_t max_header = 4096;

// TS-0009 §6.2.2: the oneM2M operation as an HTTP method.
[[nodiscard]] constexpr beast_http::verb method_of(operation op) noexcept {
  switch (op) {
    case operation::create: return beast_http::verb::post;
    case operation::retrieve: return beast_http::verb::get;
    case operation::update: return beast_http::verb::put;
    case operation::del: return beast_http::verb::delete_;
  }
  return beast_http::verb::get;
}
[[nodiscard]] constexpr std::optional<operation> operation_of(beast_http::verb v) noexcept {
  switch (v) {
    case beast_http::verb::post: return operation::create;
    case beast_http::verb::get: return operation::retrieve;
    case beast_http::verb::put: return operation::update;
    case beast_http::verb::delete_: return operation::del;
    default: return std::nullopt;
  }
}
// TS-0009 §6.4.2 (Table 6.4.2-1): the HTTP status of a response status code.
[[nodiscard]] constexpr unsigned status_of(rsc code) noexcept {
  const auto v = static_cast<unsigned>(code);
  switch (code) {
    case rsc::created: return 201;
    case rsc::not_found: return 404;
    case rsc::operation_not_allowed: return 405;
    case rsc::unsupported_media_type: return 415;
    case rsc::originator_has_no_privilege:
    case rsc::originator_not_authenticated:
    case rsc::security_association_required: return 403;
    default: return v < 3000 ? 200 : v < 5000 ? 400 : 500;
  }
}

namespace binding_detail {
template <bool IsRequest, class Body, class Out>
void serialize(beast_http::message<IsRequest, Body>& m, Out& out) {
  m.prepare_payload();
  beast_http::serializer<IsRequest, Body> sr{m};
  boost::beast::error_code ec;
  while (!sr.is_done() && !ec)
    sr.next(ec, [&](boost::beast::error_code&, const auto& bufs) {
      std::size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(bufs)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
}
inline std::string_view field(const auto& m, std::string_view name) {
  auto it = m.find(boost::beast::string_view(name.data(), name.size()));
  if (it == m.end()) return {};
  return {it->value().data(), it->value().size()};
}
// TS-0009 §6.5: the JSON serialization, with optional parameters (";ty=...").
inline bool json_content(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type == "application/json" || type == "application/vnd.onem2m-res+json";
}
}  // namespace binding_detail

// A request primitive as an HTTP request to `host` (TS-0009 §6.2, §6.3: X-M2M-Origin, X-M2M-RI).
[[nodiscard]] inline jose::wiping_string write_request(const request& r, std::string_view host) {
  beast_http::request<wiping_body> m{method_of(r.op), "/" + r.to, 11};
  m.set(beast_http::field::host, boost::beast::string_view(host.data(), host.size()));
  m.set("X-M2M-Origin", r.from);
  m.set("X-M2M-RI", r.rqi);
  m.set(beast_http::field::accept, "application/json");
  if (!r.body.empty()) m.set(beast_http::field::content_type, "application/json");
  m.body() = r.body;
  jose::wiping_string out;
  binding_detail::serialize(m, out);
  return out;
}

// A response primitive as an HTTP response (TS-0009 §6.4: X-M2M-RSC, X-M2M-RI).
[[nodiscard]] inline jose::wiping_string write_response(const response& r) {
  beast_http::response<wiping_body> m{static_cast<beast_http::status>(status_of(r.code)), 11};
  m.set("X-M2M-RSC", std::to_string(static_cast<unsigned>(r.code)));
  if (!r.rqi.empty()) m.set("X-M2M-RI", r.rqi);
  if (!r.body.empty()) m.set(beast_http::field::content_type, "application/json");
  m.body() = r.body;
  jose::wiping_string out;
  binding_detail::serialize(m, out);
  return out;
}

// What a reader gives for one message: a primitive, or a refusal. A refusal
// that framing caused (`fatal`) ends the connection; one of a whole message
// (a wrong content type, a missing header) does not.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <class Primitive>
struct reading {
  std::optional<Primitive> message;
  errc refused = errc::invalid_encoding;
  rsc code = rsc::bad_request;
  bool fatal = false;
  std::string rqi;  // of the refused request, when it had one
};

// Reads HTTP messages from the bytes a channel delivered, one parser per message
// (Beast's rule). `Body` is where the message body goes: wiping memory for a
// client, which reads keys.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <bool IsRequest, class Body>
class reader {
 public:
  explicit reader(std::size_t body_limit = max_body) : body_limit_(body_limit) { reset(); }

  // Consumes what it can of `in` (the caller drops `used` bytes); a message when
  // one is complete, nothing when more bytes are needed.
  [[nodiscard]] std::optional<beast_http::message<IsRequest, Body>> read(bytes_view in, std::size_t& used,
                                                                          std::optional<errc>& error) {
    used = 0;
    error.reset();
    while (used < in.size()) {
      boost::beast::error_code ec;
      used += parser_->put(boost::asio::buffer(in.data() + used, in.size() - used), ec);
      if (ec == beast_http::error::need_more) return std::nullopt;
      if (ec) {
        error = (ec == beast_http::error::body_limit || ec == beast_http::error::header_limit) ? errc::message_too_long
                                                                                                : errc::invalid_encoding;
        reset();
        return std::nullopt;
      }
      if (parser_->is_done()) {
        auto m = parser_->release();
        reset();
        return m;
      }
    }
    return std::nullopt;
  }

 private:
  void reset() {
    parser_ = std::make_unique<beast_http::parser<IsRequest, Body>>();
    parser_->header_limit(static_cast<std::uint32_t>(max_header));
    parser_->body_limit(body_limit_);
    // Not eager: Boost 1.74's response parser goes on after a body_limit error
    // when eager, and reserves the Content-Length it had just refused.
    parser_->eager(false);
  }
  std::size_t body_limit_;
  std::unique_ptr<beast_http::parser<IsRequest, Body>> parser_;
};

// The server's side: request primitives from HTTP requests.
// Thread safety: one thread at a time per object; distinct objects are independent.
class request_reader {
 public:
  [[nodiscard]] std::optional<reading<request>> read(bytes_view in, std::size_t& used) {
    std::optional<errc> error;
    auto m = reader_.read(in, used, error);
    if (error) return reading<request>{std::nullopt, *error, rsc::bad_request, true, {}};
    if (!m) return std::nullopt;
    reading<request> out;
    out.rqi = std::string(binding_detail::field(*m, "X-M2M-RI"));
    const auto from = binding_detail::field(*m, "X-M2M-Origin");
    const auto op = operation_of(m->method());
    const std::string_view target(m->target().data(), m->target().size());
    if (!op) {
      out.refused = errc::unsupported;
      out.code = rsc::operation_not_allowed;
      return out;
    }
    if (out.rqi.empty() || out.rqi.size() > max_rqi || from.empty() || !target.starts_with('/')) {
      out.refused = errc::invalid_argument;
      return out;
    }
    if (!m->body().empty() && !binding_detail::json_content(binding_detail::field(*m, "Content-Type"))) {
      out.refused = errc::unsupported;
      out.code = rsc::unsupported_media_type;
      return out;
    }
    out.message = request{*op, std::string(target.substr(1)), std::string(from), out.rqi, std::move(m->body())};
    return out;
  }

 private:
  reader<true, wiping_body> reader_{max_body};
};

// The client's side: response primitives from HTTP responses.
// Thread safety: one thread at a time per object; distinct objects are independent.
class response_reader {
 public:
  [[nodiscard]] std::optional<reading<response>> read(bytes_view in, std::size_t& used) {
    std::optional<errc> error;
    auto m = reader_.read(in, used, error);
    if (error) return reading<response>{std::nullopt, *error, rsc::bad_request, true, {}};
    if (!m) return std::nullopt;
    reading<response> out;
    out.rqi = std::string(binding_detail::field(*m, "X-M2M-RI"));
    const auto text = binding_detail::field(*m, "X-M2M-RSC");
    unsigned code = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec != std::errc{} || end != text.data() + text.size() || code < 1000 || code > 6999) {
      out.fatal = true;
      return out;
    }
    out.message = response{static_cast<rsc>(code), out.rqi, std::move(m->body()), std::nullopt};
    return out;
  }

 private:
  reader<false, wiping_body> reader_{2 * max_body};
};

}  // namespace m2msec::mef::http
