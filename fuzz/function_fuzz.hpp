// What the mef and maf fuzz targets share: requests read from the bytes a client
// sent, each answered by the function on one connection.
#pragma once

#include <cstdlib>

#include "m2msec/enrolment/http_binding.hpp"

namespace function_fuzz {

using namespace m2msec;

// Up to 16 requests from `in`, each handled on `c`. Every answer must have a code,
// and refusals, and only they, are not 2xxx.
template <class Function, class Connection>
void serve(Function& f, Connection& c, bytes_view in) {
  mef::http::request_reader reader;
  for (int i = 0; i < 16 && !in.empty(); ++i) {
    std::size_t used = 0;
    auto got = reader.read(in, used);
    in = in.subspan(used);
    if (!got) break;
    if (got->message) {
      auto r = f.handle(c, *got->message);
      if (static_cast<unsigned>(r.code) < 2000 || (r.refused.has_value() == (static_cast<unsigned>(r.code) < 3000)))
        std::abort();
      (void)mef::http::write_response(r);
    }
    if (got->fatal || used == 0) break;
  }
}

}  // namespace function_fuzz
