// JSONL export lines from hostile or damaged input (cases the JSONL fuzzer found or
// suggests): every one is InvalidArgument naming its line, never another exception.
#include <gtest/gtest.h>

#include <vector>

#include "backup/jsonl.hpp"
#include "backup/line_file.hpp"
#include "nadb/errors.hpp"
#include "support/temp_dir.hpp"

namespace nadb::backup {
namespace {

void expect_bad(const std::function<void()>& parse, const std::string& needle) {
  try {
    parse();
    FAIL() << "accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Jsonl, HeadersWithMistypedFieldsAreInvalidArgument) {
  check_jsonl_header(jsonl_header("db:ns", "fs", 3, 1000), 1);
  expect_bad([] { check_jsonl_header(R"({"format": 795719038442, "version": 1})", 1); },
             "line 1: not a NADB JSONL export");
  expect_bad([] { check_jsonl_header(R"({"format": "nadb-jsonl", "version": "1"})", 4); },
             "line 4: unsupported export version \"1\"");
  expect_bad([] { check_jsonl_header(R"({"format": "nadb-jsonl"})", 1); }, "(none)");
  expect_bad([] { check_jsonl_header("[1, 2]", 1); }, "not a JSON object");
}

TEST(Jsonl, EntriesWithMistypedFieldsAreInvalidArgument) {
  JsonlEntry entry;
  entry.key = "k";
  entry.value = "v";
  EXPECT_EQ(parse_jsonl_line(jsonl_entry("ns", entry), 2).entry.value, "v");
  expect_bad([] { parse_jsonl_line(R"({"ns": 1, "key": "aw==", "value": "dg=="})", 2); },
             "field 'ns' must be a string");
  expect_bad([] { parse_jsonl_line(R"({"end": true, "count": "3"})", 9); },
             "field 'count' must be an integer");
}

// Issue 18: another tool's or a person's line needs only key and value; a checksum that is
// there is still verified, and so is every field that is there.
TEST(Jsonl, ALineWrittenByHandNeedsOnlyKeyAndValue) {
  JsonlEntry e = parse_jsonl_line(R"({"key": "azE=", "value": "aGVsbG8="})", 2).entry;
  EXPECT_EQ(e.key, "k1");
  EXPECT_EQ(e.value, "hello");
  EXPECT_TRUE(e.tags.empty());
  EXPECT_EQ(e.expires_ms, 0);
  e = parse_jsonl_line(R"({"key": "azI=", "value": "", "tags": ["cmVk"], "expires_at": 99})", 3)
          .entry;
  EXPECT_EQ(e.tags, std::vector<std::string>{"red"});
  EXPECT_EQ(e.expires_ms, 99);
  expect_bad([] { parse_jsonl_line(R"({"value": "aGVsbG8="})", 4); }, "field 'key' must be");
  expect_bad([] { parse_jsonl_line(R"({"key": "azE="})", 5); }, "field 'value' must be");
  expect_bad([] { parse_jsonl_line(R"({"key": "azE=", "value": "", "sha256": 7})", 6); },
             "field 'sha256' must be a string");
  expect_bad([] { parse_jsonl_line(R"({"key": "azE=", "value": "", "tags": "cmVk"})", 7); },
             "field 'tags' must be an array");
  // An export's line with its value changed still fails its checksum.
  JsonlEntry entry;
  entry.key = "k";
  entry.value = "v";
  std::string line = jsonl_entry("ns", entry);
  line.replace(line.find("\"dg==\""), 6, "\"dw==\"");
  expect_bad([&] { parse_jsonl_line(line, 8); }, "line 8: checksum mismatch");
}

// Defect 9: the line reader searched the whole partial line again after every 64 KiB it read
// (a 512 MiB line took 87 s) and had no limit. Lines are read linearly, and a line longer than
// the largest entry is refused, naming it, once that much is held: never buffered whole.
TEST(LineFile, ALineLongerThanTheLimitIsRefusedNamingIt) {
  testing::TempDir dir;
  for (const char* name : {"long.jsonl", "long.jsonl.gz", "long.jsonl.zst"}) {
    std::string path = dir.sub(name);
    {
      auto out = open_line_writer(path);
      out->write_line("first");
      out->write_line(std::string(8 << 20, 'x'));
      out->write_line("third");
      out->finish();
    }
    auto in = open_line_reader(path, 1 << 20);
    std::string line;
    ASSERT_TRUE(in->read_line(line));
    EXPECT_EQ(line, "first");
    try {
      in->read_line(line);
      FAIL() << name << ": the long line was read";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("line 2 is longer than 1048576 bytes"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(LineFile, LinesOfEveryLengthReadBackExactly) {
  testing::TempDir dir;
  std::string path = dir.sub("lines.jsonl.zst");
  std::vector<std::string> lines;
  for (std::size_t n : {0, 1, 65535, 65536, 65537, 3 << 20, 2, 0})
    lines.push_back(std::string(n, static_cast<char>('a' + lines.size())));
  {
    auto out = open_line_writer(path);
    for (const auto& l : lines)
      out->write_line(l);
    out->finish();
  }
  auto in = open_line_reader(path, 4 << 20);
  std::string line;
  for (const auto& expected : lines) {
    ASSERT_TRUE(in->read_line(line));
    EXPECT_EQ(line, expected);
  }
  EXPECT_FALSE(in->read_line(line));
}

TEST(Jsonl, TheLineLimitHoldsTheLargestEntry) {
  JsonlEntry e{std::string(64 << 10, 'k'), std::string(1 << 20, 'v'), {"t"}, 0, 1, 1};
  e.tags.assign(1000, std::string(255, 't'));
  EXPECT_LE(jsonl_entry("ns", e).size(), max_entry_line(1 << 20));
}

}  // namespace
}  // namespace nadb::backup
