// JSONL export lines from hostile or damaged input (cases the JSONL fuzzer found or
// suggests): every one is InvalidArgument naming its line, never another exception.
#include <gtest/gtest.h>

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
