// Damage at open: a torn tail (an interrupted append) is the only thing recovery may leave
// out, and what it leaves out is kept aside; any other damage is Corruption, or skipped under
// RecoveryMode::SkipDamagedRecords. Segments of format 1 are still read.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/hint.hpp"
#include "engine/record.hpp"
#include "nadb/nadb.hpp"
#include "store/compression.hpp"
#include "support/engine_helpers.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"
#include "util/checksum.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/varint.hpp"

namespace nadb::testing {
namespace {

namespace fs = std::filesystem;

engine::EngineOptions with_mode(RecoveryMode mode) {
  engine::EngineOptions o = small_segments(1 << 20);
  o.recovery = mode;
  return o;
}

// A db whose active segment holds keys k0..k19, each synced.
std::string twenty_keys(const TempDir& dir) {
  auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
  for (int i = 0; i < 20; ++i)
    apply(*e, {put_op("k" + std::to_string(i), std::string(50, 'a' + i))}, true);
  return dir.sub(engine::segment_file_name(1));
}

void xor_byte(const std::string& path, std::uint64_t offset, char mask) {
  util::File f(path, O_RDWR);
  std::string byte;
  f.read_at(offset, 1, byte);
  byte[0] ^= mask;
  f.write_at(offset, byte);
}

std::vector<std::string> files_ending(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& name : util::list_directory(dir)) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) out.push_back(name);
  }
  return out;
}

// Defect 8: the top bit of the first record's length made it point past the end; recovery
// took that for a torn tail and truncated the segment to its header: 20 keys gone.
TEST(EngineDamage, AFlippedBitInALengthIsCorruptionNotATornTail) {
  TempDir dir;
  std::string seg = twenty_keys(dir);
  std::uint64_t size = fs::file_size(seg);
  xor_byte(seg, engine::kSegmentHeaderSize + 11, static_cast<char>(0x80));  // length's top byte
  for (RecoveryMode mode : {RecoveryMode::TolerateTornTail, RecoveryMode::AbsoluteConsistency}) {
    try {
      engine::Engine::open(dir.path(), with_mode(mode));
      FAIL() << "opened";
    } catch (const Corruption& e) {
      EXPECT_NE(std::string(e.what()).find("offset 16"), std::string::npos) << e.what();
    }
    EXPECT_EQ(fs::file_size(seg), size) << "bytes were deleted";
  }
}

TEST(EngineDamage, SkipDamagedRecordsKeepsEveryIntactRecordAndKeepsTheRestAside) {
  TempDir dir;
  std::string seg = twenty_keys(dir);
  xor_byte(seg, engine::kSegmentHeaderSize + 11, static_cast<char>(0x80));
  {
    auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::SkipDamagedRecords));
    EXPECT_FALSE(value_of(*e, "k0"));
    for (int i = 1; i < 20; ++i)
      EXPECT_EQ(value_of(*e, "k" + std::to_string(i)), std::string(50, 'a' + i)) << i;
    EXPECT_GT(e->stats().damaged_bytes, 0u);
    ASSERT_EQ(files_ending(dir.path(), ".damaged").size(), 1u);
    apply(*e, {put_op("after", "repair")}, true);
    e->compact();  // what `nadb repair` does: rewrites the damaged segment without the damage
  }
  auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
  EXPECT_EQ(value_of(*e, "k19"), std::string(50, 'a' + 19));
  EXPECT_EQ(value_of(*e, "after"), "repair");
}

TEST(EngineDamage, ATornTailIsLeftOutAndKeptAside) {
  TempDir dir;
  std::string seg = twenty_keys(dir);
  std::uint64_t size = fs::file_size(seg);
  fs::resize_file(seg, size - 7);
  {
    auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
    EXPECT_FALSE(value_of(*e, "k19"));
    EXPECT_EQ(value_of(*e, "k18"), std::string(50, 'a' + 18));
    auto aside = files_ending(dir.path(), ".torn");
    ASSERT_EQ(aside.size(), 1u);
    EXPECT_EQ(e->stats().torn_bytes, fs::file_size(dir.sub(aside[0])));
    EXPECT_GT(e->stats().torn_bytes, 0u);
  }
  fs::resize_file(seg, fs::file_size(seg) - 3);
  EXPECT_THROW(engine::Engine::open(dir.path(), with_mode(RecoveryMode::AbsoluteConsistency)),
               Corruption);
}

