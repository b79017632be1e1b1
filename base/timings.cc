#include "base/timings.h"

#include <sys/resource.h>
#include <time.h>

#include <cstdio>

namespace accord::base {

double ProcessCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KB on Linux
}

std::string FormatTimings(const std::vector<Timing>& timings) {
  std::string out;
  char line[160];
  for (const Timing& t : timings) {
    std::snprintf(line, sizeof line, "%-14s %9.2f ms  (cpu %9.2f ms, peak memory %6.1f MB)\n", t.phase.c_str(),
                  t.wall_ms, t.cpu_ms, t.peak_mb);
    out += line;
  }
  return out;
}

void PhaseClock::Charge(Open& o, std::chrono::steady_clock::time_point now_wall, double now_cpu) {
  Timing& t = timings_[o.index];
  t.wall_ms += std::chrono::duration<double, std::milli>(now_wall - o.wall).count();
  t.cpu_ms += now_cpu - o.cpu;
  o.wall = now_wall;
  o.cpu = now_cpu;
}

void PhaseClock::Enter(std::string_view phase) {
  auto wall = std::chrono::steady_clock::now();
  double cpu = ProcessCpuMs();
  if (!stack_.empty()) Charge(stack_.back(), wall, cpu);
  size_t index = 0;
  while (index < timings_.size() && timings_[index].phase != phase) ++index;
  if (index == timings_.size()) timings_.push_back(Timing{std::string(phase)});
  ++timings_[index].entries;
  stack_.push_back(Open{index, wall, cpu});
}

void PhaseClock::Leave() {
  if (stack_.empty()) return;
  auto wall = std::chrono::steady_clock::now();
  double cpu = ProcessCpuMs();
  Charge(stack_.back(), wall, cpu);
  timings_[stack_.back().index].peak_mb = PeakRssMb();
  stack_.pop_back();
  if (!stack_.empty()) stack_.back().wall = wall, stack_.back().cpu = cpu;
}

}  // namespace accord::base
