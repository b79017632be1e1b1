// ondemand_kernels: how much simdjson's haswell (AVX2) On-Demand front end saves over the
// fallback one that a generic x86-64 build gets (issue 16). Both walk every record of a JSON
// Lines file the way accord's decoder does (one iterate per line, every field's key compared
// with the previous record's key at that position, strings read, numbers' raw text taken) and
// report the thread's CPU time per pass, the minimum of 15 passes.
//
//   bench/w/kernels/run.sh FILE.jsonl       (generates the haswell front end, builds, runs)
#include <simdjson.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "haswell_ondemand.h"

struct Pass {
  virtual ~Pass() = default;
  virtual long Run(const std::string& buf) = 0;
};

// One body for both front ends; `od` names the kernel's On-Demand namespace.
#define PASS_BODY                                                                                                  \
  long Run(const std::string& buf) override {                                                                      \
    long n = 0;                                                                                                    \
    size_t pos = 0;                                                                                                \
    while (pos < buf.size()) {                                                                                     \
      const char* nl = static_cast<const char*>(std::memchr(buf.data() + pos, '\n', buf.size() - pos));            \
      size_t end = nl ? static_cast<size_t>(nl - buf.data()) : buf.size();                                         \
      od::document doc;                                                                                            \
      od::object obj;                                                                                              \
      if (parser.iterate(buf.data() + pos, end - pos, buf.capacity() - pos).get(doc) || doc.get_object().get(obj)) \
        return -1;                                                                                                 \
      size_t at = 0;                                                                                               \
      for (auto result : obj) {                                                                                    \
        if (result.error()) return -2;                                                                             \
        od::field& f = result.value_unsafe();                                                                      \
        if (at >= keys.size()) keys.emplace_back();                                                                \
        if (!f.key().unsafe_is_equal(keys[at])) {                                                                  \
          std::string_view k;                                                                                      \
          if (f.unescaped_key().get(k)) return -3;                                                                 \
          keys[at] = std::string(k);                                                                               \
        }                                                                                                          \
        ++at;                                                                                                      \
        od::value& v = f.value();                                                                                  \
        std::string_view s;                                                                                        \
        if (!v.get_string().get(s))                                                                                \
          n += static_cast<long>(s.size());                                                                        \
        else                                                                                                       \
          n += static_cast<long>(v.raw_json_token().size());                                                       \
      }                                                                                                            \
      pos = end + 1;                                                                                               \
    }                                                                                                              \
    return n;                                                                                                      \
  }

namespace fallback_pass {
namespace od = simdjson::fallback::ondemand;
class P final : public Pass {
 public:
  PASS_BODY
  od::parser parser;
  std::vector<std::string> keys;
};
}  // namespace fallback_pass

SIMDJSON_TARGET_HASWELL
namespace haswell_pass {
namespace od = simdjson::haswell::ondemand;
class P final : public Pass {
 public:
  P() {}
  ~P() override {}
  PASS_BODY
  od::parser parser;
  std::vector<std::string> keys;
};
std::unique_ptr<Pass> Make() { return std::make_unique<P>(); }
}  // namespace haswell_pass
SIMDJSON_UNTARGET_HASWELL

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ondemand_kernels FILE.jsonl\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string buf = ss.str();
  buf.reserve(buf.size() + simdjson::SIMDJSON_PADDING);
  bool avx2 = simdjson::get_available_implementations()["haswell"]->supported_by_runtime_system();
  std::printf("stage 1 (runtime-dispatched): %s\n", simdjson::get_active_implementation()->name().c_str());
  for (int round = 0; round < 2; ++round) {
    for (int kernel = 0; kernel < (avx2 ? 2 : 1); ++kernel) {
      std::unique_ptr<Pass> p = kernel ? haswell_pass::Make() : std::make_unique<fallback_pass::P>();
      double best = 1e9;
      long n = 0;
      for (int i = 0; i < 15; ++i) {
        timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        n = p->Run(buf);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        best = std::min(best, static_cast<double>(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9);
      }
      std::printf("front end %-8s checksum %ld  CPU %.4f s per pass (min of 15)\n", kernel ? "haswell" : "fallback", n,
                  best);
    }
  }
  return 0;
}
