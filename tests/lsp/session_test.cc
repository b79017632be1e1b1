// Scripted LSP sessions against the real `accord lsp` binary over pipes.
//
// Each tests/lsp/NAME.session is a list of steps, one JSON object per line
// ('#' lines are comments), run in a fresh copy of examples/salesforce-hubspot:
//
//   {"send": MESSAGE}        a JSON-RPC message; for a request the driver waits
//                            for its response before the next step (like a client).
//                            After a notification (but `exit`) it sends a request
//                            the server does not know, `$/barrier`, and waits for
//                            the error reply: everything the notification caused
//                            has then arrived. The barrier is not in the transcript.
//   {"raw": "BYTES"}         bytes written as they are (bad frames, bad JSON); the
//                            driver waits for the next response with a null id,
//                            unless the step says "reply": false
//   {"file": NAME, "text": T} writes a file into the workspace before the server starts
//
// Inside a message, strings have ${ROOT} replaced by the workspace's URI
// (file:///tmp/...), and two objects are replaced:
//   {"$text": "syncs.accord", "replace": [["old", "new"], ...]}
//       the file's text on disk with each `old` (which must occur) replaced;
//       it becomes the file's buffer for later $position steps
//   {"$position": "syncs.accord", "find": "LastName", "nth": 1, "offset": 2}
//       the LSP position (line, UTF-16 character) of byte `offset` into the
//       nth occurrence (from 1) of `find` in the file's buffer
//
// The transcript (what was sent, every message received, the exit code) is
// compared with NAME.expected. Regenerate after an intended change:
//   ACCORD_UPDATE_GOLDENS=1 ./build/tests/lsp_session_test   (or --update)
// and read the diff.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

extern char** environ;

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool g_update = false;
constexpr int kTimeoutMs = 30000;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Sessions() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(ACCORD_SOURCE_DIR) / "tests" / "lsp"))
    if (e.path().extension() == ".session") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// LSP position of a byte offset, counted here independently of the server:
// line = line breaks before it, character = UTF-16 code units since the line start.
json PositionOf(const std::string& text, size_t offset) {
  size_t line = 0, start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, start = i + 1;
  size_t units = 0;
  for (size_t i = start; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += c >= 0xF0 ? 2 : 1;        // 4-byte sequences are surrogate pairs
  }
  return {{"line", line}, {"character", units}};
}

// The server process, its pipes, and a strict reader of its frames.
class Process {
 public:
  bool Start(const std::string& binary, const fs::path& cwd, std::string* error) {
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err)) {
      *error = "pipe failed";
      return false;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) posix_spawn_file_actions_addclose(&fa, fd);
    std::string old = fs::current_path().string();
    fs::current_path(cwd);
    std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("lsp"), nullptr};
    int rc = posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(), environ);
    fs::current_path(old);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
    fcntl(err_, F_SETFL, O_NONBLOCK);
    if (rc != 0) {
      *error = "cannot start " + binary;
      return false;
    }
    return true;
  }

  ~Process() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_, err_})
      if (fd >= 0) close(fd);
  }

  bool Write(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(in_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  void CloseInput() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

  // The next framed message; false at end of output or on timeout.
  // Anything that is not a well-formed frame of JSON is reported in *error.
  bool Next(json* message, std::string* error) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
    for (;;) {
      size_t head = buf_.find("\r\n\r\n");
      if (head != std::string::npos) {
        std::string h = buf_.substr(0, head);
        const std::string prefix = "Content-Length: ";
        if (h.rfind(prefix, 0) != 0 || h.find_first_not_of("0123456789", prefix.size()) != std::string::npos) {
          *error = "bad frame header from the server: " + h;
          return false;
        }
        size_t len = std::stoul(h.substr(prefix.size()));
        if (buf_.size() >= head + 4 + len) {
          std::string body = buf_.substr(head + 4, len);
          buf_.erase(0, head + 4 + len);
          *message = json::parse(body, nullptr, false);
          if (message->is_discarded()) {
            *error = "invalid JSON from the server: " + body;
            return false;
          }
          return true;
        }
      }
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (left <= 0) {
        *error = "timed out waiting for the server";
        return false;
      }
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) continue;
      char chunk[65536];
      ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) {
        if (!buf_.empty()) *error = "the server's output ends inside a frame";
        return false;
      }
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Waits for the process (killing it after the timeout); its exit code or -signal.
  int Wait() {
    for (int waited = 0; waited < kTimeoutMs; waited += 10) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      }
      usleep(10000);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
    return -SIGKILL;
  }

  std::string Stderr() {
    std::string s;
    char chunk[4096];
    for (ssize_t n; (n = read(err_, chunk, sizeof chunk)) > 0;) s.append(chunk, static_cast<size_t>(n));
    return s;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string buf_;
};

