// Instruction counts (callgrind) of the raw backend call and the m2msec call,
// each run once warm between client requests. Run it through bench/callgrind.sh.
#include <valgrind/callgrind.h>

#include "primitive_ops.hpp"

int main() {
  for (std::size_t n : {64u, 1024u, 65536u})
    for (auto& c : bench::cases(n)) {
      c.raw();  // warm: lazy binding, CPU dispatch, first-use buffers
      c.lib();
      const std::string id = c.name + "/" + std::to_string(n), raw = "raw/" + id, lib = "lib/" + id;
      CALLGRIND_ZERO_STATS;
      c.raw();
      CALLGRIND_DUMP_STATS_AT(raw.c_str());
      c.lib();
      CALLGRIND_DUMP_STATS_AT(lib.c_str());
    }
  return 0;
}
