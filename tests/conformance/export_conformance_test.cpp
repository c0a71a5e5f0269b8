// JSONL export/import and sync_to on every backend: exact round trips, validation with line
// numbers, expiry, compression by extension.
#include <fstream>
#include <thread>

#include "conformance/store_fixture.hpp"
#include "support/progress_log.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;

class Export : public StoreTest {
 protected:
  void fill(KeyValueStore& s) {
    s.set(std::string("bin\0key", 7), std::string("\0\xff\x01value", 8),
          {std::string("t\xff", 2), "plain"});
    s.set("long", std::string(5000, 'z'), {"compressed"});  // stored compressed
    s.set_with_ttl("ttl", "v", 3600s, {"t"});
    s.set("empty", "");
    for (int i = 0; i < 2500; ++i)
      s.set("k" + std::to_string(i), "value" + std::to_string(i), {"bulk"});
  }
  // Every key with value, tags and expiry, for exact comparison.
  std::map<std::string, std::tuple<std::string, std::vector<std::string>, std::optional<TimePoint>>>
  dump(KeyValueStore& s) {
    std::map<std::string,
             std::tuple<std::string, std::vector<std::string>, std::optional<TimePoint>>>
        out;
    for (const auto& key : s.get_all_keys()) {
      auto e = s.get_with_metadata(key);
      out[key] = {e->value, e->metadata.tags, e->metadata.expires_at};
    }
    return out;
  }
  std::string file(const std::string& name) const { return dir_.sub(name); }
};
NADB_CONFORMANCE_SUITE(Export);

TEST_P(Export, RoundTripIsExactForEveryCompression) {
  auto source = open("source");
  fill(*source);
  for (const char* name : {"out.jsonl", "out.jsonl.gz", "out.jsonl.zst"}) {
    ExportReport exported = source->export_jsonl(file(name));
    EXPECT_EQ(exported.keys, 2504u);
    auto target = open(std::string("target-") + (name + 4));
    ImportReport imported = target->import_jsonl(file(name));
    EXPECT_EQ(imported.imported, 2504u) << name;
    EXPECT_EQ(dump(*target), dump(*source)) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(file("out.jsonl.partial")));
}

TEST_P(Export, ExpiredKeysAreNotImported) {
  auto source = open("source");
  source->set_with_ttl("short", "v", 1s);
  source->set("stays", "v");
  source->export_jsonl(file("x.jsonl"));
  std::this_thread::sleep_for(1100ms);
  auto target = open("target");
  ImportReport report = target->import_jsonl(file("x.jsonl"));
  EXPECT_EQ(report.imported, 1u);
  EXPECT_EQ(report.skipped_expired, 1u);
  EXPECT_EQ(target->get_all_keys(), std::vector<std::string>{"stays"});
}

TEST_P(Export, BadLinesAreNamedAndAbortBeforeAnyWrite) {
  auto source = open("source");
  for (int i = 0; i < 10; ++i)
    source->set("k" + std::to_string(i), "v", {"t"});
  source->export_jsonl(file("x.jsonl"));
  std::vector<std::string> lines;
  {
    std::ifstream in(file("x.jsonl"));
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 12u);                                 // header, 10 keys, end
  lines[5].replace(lines[5].find("\"value\":\"") + 9, 1, "A");  // alter a value: checksum fails
  {
    std::ofstream out(file("bad.jsonl"));
    for (const auto& line : lines)
      out << line << "\n";
  }
  auto target = open("target");
  target->set("before", "x");
  try {
    target->import_jsonl(file("bad.jsonl"));
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("line 6"), std::string::npos) << e.what();
  }
  EXPECT_EQ(target->get_all_keys(), std::vector<std::string>{"before"});  // nothing written
  ImportOptions skip;
  skip.skip_invalid = true;
  ImportReport report = target->import_jsonl(file("bad.jsonl"), skip);
  EXPECT_EQ(report.imported, 9u);
  ASSERT_EQ(report.invalid_lines.size(), 1u);
  EXPECT_NE(report.invalid_lines[0].find("line 6"), std::string::npos);
}

TEST_P(Export, ReformattedJsonStillImports) {
  auto source = open("source");
  source->set("k", "value", SetOptions{{"a", "b"}, 3600s});
  source->export_jsonl(file("x.jsonl"));
  std::vector<std::string> lines;
  {
    std::ifstream in(file("x.jsonl"));
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  // Reorder and space the fields, as another tool would: the general JSON path reads it.
  std::string& entry = lines[1];
  std::string sum = entry.substr(entry.find("\"sha256\""));
  sum.pop_back();  // the closing brace
  std::string rest = entry.substr(1, entry.find(",\"sha256\"") - 1);
  entry = "{ " + sum + ", " + rest + " }";
  {
    std::ofstream out(file("reformatted.jsonl"));
    for (const auto& line : lines)
      out << line << "\n";
  }
  auto target = open("target");
  EXPECT_EQ(target->import_jsonl(file("reformatted.jsonl")).imported, 1u);
  EXPECT_EQ(target->get("k"), "value");
  EXPECT_EQ(target->get_metadata("k")->tags, (std::vector<std::string>{"a", "b"}));
}

TEST_P(Export, TruncatedForeignAndMissingFilesAreRejected) {
  auto source = open("source");
  source->set("a", "1");
  source->export_jsonl(file("x.jsonl"));
  std::string content;
  {
    std::ifstream in(file("x.jsonl"));
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(file("truncated.jsonl"));
    out << content.substr(0, content.rfind("{\"count\""));
  }
  {
    std::ofstream out(file("foreign.jsonl"));
    out << "{\"hello\":1}\n";
  }
  auto target = open("target");
  EXPECT_THROW(target->import_jsonl(file("truncated.jsonl")), InvalidArgument);
  EXPECT_THROW(target->import_jsonl(file("foreign.jsonl")), InvalidArgument);
  EXPECT_THROW(target->import_jsonl(file("missing.jsonl")), NotFound);
  EXPECT_TRUE(target->get_all_keys().empty());
}

TEST_P(Export, SyncToEveryOtherBackend) {
  auto source = open("source");
  fill(*source);
  for (const KitBackend& kit : kit_backends()) {
    const std::string& backend = kit.name;
    KeyValueStore target(kit.options(dir_.path(), "other-" + backend, "copy-" + backend));
    target.set("extra", "only in target");
    SyncReport report = source->sync_to(target);
    EXPECT_EQ(report.copied, 2504u);
    EXPECT_TRUE(target.exists("extra"));
    report = source->sync_to(target, true);
    EXPECT_EQ(report.removed, 1u);
    EXPECT_EQ(dump(target), dump(*source)) << backend;
  }
  EXPECT_THROW(source->sync_to(*source), InvalidArgument);
}

TEST_P(Export, SyncReportsProgressInKeys) {
  auto source = open("source");
  fill(*source);
  Options memory = options("progress-target", "other");
  memory.backend = "memory";
  KeyValueStore target(memory);
  ProgressLog log;
  source->sync_to(target, false, log.callback());
  EXPECT_GE(log.calls().size(), 3u);  // 2504 keys in chunks of 1000
  log.expect_complete(2504);
}

}  // namespace
}  // namespace nadb::testing