class Session {
 public:
  explicit Session(fs::path root) : root_(std::move(root)), root_uri_("file://" + root_.string()) {}

  // Replaces the placeholders in a step's message.
  json Resolve(const json& v) {
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      ReplaceAll(s, "${ROOT}", root_uri_);
      return s;
    }
    if (v.is_array()) {
      json out = json::array();
      for (const json& e : v) out.push_back(Resolve(e));
      return out;
    }
    if (!v.is_object()) return v;
    if (v.contains("$text")) {
      std::string name = v["$text"];
      std::string text = Slurp(root_ / name);
      for (const json& r : v.value("replace", json::array())) {
        std::string from = r[0], to = r[1];
        size_t at = text.find(from);
        if (at == std::string::npos) throw std::runtime_error("$text " + name + ": no \"" + from + "\" to replace");
        text.replace(at, from.size(), to);
      }
      buffers_[name] = text;
      return text;
    }
    if (v.contains("$position")) {
      std::string name = v["$position"];
      std::string text = buffers_.count(name) ? buffers_[name] : Slurp(root_ / name);
      std::string find = v["find"];
      int nth = v.value("nth", 1);
      size_t at = std::string::npos;
      for (int k = 0; k < nth; ++k) {
        at = text.find(find, at == std::string::npos ? 0 : at + 1);
        if (at == std::string::npos) throw std::runtime_error("$position " + name + ": \"" + find + "\" not found");
      }
      return PositionOf(text, at + v.value("offset", 0));
    }
    json out = json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      // A didOpen/didChange text given inline is the file's buffer too.
      out[it.key()] = Resolve(it.value());
    }
    if (out.contains("uri") && out.contains("text") && out["text"].is_string() && out["uri"].is_string()) {
      std::string uri = out["uri"];
      if (uri.rfind(root_uri_ + "/", 0) == 0) buffers_[uri.substr(root_uri_.size() + 1)] = out["text"];
    }
    return out;
  }

  // What the transcript shows of a message: a sent one on one line with long
  // strings (document texts) abbreviated, a received one in full; the
  // workspace's location as ${ROOT}.
  std::string Show(const json& m, bool received) const {
    std::string s = received ? Pretty(m, 0) : Compact(Abbreviate(m));
    ReplaceAll(s, root_.string(), "${ROOT}");
    return s;
  }

 private:
  static std::string Compact(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

  // Indented JSON, but any value that fits in 120 columns stays on one line.
  static std::string Pretty(const json& v, size_t indent) {
    std::string flat = Compact(v);
    if (!v.is_structured() || v.empty() || indent + flat.size() <= 120) return flat;
    std::string pad(indent + 2, ' '), out = v.is_object() ? "{\n" : "[\n";
    size_t i = 0;
    for (auto it = v.begin(); it != v.end(); ++it, ++i) {
      out += pad;
      if (v.is_object()) out += json(it.key()).dump() + ": ";
      out += Pretty(it.value(), indent + 2);
      out += i + 1 < v.size() ? ",\n" : "\n";
    }
    return out + std::string(indent, ' ') + (v.is_object() ? "}" : "]");
  }

  static json Abbreviate(const json& v) {
    if (v.is_string() && v.get<std::string>().size() > 400)
      return "<" + std::to_string(v.get<std::string>().size()) + " bytes>";
    if (v.is_array()) {
      json out = json::array();
      for (const json& e : v) out.push_back(Abbreviate(e));
      return out;
    }
    if (v.is_object()) {
      json out = json::object();
      for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = Abbreviate(it.value());
      return out;
    }
    return v;
  }

  fs::path root_;
  std::string root_uri_;
  std::map<std::string, std::string> buffers_;
};

