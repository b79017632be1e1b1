#include "compiler/lsp/protocol.h"

#include <gtest/gtest.h>

#include <sstream>

namespace accord::lsp {
namespace {

// ---- positions ----

Position Pos(uint32_t line, uint32_t character) { return Position{line, character}; }

TEST(LineIndex, AsciiLinesAndColumns) {
  std::string text = "ab\ncd\n";
  LineIndex idx(text);
  EXPECT_EQ(idx.line_count(), 3u);
  EXPECT_EQ(idx.ToPosition(0, Encoding::kUtf16), Pos(0, 0));
  EXPECT_EQ(idx.ToPosition(2, Encoding::kUtf16), Pos(0, 2));  // the line break itself
  EXPECT_EQ(idx.ToPosition(3, Encoding::kUtf16), Pos(1, 0));
  EXPECT_EQ(idx.ToPosition(6, Encoding::kUtf16), Pos(2, 0));  // the end, after the last break
  EXPECT_EQ(idx.ToOffset(Pos(1, 1), Encoding::kUtf16), 4u);
  EXPECT_EQ(idx.ToOffset(Pos(2, 0), Encoding::kUtf16), 6u);
}

TEST(LineIndex, Utf16CountsCodeUnits) {
  // é: 2 bytes, 1 unit; €: 3 bytes, 1 unit; 😀 (U+1F600): 4 bytes, 2 units (a surrogate pair).
  std::string text = "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\" x";
  LineIndex idx(text);
  uint32_t x = static_cast<uint32_t>(text.find('x'));
  EXPECT_EQ(idx.ToPosition(x, Encoding::kUtf16), Pos(0, 12));  // " c a f é _ € _ 😀(2) " _ = 12
  EXPECT_EQ(idx.ToPosition(x, Encoding::kUtf8), Pos(0, x));
  EXPECT_EQ(idx.ToOffset(Pos(0, 12), Encoding::kUtf16), x);
  EXPECT_EQ(idx.ToOffset(Pos(0, x), Encoding::kUtf8), x);
  uint32_t emoji = static_cast<uint32_t>(text.find("\xF0"));
  EXPECT_EQ(idx.ToPosition(emoji, Encoding::kUtf16), Pos(0, 8));
  EXPECT_EQ(idx.ToPosition(emoji + 4, Encoding::kUtf16), Pos(0, 10));
  // Every position round-trips through its offset.
  for (uint32_t c = 0; c <= 13; ++c) {
    uint32_t off = idx.ToOffset(Pos(0, c), Encoding::kUtf16);
    if (c != 9) EXPECT_EQ(idx.ToPosition(off, Encoding::kUtf16), Pos(0, c)) << c;
  }
}

TEST(LineIndex, InsideACharacterMeansItsStart) {
  std::string text = "a\xF0\x9F\x98\x80z";
  LineIndex idx(text);
  // Offsets 2..4 are inside the emoji: its start, character 1.
  for (uint32_t off = 1; off <= 4; ++off) EXPECT_EQ(idx.ToPosition(off, Encoding::kUtf16), Pos(0, 1)) << off;
  EXPECT_EQ(idx.ToPosition(5, Encoding::kUtf16), Pos(0, 3));
  // Character 2 is between the two halves of the surrogate pair: the emoji's start.
  EXPECT_EQ(idx.ToOffset(Pos(0, 2), Encoding::kUtf16), 1u);
  EXPECT_EQ(idx.ToOffset(Pos(0, 3), Encoding::kUtf16), 5u);
}

TEST(LineIndex, LineBreaksCrLfAndLoneCr) {
  std::string text = "a\r\nbc\rd\ne";
  LineIndex idx(text);
  EXPECT_EQ(idx.line_count(), 4u);
  EXPECT_EQ(idx.ToOffset(Pos(1, 0), Encoding::kUtf16), 3u);
  EXPECT_EQ(idx.ToOffset(Pos(2, 0), Encoding::kUtf16), 6u);
  EXPECT_EQ(idx.ToOffset(Pos(3, 0), Encoding::kUtf16), 8u);
  EXPECT_EQ(idx.ToPosition(1, Encoding::kUtf16), Pos(0, 1));  // the \r of \r\n
  EXPECT_EQ(idx.ToPosition(2, Encoding::kUtf16), Pos(0, 1));  // the \n of \r\n: still the end of line 0
  EXPECT_EQ(idx.ToPosition(5, Encoding::kUtf16), Pos(1, 2));
  // A character past the end of its line stops before the break.
  EXPECT_EQ(idx.ToOffset(Pos(0, 99), Encoding::kUtf16), 1u);
  EXPECT_EQ(idx.ToOffset(Pos(1, 99), Encoding::kUtf16), 5u);
}

// A byte order mark takes no column (it shifted line 0 by one).
TEST(LineIndex, ByteOrderMarkTakesNoColumn) {
  std::string text =
      "\xEF\xBB\xBF"
      "ab\ncd";
  LineIndex idx(text);
  EXPECT_EQ(idx.ToPosition(3, Encoding::kUtf16), Pos(0, 0));
  EXPECT_EQ(idx.ToPosition(4, Encoding::kUtf16), Pos(0, 1));
  EXPECT_EQ(idx.ToPosition(0, Encoding::kUtf8), Pos(0, 0));
  EXPECT_EQ(idx.ToOffset(Pos(0, 0), Encoding::kUtf16), 3u);
  EXPECT_EQ(idx.ToOffset(Pos(0, 2), Encoding::kUtf8), 5u);
  EXPECT_EQ(idx.ToOffset(Pos(1, 1), Encoding::kUtf16), 7u);
}

TEST(LineIndex, OutOfRangeIsClamped) {
  std::string text = "ab\ncd";
  LineIndex idx(text);
  EXPECT_EQ(idx.ToOffset(Pos(7, 0), Encoding::kUtf16), 5u);
  EXPECT_EQ(idx.ToOffset(Pos(1, 99), Encoding::kUtf16), 5u);
  EXPECT_EQ(idx.ToPosition(99, Encoding::kUtf16), Pos(1, 2));
  LineIndex empty("");
  EXPECT_EQ(empty.ToOffset(Pos(3, 3), Encoding::kUtf16), 0u);
  EXPECT_EQ(empty.ToPosition(3, Encoding::kUtf16), Pos(0, 0));
}

TEST(LineIndex, InvalidUtf8CountsOneUnitPerByte) {
  std::string text = "\xFF\xC3x\x80y";  // a bad byte, a truncated sequence, a stray continuation
  LineIndex idx(text);
  EXPECT_EQ(idx.ToPosition(5, Encoding::kUtf16), Pos(0, 5));
  EXPECT_EQ(idx.ToOffset(Pos(0, 4), Encoding::kUtf16), 4u);
}

// ---- URIs ----

TEST(Uri, FileUrisAndBack) {
  EXPECT_EQ(UriToPath("file:///home/ada/rules/a.accord"), "/home/ada/rules/a.accord");
  EXPECT_EQ(UriToPath("file:///home/ada/my%20rules/caf%C3%A9.accord"), "/home/ada/my rules/caf\xC3\xA9.accord");
  EXPECT_EQ(UriToPath("FILE://localhost/x.accord"), "/x.accord");
  EXPECT_EQ(UriToPath("file:///a.accord?query#frag"), "/a.accord");
  EXPECT_EQ(UriToPath("untitled:Untitled-1"), std::nullopt);
  EXPECT_EQ(UriToPath("file://server/share/a.accord"), std::nullopt);
  EXPECT_EQ(UriToPath("file:///bad%2"), std::nullopt);
  EXPECT_EQ(UriToPath("file:///bad%zz"), std::nullopt);
  EXPECT_EQ(UriToPath("file:///nul%00"), std::nullopt);
  EXPECT_EQ(PathToUri("/home/ada/my rules/caf\xC3\xA9#1.accord"), "file:///home/ada/my%20rules/caf%C3%A9%231.accord");
  for (std::string p : {"/a/b.accord", "/x y/%/#?/\xE2\x82\xAC"}) EXPECT_EQ(UriToPath(PathToUri(p)), p);
}

// ---- framing ----

struct Read {
  MessageReader::Status status;
  std::string body, error;
};

std::vector<Read> ReadAll(const std::string& input, size_t max_body = 1 << 20) {
  std::istringstream in(input);
  MessageReader reader(in, max_body);
  std::vector<Read> out;
  for (int guard = 0; guard < 100; ++guard) {
    Read r;
    r.status = reader.Next(&r.body, &r.error);
    if (r.status == MessageReader::Status::kEof) break;
    out.push_back(r);
  }
  return out;
}

std::string Frame(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(MessageReader, ReadsFramesBackToBack) {
  auto got = ReadAll(Frame("{\"a\":1}") + Frame("{}") +
                     "content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[]");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, "{\"a\":1}");
  EXPECT_EQ(got[1].body, "{}");
  EXPECT_EQ(got[2].body, "[]");
  // Bare \n line ends are accepted too.
  got = ReadAll("Content-Length: 2\n\n{}");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "{}");
}

TEST(MessageReader, BadHeadersAreReportedAndSkipped) {
  auto got = ReadAll("Content-Length: abc\r\n\r\n{\"skipped\":1}" + Frame("{\"ok\":1}"));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, MessageReader::Status::kBadFrame);
  EXPECT_EQ(got[0].error, "invalid Content-Length");
  EXPECT_EQ(got[1].status, MessageReader::Status::kMessage);
  EXPECT_EQ(got[1].body, "{\"ok\":1}");

