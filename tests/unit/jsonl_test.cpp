// JSONL export lines from hostile or damaged input (cases the JSONL fuzzer found or
// suggests): every one is InvalidArgument naming its line, never another exception.
#include <gtest/gtest.h>

#include "backup/jsonl.hpp"
#include "nadb/errors.hpp"

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

}  // namespace
}  // namespace nadb::backup
