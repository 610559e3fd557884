// Instruction counts (callgrind) of the raw backend call and the m2msec call,
// each run once warm between client requests. Run it through bench/callgrind.sh.
#include <valgrind/callgrind.h>

#include "key_schedule_ops.hpp"

int main() {
  std::vector<std::vector<bench::pair_case>> all;
  for (std::size_t n : {64u, 1024u, 65536u}) all.push_back(bench::cases(n));
  all.push_back(bench::key_cases());
  all.push_back(bench::key_schedule_cases());
  all.push_back({bench::sa_check_case()});
  for (auto& cs : all)
    for (auto& c : cs) {
      const std::size_t n = c.size;
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
