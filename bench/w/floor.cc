// w_floor: the parse-only floor of workload W (bench/w/README.md). Reads a JSON Lines file
// with simdjson's On-Demand API (iterate_many) and touches every value of every record
// (string lengths, numbers, booleans, nulls, nested objects), writing nothing per record. No
// mapping engine can read the input faster than this, so it bounds `accord map` from below.
//
//   w_floor FILE.jsonl     (or - for standard input)
//
// Prints the record count, a checksum of the touched values and the elapsed times.

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

using simdjson::ondemand::json_type;

struct Totals {
  uint64_t records = 0;
  uint64_t values = 0;
  uint64_t string_bytes = 0;
  double number_sum = 0;
  uint64_t trues = 0;
  uint64_t nulls = 0;
};

simdjson::error_code Touch(simdjson::ondemand::value value, Totals& t);

simdjson::error_code TouchObject(simdjson::ondemand::object object, Totals& t) {
  for (auto field : object) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    t.string_bytes += key.size();
    simdjson::ondemand::value value;
    if (auto err = field.value().get(value)) return err;
    if (auto err = Touch(value, t)) return err;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code Touch(simdjson::ondemand::value value, Totals& t) {
  ++t.values;
  json_type type;
  if (auto err = value.type().get(type)) return err;
  switch (type) {
    case json_type::string: {
      std::string_view s;
      if (auto err = value.get_string().get(s)) return err;
      t.string_bytes += s.size();
      return simdjson::SUCCESS;
    }
    case json_type::number: {
      double d;
      if (auto err = value.get_double().get(d)) return err;
      t.number_sum += d;
      return simdjson::SUCCESS;
    }
    case json_type::boolean: {
      bool b;
      if (auto err = value.get_bool().get(b)) return err;
      t.trues += b;
      return simdjson::SUCCESS;
    }
    case json_type::null:
      ++t.nulls;
      return value.is_null() ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
    case json_type::object: {
      simdjson::ondemand::object object;
      if (auto err = value.get_object().get(object)) return err;
      return TouchObject(object, t);
    }
    case json_type::array: {
      simdjson::ondemand::array array;
      if (auto err = value.get_array().get(array)) return err;
      for (auto element : array) {
        simdjson::ondemand::value v;
        if (auto err = element.get(v)) return err;
        if (auto err2 = Touch(v, t)) return err2;
      }
      return simdjson::SUCCESS;
    }
  }
  return simdjson::SUCCESS;
}

constexpr size_t kBatchSize = size_t{1} << 20;  // simdjson's default; a record may not be longer

// Parses the complete lines of buf[0, len) (buf has SIMDJSON_PADDING readable bytes after len).
bool ParseLines(simdjson::ondemand::parser& parser, const char* buf, size_t len, Totals& t) {
  simdjson::ondemand::document_stream stream;
  if (auto err = parser.iterate_many(buf, len, kBatchSize).get(stream)) {
    std::fprintf(stderr, "w_floor: %s\n", simdjson::error_message(err));
    return false;
  }
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    auto doc = *it;
    simdjson::ondemand::object object;
    simdjson::error_code err = doc.get_object().get(object);
    if (!err) err = TouchObject(object, t);
    if (err) {
      std::fprintf(stderr, "w_floor: record %llu: %s\n", static_cast<unsigned long long>(t.records + 1),
                   simdjson::error_message(err));
      return false;
    }
    ++t.records;
  }
  if (stream.truncated_bytes() != 0) {
    std::fprintf(stderr, "w_floor: record %llu is incomplete\n", static_cast<unsigned long long>(t.records + 1));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: w_floor FILE.jsonl   (- for standard input)\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const bool use_stdin = std::string_view(argv[1]) == "-";
  const int fd = use_stdin ? 0 : open(argv[1], O_RDONLY);
  if (fd < 0) {
    std::fprintf(stderr, "w_floor: %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }

  // The input is streamed through one buffer of whole lines (a record longer than the
  // buffer grows it), as a mapping engine reading standard input would; reading the whole
  // file into fresh memory first costs more in page faults than parsing it.
  std::vector<char> buf(size_t{8} << 20);  // grows when a record does not fit; must exceed kBatchSize
  size_t filled = 0;                       // bytes in buf: a partial line carried over plus new input
  simdjson::ondemand::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
  parser.threaded = false;  // one core, like the engines it is compared with
#endif
  Totals t;
  uint64_t bytes = 0;
  Clock::duration parse_time{};
  for (bool eof = false; !eof;) {
    if (filled == buf.size() - simdjson::SIMDJSON_PADDING) buf.resize(buf.size() * 2);
    ssize_t n = read(fd, buf.data() + filled, buf.size() - simdjson::SIMDJSON_PADDING - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "w_floor: read: %s\n", std::strerror(errno));
      return 1;
    }
    eof = n == 0;
    filled += static_cast<size_t>(n);
    bytes += static_cast<uint64_t>(n);
    // Parse up to the last newline (everything at end of input).
    size_t complete = filled;
    if (!eof) {
      const void* nl = memrchr(buf.data(), '\n', filled);
      if (nl == nullptr) continue;
      complete = static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
    }
    const auto p0 = Clock::now();
    if (complete > 0 && !ParseLines(parser, buf.data(), complete, t)) return 1;
    parse_time += Clock::now() - p0;
    std::memmove(buf.data(), buf.data() + complete, filled - complete);
    filled -= complete;
  }
  const auto done = Clock::now();

  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  const double total_s = ms(done - start) / 1000;
  std::printf("records %llu, values %llu, string bytes %llu, number sum %.6g, true %llu, null %llu\n",
              static_cast<unsigned long long>(t.records), static_cast<unsigned long long>(t.values),
              static_cast<unsigned long long>(t.string_bytes), t.number_sum, static_cast<unsigned long long>(t.trues),
              static_cast<unsigned long long>(t.nulls));
  std::printf("%.1f MB in %.1f ms (parse %.1f ms, read %.1f ms), %.0f MB/s\n", static_cast<double>(bytes) / 1e6,
              total_s * 1000, ms(parse_time), ms(done - start - parse_time),
              total_s > 0 ? static_cast<double>(bytes) / 1e6 / total_s : 0.0);
  return 0;
}