TEST(EngineDamage, AZeroFilledTailIsTorn) {
  TempDir dir;
  std::string seg = twenty_keys(dir);
  {
    util::File f(seg, O_RDWR);
    f.write_at(f.size(), std::string(4096, '\0'));
  }
  auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
  EXPECT_EQ(value_of(*e, "k19"), std::string(50, 'a' + 19));
  EXPECT_EQ(e->stats().torn_bytes, 4096u);
}

// A record as format 1 wrote it: no header check.
std::string format_one_record(const std::string& key, const std::string& value, std::uint64_t seq) {
  engine::RecordFields f;
  f.type = engine::RecordType::Put;
  f.seq = seq;
  f.created_ms = f.updated_ms = 1000;
  f.ns = "ns";
  f.key = key;
  f.value = value;
  std::string v2;
  engine::encode_record(v2, f);
  std::string v1 = v2.substr(0, 13) + v2.substr(engine::kRecordHeaderSize);
  std::uint64_t sum = util::checksum(std::string_view(v1).substr(8));
  for (int i = 0; i < 8; ++i)
    v1[i] = static_cast<char>((sum >> (8 * i)) & 0xff);
  return v1;
}

TEST(EngineDamage, SegmentsOfFormatOneAreReadAndNeverAppendedTo) {
  TempDir dir;
  std::string segment = engine::segment_header(3);
  segment[8] = 1;  // format version 1
  segment += format_one_record("old", "written by the first release", 7);
  segment += format_one_record("older", "too", 5);
  util::write_file_atomically(dir.sub(engine::segment_file_name(3)), segment);
  {
    auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
    EXPECT_EQ(value_of(*e, "old"), "written by the first release");
    EXPECT_EQ(value_of(*e, "older"), "too");
    auto v = apply(*e, {put_op("new", "x")}, true).ops[0].version;
    EXPECT_GT(v, 7u);
  }
  EXPECT_EQ(fs::file_size(dir.sub(engine::segment_file_name(3))), segment.size());
  auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
  EXPECT_EQ(value_of(*e, "old"), "written by the first release");
  EXPECT_EQ(value_of(*e, "new"), "x");
}

// Defect 16: a hint entry's record size was trusted: a 32-byte hint made open allocate 2 GB
// (found by the fuzzer). An entry outside its segment makes the hint ignored (the segment is
// scanned instead).
TEST(EngineDamage, AHintListingARecordBeyondItsSegmentIsIgnored) {
  TempDir dir;
  {
    auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
    apply(*e, {put_op("key", "value")}, true);
  }
  engine::RecordFields f;
  f.type = engine::RecordType::Put;
  f.ns = "ns";
  f.key = "key";
  std::string prefix;
  engine::encode_record(prefix, f);  // the payload without the value, as hints keep it
  std::string hint("NADBHNT\0", 8);
  util::put_fixed<std::uint32_t>(hint, engine::kHintFormatVersion);
  util::put_fixed<std::uint32_t>(hint, 1);
  hint.push_back(1);
  util::put_varint(hint, engine::kSegmentHeaderSize);
  util::put_varint(hint, 3ull << 30);  // a record of 3 GiB in a segment of a few bytes
  util::put_varint(hint, 5);
  util::put_varint(hint, prefix.size() - engine::kRecordHeaderSize);
  hint.append(prefix, engine::kRecordHeaderSize);
  util::put_fixed<std::uint64_t>(hint, util::checksum(hint));
  util::write_file_atomically(dir.sub(engine::hint_file_name(1)), hint);
  {  // a hint marks the segment sealed: give the db a newer active one
    util::File next(dir.sub(engine::segment_file_name(2)), O_RDWR | O_CREAT);
    next.write_at(0, engine::segment_header(2));
  }
  auto e = engine::Engine::open(dir.path(), with_mode(RecoveryMode::TolerateTornTail));
  EXPECT_EQ(value_of(*e, "key"), "value");
}

