// The HTTP layer over real loopback HTTP: a small cpp-httplib server scripts
// the responses (statuses, Retry-After, closed ports), a raw socket server the
// connection-level ones (a keep-alive connection closed without an answer);
// waits go through a fake sleep so the backoff is observed, not slept.
#include "runtime/connectors/http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

namespace accord::connectors {
namespace {

class Server {
 public:
  Server() {
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Server() {
    srv_.stop();
    thread_.join();
  }
  httplib::Server& srv() { return srv_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  httplib::Server srv_;
  int port_ = 0;
  std::thread thread_;
};

// A raw HTTP/1.1 server on loopback whose every answer is scripted: for each
// request it records the method, path and connection, then `answer` says what
// to write back ("" = close the connection without a response). It reads each
// request whole (headers and Content-Length body) before deciding, so a closed
// connection means "processed, response lost", as after a server-side commit.
class ScriptedServer {
 public:
  struct Seen {
    std::string method, path;
    int connection;  // 0, 1, ... in accept order
  };
  using Answer = std::function<std::string(const Seen&)>;

  explicit ScriptedServer(Answer answer) : answer_(std::move(answer)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~ScriptedServer() {
    shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> l(mu_);
      for (int fd : open_) shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : workers_) t.join();
    close(listener_);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }
  int Count(const std::string& method) {
    int n = 0;
    for (const Seen& s : seen()) n += s.method == method;
    return n;
  }
  static std::string Ok(const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  }

 private:
  void AcceptLoop() {
    for (int n = 0;; ++n) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> l(mu_);
      open_.insert(fd);
      workers_.emplace_back([this, fd, n] { Serve(fd, n); });
    }
  }
  void Serve(int fd, int connection) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return Close(fd);
        buf.append(chunk, static_cast<size_t>(got));
      }
      std::string head = buf.substr(0, end);
      size_t body_len = 0;
      for (size_t p = 0; (p = head.find("\r\n", p)) != std::string::npos;) {
        p += 2;
        if (strncasecmp(head.c_str() + p, "Content-Length:", 15) == 0) body_len = std::stoul(head.substr(p + 15));
      }
      while (buf.size() < end + 4 + body_len) {
        ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return Close(fd);
        buf.append(chunk, static_cast<size_t>(got));
      }
      buf.erase(0, end + 4 + body_len);
      Seen s;
      s.method = head.substr(0, head.find(' '));
      size_t p1 = head.find(' ') + 1;
      s.path = head.substr(p1, head.find(' ', p1) - p1);
      s.connection = connection;
      {
        std::lock_guard<std::mutex> l(mu_);
        seen_.push_back(s);
      }
      std::string reply = answer_(s);
      if (reply.empty()) return Close(fd);
      send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }
  void Close(int fd) {
    std::lock_guard<std::mutex> l(mu_);
    open_.erase(fd);
    close(fd);
  }

