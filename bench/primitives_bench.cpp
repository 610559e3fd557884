// The m2msec primitive path beside the raw backend call, at 64 B, 1 KiB and
// 64 KiB; prints the ratio m2msec/raw (1.00 = no overhead) after the run.
// Wall-clock ratios on a shared machine move by several percent from run to
// run: use --benchmark_repetitions=5 (medians are compared), and
// bench/callgrind.sh for instruction counts, which do not move.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>

#include "key_schedule_ops.hpp"

namespace {

std::map<std::string, std::pair<double, double>> times;  // "name/size" -> (raw ns, lib ns)

class recording_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      // With --benchmark_repetitions, compare medians; otherwise the single run.
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      const std::string name = r.run_name.str();
      const bool raw = name.rfind("raw/", 0) == 0;
      auto& t = times[name.substr(4)];
      (raw ? t.first : t.second) = r.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<std::vector<bench::pair_case>> all;
  for (std::size_t n : {64u, 1024u, 65536u}) all.push_back(bench::cases(n));
  all.push_back(bench::key_cases());
  all.push_back(bench::key_schedule_cases());
  all.push_back({bench::sa_check_case()});
  for (auto& cs : all)
    for (auto& c : cs) {
      const std::string id = c.name + "/" + std::to_string(c.size);
      for (const char* kind : {"raw/", "lib/"}) {
        auto& f = std::string(kind) == "raw/" ? c.raw : c.lib;
        benchmark::RegisterBenchmark((kind + id).c_str(), [&f, n = c.size](benchmark::State& st) {
          for (auto _ : st) f();
          if (n != 0) st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * n));
        });
      }
    }
  recording_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%-40s %8s %12s %12s %8s\n", "operation", "bytes", "raw ns", "m2msec ns", "ratio");
  for (const auto& [id, t] : times) {
    if (t.first == 0 || t.second == 0) continue;
    const auto slash = id.rfind('/');
    const std::string bytes = id.substr(slash + 1) == "0" ? "-" : id.substr(slash + 1);
    std::printf("%-40s %8s %12.1f %12.1f %8.3f\n", id.substr(0, slash).c_str(), bytes.c_str(), t.first,
                t.second, t.second / t.first);
  }
  benchmark::Shutdown();
}