std::string Frame(const json& m) {
  std::string body = m.dump();
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string RunSession(const std::string& name) {
  fs::path root = fs::temp_directory_path() / ("accord-lsp-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(root);
  fs::copy(fs::path(ACCORD_SOURCE_DIR) / "examples" / "salesforce-hubspot", root, fs::copy_options::recursive);
  struct Cleanup {
    fs::path p;
    ~Cleanup() { fs::remove_all(p); }
  } cleanup{root};

  std::vector<json> steps;
  std::istringstream lines(Slurp(fs::path(ACCORD_SOURCE_DIR) / "tests" / "lsp" / (name + ".session")));
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    json step = json::parse(line, nullptr, false);
    if (step.is_discarded() || !step.is_object())
      return "bad step on line " + std::to_string(number) + " of " + name + ".session\n";
    steps.push_back(step);
  }
  for (const json& s : steps) {
    if (!s.contains("file")) continue;
    std::ofstream(root / s["file"].get<std::string>(), std::ios::binary) << s["text"].get<std::string>();
  }

  Session session(root);
  std::string transcript, error;
  Process server;
  if (!server.Start(ACCORD_BINARY, root, &error)) return error + "\n";
  // Reads until a message that `done` accepts (printing each).
  const json barrier = {{"jsonrpc", "2.0"}, {"id", "barrier"}, {"method", "$/barrier"}};
  auto read_until = [&](auto done) {
    json m;
    while (server.Next(&m, &error)) {
      if (m.contains("id") && m["id"] == "barrier" && !m.contains("method")) return true;
      transcript += "<<< " + session.Show(m, true) + "\n";
      if (done(m)) return true;
    }
    if (!error.empty()) transcript += "!!! " + error + "\n";
    error.clear();
    return false;
  };
  for (const json& s : steps) {
    if (s.contains("file")) continue;
    if (s.contains("raw")) {
      std::string bytes = s["raw"];
      transcript += ">>> raw " + json(bytes).dump() + "\n";
      if (!server.Write(bytes)) break;
      if (s.value("reply", true) && !read_until([](const json& m) { return m.contains("id") && m["id"].is_null(); }))
        break;
      continue;
    }
    json message;
    try {
      message = session.Resolve(s["send"]);
    } catch (const std::exception& e) {
      return std::string("bad step: ") + e.what() + "\n";
    }
    transcript += ">>> " + session.Show(message, false) + "\n";
    if (!server.Write(Frame(message))) break;
    if (message.contains("id") && message.contains("method")) {
      json id = message["id"];
      if (!read_until([&](const json& m) { return m.contains("id") && m["id"] == id && !m.contains("method"); })) break;
    } else if (message.value("method", "") != "exit") {
      if (!server.Write(Frame(barrier)) || !read_until([](const json&) { return false; })) break;
    }
  }
  server.CloseInput();
  read_until([](const json&) { return false; });
  transcript += "exit code: " + std::to_string(server.Wait()) + "\n";
  std::string err = server.Stderr();
  if (!err.empty()) transcript += "stderr:\n" + err;
  return transcript;
}

class LspSession : public testing::TestWithParam<std::string> {};

TEST_P(LspSession, MatchesExpected) {
  const std::string name = GetParam();
  fs::path expected = fs::path(ACCORD_SOURCE_DIR) / "tests" / "lsp" / (name + ".expected");
  std::string got = RunSession(name);
  if (g_update) {
    std::ofstream(expected, std::ios::binary) << got;
    GTEST_SKIP() << "updated " << expected;
  }
  ASSERT_TRUE(fs::exists(expected)) << "missing " << expected << " (run with ACCORD_UPDATE_GOLDENS=1)";
  EXPECT_EQ(Slurp(expected), got) << "transcript mismatch for " << name
                                  << "; if the change is intended, rerun with ACCORD_UPDATE_GOLDENS=1";
}

INSTANTIATE_TEST_SUITE_P(Sessions, LspSession, testing::ValuesIn(Sessions()),
                         [](const testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a server that dies mid-write is a failed step, not a dead test
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--update") g_update = true;
  if (const char* e = std::getenv("ACCORD_UPDATE_GOLDENS")) g_update = std::string(e) == "1";
  return RUN_ALL_TESTS();
}