  got = ReadAll("Content-Type: x\r\n\r\n{}" + Frame("{\"ok\":2}"));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].error, "missing Content-Length header");
  EXPECT_EQ(got[1].body, "{\"ok\":2}");

  got = ReadAll("garbage without a colon\r\n" + Frame("{\"ok\":3}"));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, MessageReader::Status::kBadFrame);
  EXPECT_EQ(got[1].body, "{\"ok\":3}");

  got = ReadAll("Content-Length: -5\r\n\r\n" + Frame("{}"));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, MessageReader::Status::kBadFrame);
  got = ReadAll("Content-Length: 99999999999999999999999\r\n\r\n" + Frame("{}"));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, MessageReader::Status::kBadFrame);
  EXPECT_EQ(got[1].body, "{}");
}

TEST(MessageReader, LongGarbageLineResyncs) {
  auto got = ReadAll(std::string(20000, 'x') + Frame("{\"ok\":1}"));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, MessageReader::Status::kBadFrame);
  EXPECT_EQ(got[1].body, "{\"ok\":1}");
  // The header name split over what a naive matcher would restart on.
  got = ReadAll("garbage\r\nccontent-lengthContent-Length: 2\r\n\r\n{}");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, MessageReader::Status::kBadFrame);
  EXPECT_EQ(got[1].body, "{}");
}

