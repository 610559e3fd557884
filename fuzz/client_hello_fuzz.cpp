// Fuzz target: the server's own reader of the ClientHello (channel/client_hello.hpp),
// over TLS (the input cut in two feeds) and DTLS (one datagram). It never reads out
// of bounds, and its verdict does not depend on where a TLS stream is cut.
#include <cstdlib>

#include "m2msec/channel/client_hello.hpp"

using namespace m2msec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool datagram = data[0] & 1;
  const bytes_view in(data + 2, size - 2);
  (void)tls::hello_detail::host_names(in, datagram);
  if (datagram) {
    (void)tls::client_hello_reader(true).feed(in);
    return 0;
  }
  const std::size_t cut = std::min<std::size_t>(data[1], in.size());
  tls::client_hello_reader whole(false), split(false);
  const auto one = whole.feed(in);
  auto two = split.feed(in.first(cut));
  if (two == tls::hello_verdict::more) two = split.feed(in.subspan(cut));
  if (one != two) std::abort();
  return 0;
}