  Answer answer_;
  int listener_ = -1, port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;  // guards the three below
  std::set<int> open_;
  std::vector<std::thread> workers_;
  std::vector<Seen> seen_;
};

struct Sleeps {
  std::vector<int64_t> waits;
  std::function<void(int64_t)> fn() {
    return [this](int64_t ms) { waits.push_back(ms); };
  }
};

HttpOptions Fast(Sleeps& s) {
  HttpOptions o;
  o.sleep = s.fn();
  o.backoff_base_ms = 100;
  o.backoff_max_ms = 1000;
  o.jitter_seed = 7;
  o.max_attempts = 4;
  return o;
}

TEST(HttpClient, ReturnsStatusBodyAndLowerCasedHeaders) {
  Server s;
  s.srv().Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-HubSpot-RateLimit-Remaining", "42");
    res.set_content("{\"ok\":true}", "application/json");
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpResponse r = c.Send({"GET", s.url("/hello"), {}, "", true, {}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"ok\":true}");
  EXPECT_EQ(r.Header("x-hubspot-ratelimit-remaining"), "42");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(sl.waits.empty());
}

TEST(HttpClient, AcceptsAndDecodesGzip) {
  Server s;
  std::string big(20000, 'a');
  std::string accept;
  s.srv().Get("/big", [&](const httplib::Request& req, httplib::Response& res) {
    accept = req.get_header_value("Accept-Encoding");
    res.set_content(big, "application/json");
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpResponse r = c.Send({"GET", s.url("/big"), {}, "", true, {}});
  EXPECT_NE(accept.find("gzip"), std::string::npos) << accept;
  EXPECT_FALSE(r.Header("content-encoding").empty()) << "the server compressed (gzip or br)";
  EXPECT_EQ(r.body, big);
}

TEST(HttpClient, SendsMethodHeadersAndBody) {
  Server s;
  std::string got_method, got_body, got_auth, got_type;
  s.srv().Patch("/x", [&](const httplib::Request& req, httplib::Response& res) {
    got_method = req.method;
    got_body = req.body;
    got_auth = req.get_header_value("Authorization");
    got_type = req.get_header_value("Content-Type");
    res.status = 204;
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpResponse r = c.Send(
      {"PATCH", s.url("/x"), {"Authorization: Bearer abc", "Content-Type: application/json"}, "{\"a\":1}", true, {}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(got_method, "PATCH");
  EXPECT_EQ(got_body, "{\"a\":1}");
  EXPECT_EQ(got_auth, "Bearer abc");
  EXPECT_EQ(got_type, "application/json");
}

TEST(HttpClient, ReusesTheConnection) {
  Server s;
  std::set<int> ports;
  std::mutex mu;
  s.srv().Get("/p", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(mu);
    ports.insert(req.remote_port);
    res.set_content("x", "text/plain");
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.Send({"GET", s.url("/p"), {}, "", true, {}}).status, 200);
  EXPECT_EQ(ports.size(), 1u) << "five requests should share one keep-alive connection";
  EXPECT_EQ(c.exchanges(), 5);
}

TEST(HttpClient, RetriesServerErrorsWithGrowingBackoff) {
  Server s;
  std::atomic<int> n{0};
  s.srv().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++n < 4)
      res.status = 503;
    else
      res.set_content("done", "text/plain");
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpResponse r = c.Send({"GET", s.url("/flaky"), {}, "", true, {}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(c.retries(), 3);
  ASSERT_EQ(sl.waits.size(), 3u);
  // step k waits in [base*2^(k-1)/2, base*2^(k-1)]
  EXPECT_GE(sl.waits[0], 50);
  EXPECT_LE(sl.waits[0], 100);
  EXPECT_GE(sl.waits[1], 100);
  EXPECT_LE(sl.waits[1], 200);
  EXPECT_GE(sl.waits[2], 200);
  EXPECT_LE(sl.waits[2], 400);
}

TEST(HttpClient, GivesUpAfterMaxAttempts) {
  Server s;
  std::atomic<int> n{0};
  s.srv().Get("/down", [&](const httplib::Request&, httplib::Response& res) {
    ++n;
    res.status = 502;
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpResponse r = c.Send({"GET", s.url("/down"), {}, "", true, {}});
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(n.load(), 4);
  EXPECT_EQ(r.attempts, 4);
}

TEST(HttpClient, HonoursRetryAfter) {
  Server s;
  std::atomic<int> n{0};
  s.srv().Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
    if (++n == 1) {
      res.status = 429;
      res.set_header("Retry-After", "3");
    } else {
      res.set_content("ok", "text/plain");
    }
  });
  Sleeps sl;
  HttpOptions o = Fast(sl);
  o.backoff_max_ms = 500;  // Retry-After wins over the cap
  HttpClient c(o);
  HttpResponse r = c.Send({"GET", s.url("/limited"), {}, "", true, {}});
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(sl.waits.size(), 1u);
  EXPECT_EQ(sl.waits[0], 3000);
}

TEST(HttpClient, ARetryAfterBeyondTheCapIsReturnedNotWaitedFor) {
  Server s;
  std::atomic<int> n{0};
  s.srv().Get("/daily", [&](const httplib::Request&, httplib::Response& res) {
    ++n;
    res.status = 429;
    res.set_header("Retry-After", "36000");  // a daily limit: ten hours
  });
  Sleeps sl;
  HttpOptions o = Fast(sl);
  o.max_retry_after_ms = 60000;
  HttpClient c(o);
  HttpResponse r = c.Send({"GET", s.url("/daily"), {}, "", true, {}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(n.load(), 1);
  EXPECT_TRUE(sl.waits.empty());
}

TEST(HttpClient, NonIdempotentRequestsAreNotRepeatedAfterAServerError) {
  Server s;
  std::atomic<int> n{0};
  s.srv().Post("/create", [&](const httplib::Request&, httplib::Response& res) {
    ++n;
    res.status = 500;
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpClient::Request req{"POST", s.url("/create"), {}, "{}", false, {}};
  HttpResponse r = c.Send(req);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(n.load(), 1) << "a create that may have landed must not be sent twice";
}

// libcurl re-sends a request by itself when a *reused* keep-alive connection
// closes before any byte of the response (it takes the close for a stale idle
// connection). For a create that the server processed before closing, that
// re-send is a duplicate record. A create must reach the server at most once
// and come back as "no response", transient, for the caller to reconcile.
TEST(HttpClient, ACreateIsSentAtMostOnceWhenAReusedConnectionClosesWithoutAResponse) {
  ScriptedServer s([](const ScriptedServer::Seen& r) {
    return r.method == "GET" ? ScriptedServer::Ok("warm") : std::string();  // POST: processed, then closed
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  ASSERT_EQ(c.Send({"GET", s.url("/warm"), {}, "", true, {}}).status, 200);  // leaves a keep-alive connection
  HttpResponse r =
      c.Send({"POST", s.url("/batch/create"), {"Content-Type: application/json"}, "{\"inputs\":[]}", false, {}});
  EXPECT_EQ(s.Count("POST"), 1) << "the create reached the server more than once";
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.sent) << "the create may have been processed: it must not look unsent";
  EXPECT_FALSE(r.transport_error.empty());
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(sl.waits.empty()) << "no retry of a create that may have landed";
}

// Reads keep their keep-alive connection around creates; a create goes on a
// connection of its own, closed after its answer.
TEST(HttpClient, ReadsKeepReusingTheirConnectionAroundCreates) {
  ScriptedServer s([](const ScriptedServer::Seen& r) { return ScriptedServer::Ok(r.method); });
  Sleeps sl;
  HttpClient c(Fast(sl));
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(c.Send({"GET", s.url("/read"), {}, "", true, {}}).status, 200);
    ASSERT_EQ(c.Send({"POST", s.url("/create"), {}, "{}", false, {}}).status, 200);
    ASSERT_EQ(c.Send({"GET", s.url("/read"), {}, "", true, {}}).status, 200);
  }
  std::set<int> reads, creates;
  for (const ScriptedServer::Seen& r : s.seen()) (r.method == "GET" ? reads : creates).insert(r.connection);
  EXPECT_EQ(reads.size(), 1u) << "four reads should share one keep-alive connection";
  EXPECT_EQ(creates.size(), 2u) << "each create on a fresh connection";
  EXPECT_EQ(reads.count(*creates.begin()) + reads.count(*creates.rbegin()), 0u);
}

TEST(HttpClient, NonIdempotentRequestsAreRetriedWhenRefusedBeforeProcessing) {
  Server s;
  std::atomic<int> n{0};
  s.srv().Post("/create", [&](const httplib::Request&, httplib::Response& res) {
    if (++n == 1)
      res.status = 429;
    else
      res.status = 201;
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpResponse r = c.Send({"POST", s.url("/create"), {}, "{}", false, {}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(n.load(), 2);
}

TEST(HttpClient, ACallerPredicateAddsRetryableResponses) {
  Server s;
  std::atomic<int> n{0};
  s.srv().Post("/sf", [&](const httplib::Request&, httplib::Response& res) {
    if (++n == 1) {
      res.status = 403;
      res.set_content(
          "[{\"errorCode\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"ConcurrentPerOrgLongTxn Limit exceeded.\"}]",
          "application/json");
    } else {
      res.status = 200;
    }
  });
  Sleeps sl;
  HttpClient c(Fast(sl));
  HttpClient::Request req{"POST", s.url("/sf"), {}, "{}", false, [](const HttpResponse& r) {
                            return r.status == 403 && r.body.find("ConcurrentPerOrgLongTxn") != std::string::npos;
                          }};
  EXPECT_EQ(c.Send(req).status, 200);
  EXPECT_EQ(n.load(), 2);
}

TEST(HttpClient, ConnectFailureIsNotSentAndIsRetried) {
  int port;
  {
    Server s;  // a port that was free a moment ago and is closed now
    port = std::stoi(s.url("").substr(std::string("http://127.0.0.1:").size()));
  }
  Sleeps sl;
  HttpOptions o = Fast(sl);
  o.max_attempts = 2;
  HttpClient c(o);
  HttpResponse r = c.Send({"POST", "http://127.0.0.1:" + std::to_string(port) + "/x", {}, "{}", false, {}});
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.sent);
  EXPECT_FALSE(r.transport_error.empty());
  EXPECT_EQ(r.attempts, 2) << "a request that never left may be retried even when it is a create";
}

TEST(HttpClient, VerboseLinesCarryNoQueryNoHeadersNoBody) {
  Server s;
  s.srv().Get("/services/data/v59.0/query", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"secret\":\"body\"}", "application/json");
  });
  Sleeps sl;
  HttpOptions o = Fast(sl);
  std::vector<std::string> lines;
  o.verbose = [&](const std::string& l) { lines.push_back(l); };
  HttpClient c(o);
  c.Send({"GET",
          s.url("/services/data/v59.0/query?q=SELECT+Email+FROM+Contact"),
          {"Authorization: Bearer tok-123456"},
          "",
          true,
          {}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("GET /services/data/v59.0/query -> 200"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("SELECT"), std::string::npos);
  EXPECT_EQ(lines[0].find("tok-123456"), std::string::npos);
  EXPECT_EQ(lines[0].find("body"), std::string::npos);
}

// TLS: verification is on by default (a self-signed server is refused) and a
// CA bundle given as `cacert` (--cacert) makes the same server trusted.
TEST(HttpClient, VerifiesTlsAndTrustsAGivenCaBundle) {
  char tmpl[] = "/tmp/accord-tls-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
      "subjectAltName=IP:127.0.0.1 -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs the openssl command (scripts/install-deps installs it)";
  httplib::SSLServer srv((dir + "/cert.pem").c_str(), (dir + "/key.pem").c_str());
  ASSERT_TRUE(srv.is_valid());
  srv.Get("/secure", [](const httplib::Request&, httplib::Response& res) { res.set_content("tls ok", "text/plain"); });
  int port = srv.bind_to_any_port("127.0.0.1");
  std::thread t([&] { srv.listen_after_bind(); });
  while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string url = "https://127.0.0.1:" + std::to_string(port) + "/secure";
  Sleeps sl;
  HttpOptions o = Fast(sl);
  o.max_attempts = 1;
  {
    HttpClient c(o);
    HttpResponse r = c.Send({"GET", url, {}, "", true, {}});
    EXPECT_EQ(r.status, 0) << "a self-signed certificate must be refused by default";
    EXPECT_FALSE(r.transport_error.empty());
  }
  o.cacert = dir + "/cert.pem";
  {
    HttpClient c(o);
    HttpResponse r = c.Send({"GET", url, {}, "", true, {}});
    EXPECT_EQ(r.status, 200) << r.transport_error;
    EXPECT_EQ(r.body, "tls ok");
  }
  srv.stop();
  t.join();
  std::system(("rm -rf " + dir).c_str());
}

TEST(RateBudget, PacesToTheRateAfterTheBurst) {
  RateBudget b(10, 2);  // 10/s, bursts of 2
  int64_t slept = 0;
  auto sleep = [&](int64_t ms) {
    slept += ms;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 7; ++i) b.Take(sleep);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // 2 immediately, 5 more at 10/s: about half a second
  EXPECT_GE(secs, 0.4);
  EXPECT_GT(slept, 0);
}

TEST(RateBudget, ObservedLowRemainingPausesForTheWindow) {
  RateBudget b(1000, 100);
  std::vector<int64_t> waits;
  auto sleep = [&](int64_t ms) {
    waits.push_back(ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  b.Take(sleep);
  EXPECT_TRUE(waits.empty());
  b.Observe(/*remaining=*/50, /*window_ms=*/200, /*floor=*/5);
  b.Take(sleep);
  EXPECT_TRUE(waits.empty()) << "plenty left: no pause";
  b.Observe(3, 200, 5);
  b.Take(sleep);
  ASSERT_FALSE(waits.empty());
  int64_t total = 0;
  for (int64_t w : waits) total += w;
  EXPECT_GE(total, 150);
}

TEST(Secrets, RedactsPlainAndUrlEncodedForms) {
  Secrets s;
  s.Add("5Aep861.rEf/r3sh+tok==");
  s.Add("abc");  // too short to be a secret: ignored, ordinary text is left alone
  std::string msg =
      "invalid_grant for 5Aep861.rEf/r3sh+tok== (body refresh_token=" + UrlEncode("5Aep861.rEf/r3sh+tok==") + ") abc";
  std::string out = s.Redact(msg);
  EXPECT_EQ(out.find("5Aep861"), std::string::npos) << out;
  EXPECT_NE(out.find("[redacted]"), std::string::npos);
  EXPECT_NE(out.find(" abc"), std::string::npos);
}

TEST(Url, PathEncodeAndForm) {
  EXPECT_EQ(PathOf("https://acme.my.salesforce.com/services/data/v59.0/query?q=x#f"), "/services/data/v59.0/query");
  EXPECT_EQ(PathOf("http://127.0.0.1:80"), "/");
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(FormBody({{"grant_type", "refresh_token"}, {"refresh_token", "x y"}}),
            "grant_type=refresh_token&refresh_token=x%20y");
}

}  // namespace
}  // namespace accord::connectors