TEST(MessageReader, OversizedBodyIsConsumed) {
  auto got = ReadAll(Frame(std::string(100, ' ')) + Frame("{}"), /*max_body=*/50);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, MessageReader::Status::kBadFrame);
  EXPECT_NE(got[0].error.find("larger than the limit"), std::string::npos);
  EXPECT_EQ(got[1].body, "{}");
}

TEST(MessageReader, TruncatedInputEnds) {
  EXPECT_TRUE(ReadAll("").empty());
  EXPECT_TRUE(ReadAll("Content-Length: 10\r\n\r\n{}").empty());
  EXPECT_TRUE(ReadAll("Content-Length: 10\r\n").empty());
  EXPECT_TRUE(ReadAll("\r\n\r\n").empty());
}

TEST(Write, FramesAndNeverThrowsOnBadUtf8) {
  std::ostringstream out;
  WriteMessage(out, Notification("m", {{"text", "bad \xFF byte"}}));
  std::string s = out.str();
  size_t body = s.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(s.substr(0, body), "Content-Length: " + std::to_string(s.size() - body - 4));
  EXPECT_NE(s.find("bad \xEF\xBF\xBD byte"), std::string::npos);  // U+FFFD
  EXPECT_EQ(Serialize(ErrorResponse(7, kMethodNotFound, "x")),
            "{\"error\":{\"code\":-32601,\"message\":\"x\"},\"id\":7,\"jsonrpc\":\"2.0\"}");
}

}  // namespace
}  // namespace accord::lsp