// nadb check / nadb repair: the damage is found without opening the db, and a repair keeps
// every intact record, leaves a db that checks clean, and names what it left out.
TEST(EngineDamage, CheckFindsTheDamageAndRepairKeepsEveryIntactRecord) {
  TempDir dir;
  Options o = test_options(dir.path(), "db");
  {
    KeyValueStore s(o);
    for (int i = 0; i < 20; ++i)
      s.set("k" + std::to_string(i), std::string(50, 'a' + i));
  }
  EXPECT_TRUE(check_db(o).ok);
  xor_byte(dir.sub("db/" + engine::segment_file_name(1)), engine::kSegmentHeaderSize + 30, 1);
  CheckReport damaged = check_db(o);
  EXPECT_FALSE(damaged.ok);
  ASSERT_EQ(damaged.problems.size(), 1u);
  EXPECT_NE(damaged.problems[0].find("damaged bytes at offset 16"), std::string::npos)
      << damaged.problems[0];
  EXPECT_THROW(KeyValueStore{o}, Corruption);
  {
    Options skipping = o;
    skipping.recovery_mode = RecoveryMode::SkipDamagedRecords;
    KeyValueStore open(skipping);
    EXPECT_THROW(repair_db(o), Locked) << "repaired a db open in this process";
  }
  RepairReport repaired = repair_db(o);
  EXPECT_EQ(repaired.keys, 19u);
  EXPECT_GT(repaired.damaged_bytes, 0u);
  EXPECT_TRUE(repaired.after.ok);
  KeyValueStore s(o);
  EXPECT_FALSE(s.get("k0"));
  EXPECT_EQ(s.get("k19"), std::string(50, 'a' + 19));
  EXPECT_THROW(check_db(o), Locked);
}

// Every record of a db can pass its checksum while values cannot be read: the dictionary
// they were compressed with is lost (both its records). nadb check says which and how many.
TEST(EngineDamage, CheckFindsValuesWhoseCompressionDictionaryIsLost) {
  TempDir dir;
  Options o = test_options(dir.path(), "db");
  o.dictionary_training_bytes = 64 << 10;
  {
    KeyValueStore s(o);
    for (int i = 0; i < 100; ++i) {  // 1 KiB log lines: a dictionary after the first 64
      std::string value;
      for (int line = 0; value.size() < 1024; ++line)
        value += "ts=" + std::to_string(1764000000 + i * 37 + line) + " GET /api/users/" +
                 std::to_string((i * 7919 + line) % 1000) + " 200 served\n";
      s.set("k" + std::to_string(i), value.substr(0, 1024));
    }
  }
  EXPECT_TRUE(check_db(o).ok);
  auto e = engine::Engine::open(dir.sub("db"), small_segments());
  auto record = e->get("default", "k99", util::now_ms(), false);
  ASSERT_TRUE(record);
  std::uint32_t id = store::dictionary_id_of(record->value);
  ASSERT_NE(id, 0u) << "no value was compressed with a dictionary";
  apply(*e, {put_op("dictionary:" + std::to_string(id), "lost", {}, 0, "@dictionaries"),
             put_op("copy:" + std::to_string(id), "lost", {}, 0, "@dictionaries")});
  e.reset();
  CheckReport report = check_db(o);
  EXPECT_FALSE(report.ok);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find("values need compression dictionary " + std::to_string(id)),
            std::string::npos)
      << report.problems[0];
}

}  // namespace
}  // namespace nadb::testing
