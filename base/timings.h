// Where a command's time went (`--timings`): per phase, the wall time, the process's CPU time
// (every thread, user + system: it stays meaningful on a loaded machine) and the peak resident
// memory when the phase last ended. Shared by `accord check` (one timer per pipeline stage) and
// `accord run`/`plan` (phases entered many times, nested: the time of a nested phase is not
// counted again in the phase around it).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace accord::base {

// The process's CPU time so far (every thread, user + system), in milliseconds.
double ProcessCpuMs();
// The process's peak resident memory so far, in MB.
double PeakRssMb();

struct Timing {
  std::string phase;
  double wall_ms = 0;
  double cpu_ms = 0;
  double peak_mb = 0;   // the process's peak resident memory when the phase last ended
  int64_t entries = 0;  // how many times the phase was entered
};

// One line per phase: "read             123.45 ms  (cpu   120.00 ms, peak memory   42.0 MB)".
std::string FormatTimings(const std::vector<Timing>& timings);

// Exclusive time per phase: entering a phase pauses the one around it, leaving resumes it.
// Phases keep the order in which they were first entered.
class PhaseClock {
 public:
  void Enter(std::string_view phase);
  void Leave();
  // The phases so far (a phase still entered counts up to now only once it is left).
  const std::vector<Timing>& timings() const { return timings_; }

 private:
  struct Open {
    size_t index;
    std::chrono::steady_clock::time_point wall;
    double cpu;
  };
  void Charge(Open& o, std::chrono::steady_clock::time_point now_wall, double now_cpu);
  std::vector<Timing> timings_;
  std::vector<Open> stack_;
};

// Enters a phase for one scope; a null clock measures nothing (the cost when --timings is off).
class ScopedPhase {
 public:
  ScopedPhase(PhaseClock* clock, std::string_view phase) : clock_(clock) {
    if (clock_) clock_->Enter(phase);
  }
  ~ScopedPhase() {
    if (clock_) clock_->Leave();
  }
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  PhaseClock* clock_;
};

}  // namespace accord::base
