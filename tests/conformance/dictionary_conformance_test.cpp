// Compression dictionaries on every backend: trained from a namespace's values, stored in the
// db, named by every frame made with them, found again after a reopen, by other stores, after
// backups and restores, and from their second copy when one record is damaged.
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "conformance/store_fixture.hpp"

namespace nadb::testing {
namespace {

class Dictionaries : public StoreTest {
 protected:
  Options dictionary_options(const std::string& ns = "default") const {
    Options o = options(ns);
    o.dictionary_training_bytes = 64 << 10;
    return o;
  }
  // A 1 KiB log-like value, as the benchmark's text values.
  static std::string log_value(std::mt19937_64& random) {
    static const char* const kWords[] = {"GET", "POST", "/api/users", "200", "404", "served"};
    std::string out;
    while (out.size() < 1024) {
      out += "ts=" + std::to_string(1764000000 + random() % 100000) + " " +
             kWords[random() % std::size(kWords)] + " id=" + std::to_string(random() % 10000) +
             "\n";
    }
    out.resize(1024);
    return out;
  }
  // Writes count such values as key<first>... and remembers them.
  void write(KeyValueStore& s, int first, int count) {
    for (int i = first; i < first + count; ++i) {
      std::string key = "key" + std::to_string(i);
      values_[key] = log_value(random_);
      s.set(key, values_[key]);
    }
  }
  void expect_all(KeyValueStore& s) const {
    for (const auto& [key, value] : values_)
      ASSERT_EQ(s.get(key), value) << key;
  }
  // The dictionary id the stored frame of key names (0: none).
  unsigned dictionary_of(const std::string& key, const std::string& ns = "default") const {
    auto record = GetParam().open(dir_.path())->get(ns, key, util_now(), false);
    EXPECT_TRUE(record) << key;
    return record ? ZSTD_getDictID_fromFrame(record->value.data(), record->value.size()) : 0;
  }
  static std::int64_t util_now() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  // Overwrites key of the dictionary namespace with bytes that are no dictionary.
  void damage(const std::string& key) const {
    auto backend = GetParam().open(dir_.path());
    WriteBatch batch;
    WriteOp& op = batch.ops.emplace_back();
    op.ns = std::string(kDictionaryNamespace);
    op.key = key;
    op.value = "not a dictionary";
    op.raw_size = op.value.size();
    batch.now_ms = util_now();
    ASSERT_TRUE(backend->apply(batch).applied);
  }

  // Flips a bit inside the first `count` records of the fs db holding bytes (the segment files
  // in order, then offset order): each then fails its checksum. Returns how many it found.
  std::size_t flip_on_disk(const std::string& bytes, std::size_t count) const {
    std::string chunk = bytes.substr(bytes.size() / 2, 64);
    std::vector<std::filesystem::path> segments;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() + "/db"))
      if (entry.path().extension() == ".seg") segments.push_back(entry.path());
    std::sort(segments.begin(), segments.end());
    std::size_t flipped = 0;
    for (const auto& path : segments) {
      std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
      std::string content((std::istreambuf_iterator<char>(file)), {});
      for (std::size_t at = content.find(chunk); at != std::string::npos && flipped < count;
           at = content.find(chunk, at + 1), ++flipped) {
        file.seekp(static_cast<std::streamoff>(at + 10));
        file.put(static_cast<char>(content[at + 10] ^ 0x40));
      }
    }
    return flipped;
  }
  // The bytes of record key of the dictionary namespace (empty: none).
  std::string dictionary_record(const std::string& key) const {
    auto record = GetParam().open(dir_.path())->get(kDictionaryNamespace, key, util_now(), false);
    return record ? record->value : std::string();
  }

  std::mt19937_64 random_{7};
  std::map<std::string, std::string> values_;
};
NADB_CONFORMANCE_SUITE(Dictionaries);

class FsDictionaries : public Dictionaries {};
INSTANTIATE_TEST_SUITE_P(Backends, FsDictionaries, ::testing::Values(kit_backends().at(0)),
                         [](const auto& param_info) { return param_info.param.name; });

TEST_P(Dictionaries, ValuesAreCompressedWithTheNamespacesDictionaryOnceTrained) {
  KeyValueStore s(dictionary_options());
  write(s, 0, 40);  // 40 KiB of samples: not yet
  write(s, 40, 60);
  EXPECT_EQ(dictionary_of("key0"), 0u);
  unsigned id = dictionary_of("key99");
  EXPECT_GE(id, 32768u);
  std::uint64_t alone = 0, with_dictionary = 0;
  for (int i = 0; i < 30; ++i) {
    alone += s.get_metadata("key" + std::to_string(i))->stored_size;
    with_dictionary += s.get_metadata("key" + std::to_string(i + 70))->stored_size;
  }
  EXPECT_LT(with_dictionary * 10, alone * 9) << "the dictionary saves a tenth at least";
  EXPECT_TRUE(s.get_metadata("key99")->compressed);
  expect_all(s);
  // Another namespace trains its own; each store reads the other's values.
  KeyValueStore other(dictionary_options("other"));
  for (int i = 0; i < 100; ++i)
    other.set("o" + std::to_string(i), log_value(random_));
  unsigned other_id = dictionary_of("o99", "other");
  EXPECT_GE(other_id, 32768u);
  EXPECT_NE(other_id, id);
  // The application's namespaces are what they were; the dictionaries are apart.
  auto namespaces = GetParam().open(dir_.path())->namespaces();
  EXPECT_EQ(std::count(namespaces.begin(), namespaces.end(), std::string(kDictionaryNamespace)), 1);
}

TEST_P(Dictionaries, AReopenedStoreKeepsItsNamespacesDictionary) {
  auto s = std::make_unique<KeyValueStore>(dictionary_options());
  write(*s, 0, 100);
  unsigned id = dictionary_of("key99");
  ASSERT_NE(id, 0u);
  KeyValueStore keeper(options("keeper"));  // the memory backend's data outlives the stores
  s.reset();
  KeyValueStore again(dictionary_options());
  expect_all(again);
  write(again, 100, 1);  // no samples needed: the namespace has a dictionary
  EXPECT_EQ(dictionary_of("key100"), id);
  // A store that compresses without dictionaries still reads values made with them.
  Options plain = options();
  plain.dictionary_value_limit = 0;
  KeyValueStore without(plain);
  expect_all(without);
  without.set("plain", values_["key5"]);
  EXPECT_EQ(dictionary_of("plain"), 0u);
  EXPECT_EQ(without.get("plain"), values_["key5"]);
}

TEST_P(Dictionaries, ADamagedDictionaryRecordIsReadFromItsCopyAndWrittenAgain) {
  KeyValueStore keeper(options("keeper"));  // the memory backend's data outlives the stores
  {
    KeyValueStore s(dictionary_options());
    write(s, 0, 100);
  }
  unsigned id = dictionary_of("key99");
  ASSERT_NE(id, 0u);
  std::string bytes = dictionary_record("copy:" + std::to_string(id));
  damage("dictionary:" + std::to_string(id));
  {
    KeyValueStore s(dictionary_options());
    expect_all(s);
  }
  // Read from its copy, the damaged record was written again.
  EXPECT_EQ(dictionary_record("dictionary:" + std::to_string(id)), bytes);
  damage("copy:" + std::to_string(id));
  {
    KeyValueStore s(dictionary_options());
    expect_all(s);
  }
  EXPECT_EQ(dictionary_record("copy:" + std::to_string(id)), bytes);
  damage("dictionary:" + std::to_string(id));
  damage("copy:" + std::to_string(id));
  KeyValueStore s(dictionary_options());
  EXPECT_EQ(s.get("key0"), values_["key0"]);  // compressed alone
  try {
    s.get("key99");
    FAIL() << "a value whose dictionary is lost decoded";
  } catch (const Corruption& e) {
    EXPECT_NE(std::string(e.what()).find("dictionary " + std::to_string(id)), std::string::npos)
        << e.what();
  }
}

TEST_P(Dictionaries, ARestoreThatEmptiesNamespacesKeepsTheDictionaries) {
  KeyValueStore s(dictionary_options());
  write(s, 0, 100);
  if (backend_name() == "memory") {  // no files and no change log: nothing to back up
    EXPECT_THROW(s.create_backup("b1"), NotSupported);
    return;
  }
  s.create_backup("b1");
  write(s, 100, 20);
  s.restore_backup("b1", true, true);
  for (int i = 100; i < 120; ++i)
    values_.erase("key" + std::to_string(i));
  expect_all(s);
  EXPECT_FALSE(s.get("key100"));
  write(s, 200, 1);
  EXPECT_EQ(dictionary_of("key200"), dictionary_of("key99"));
  KeyValueStore fresh(dictionary_options());  // which has read no dictionary yet
  expect_all(fresh);
}

// A store keeps compressing with the dictionary it trained; a restore of a backup taken before
// it existed must not take it away from the values written after.
TEST_P(Dictionaries, ARestoreOfABackupFromBeforeTheDictionaryKeepsIt) {
  KeyValueStore keeper(options("keeper"));
  auto s = std::make_unique<KeyValueStore>(dictionary_options());
  s->set("before", "no dictionary yet");
  if (backend_name() == "memory") {  // no files and no change log: nothing to back up
    EXPECT_THROW(s->create_backup("b0"), NotSupported);
    return;
  }
  s->create_backup("b0");
  write(*s, 0, 100);
  unsigned id = dictionary_of("key99");
  ASSERT_NE(id, 0u);
  s->restore_backup("b0", true, true);
  values_.clear();
  write(*s, 200, 3);  // with the dictionary the store has
  EXPECT_EQ(dictionary_of("key202"), id);
  s.reset();
  KeyValueStore again(dictionary_options());
  expect_all(again);
  EXPECT_EQ(again.get("before"), "no dictionary yet");
  EXPECT_FALSE(again.get("key0"));
}

// A dictionary holds pieces of its samples and outlives them: only values that were written
// are samples, never those of a rolled-back transaction or a refused conditional write.
TEST_P(Dictionaries, OnlyWrittenValuesAreSamples) {
  KeyValueStore s(dictionary_options());
  auto secret = [&](int i) { return "secret-" + std::to_string(i) + " " + log_value(random_); };
  {
    Transaction tx = s.transaction();
    for (int i = 0; i < 100; ++i)
      tx.set(grouped("t" + std::to_string(i)), secret(i));
    tx.rollback();
  }
  s.set("taken", "first");
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(s.set_if_absent("taken", secret(i)));
  auto backend = GetParam().open(dir_.path());
  EXPECT_FALSE(backend->get(kDictionaryNamespace, "namespace:default", util_now(), false))
      << "trained from values never written";
  write(s, 0, 100);
  auto named = backend->get(kDictionaryNamespace, "namespace:default", util_now(), false);
  ASSERT_TRUE(named);
  auto dictionary =
      backend->get(kDictionaryNamespace, "dictionary:" + named->value, util_now(), false);
  ASSERT_TRUE(dictionary);
  EXPECT_EQ(dictionary->value.find("secret"), std::string::npos);
  EXPECT_EQ(std::to_string(dictionary_of("key99")), named->value);
  expect_all(s);
}

TEST_P(Dictionaries, TrainingBytesOutsideTheirRangeAreRefused) {
  Options o = options();
  o.dictionary_training_bytes = 1000;
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
  o.dictionary_training_bytes = (64 << 20) + 1;
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
  o.dictionary_training_bytes = 1000;
  o.dictionary_value_limit = 0;  // no dictionaries: the budget is unused
  EXPECT_NO_THROW(KeyValueStore{o});
  o.dictionary_value_limit = 16384;
  o.compression = Compression::Zlib;  // dictionaries are zstd's
  EXPECT_NO_THROW(KeyValueStore{o});
}

// A merging restore of a physical backup copies the backup's frames as they are (fs only:
// a logical backup holds values decoded, and its restore compresses them again).
TEST_P(FsDictionaries, AMergingRestoreBringsTheBackupsDictionaries) {
  auto s = std::make_unique<KeyValueStore>(dictionary_options());
  write(*s, 0, 100);
  unsigned backed_up = dictionary_of("key99");
  s->create_backup("b1");
  std::map<std::string, std::string> backed_up_values = values_;
  s.reset();
  std::filesystem::remove_all(std::filesystem::path(dir_.path()) / "db");
  values_.clear();
  random_.seed(99);  // other values: another dictionary
  s = std::make_unique<KeyValueStore>(dictionary_options());
  for (int i = 0; i < 100; ++i) {
    std::string key = "new" + std::to_string(i);
    values_[key] = log_value(random_) + "x";
    s->set(key, values_[key]);
  }
  unsigned own = dictionary_of("new99");
  ASSERT_NE(own, 0u);
  ASSERT_NE(own, backed_up);
  s->restore_backup("b1", true, false);
  values_.insert(backed_up_values.begin(), backed_up_values.end());
  expect_all(*s);
  EXPECT_EQ(dictionary_of("key99"), backed_up);
  s.reset();
  KeyValueStore again(dictionary_options());
  expect_all(again);
}

// A dictionary record that fails its checksum (a flipped bit on disk, not a rewrite) is read
// from its copy, and a replacing restore, the way out of damage, still works.
TEST_P(FsDictionaries, ARecordFailingItsChecksumIsReadFromItsCopyAndARestoreStillWorks) {
  Options o = dictionary_options();
  o.max_segment_size_mb = 0.0625;  // the dictionary ends in a sealed segment
  auto s = std::make_unique<KeyValueStore>(o);
  write(*s, 0, 100);
  s->create_backup("good");
  unsigned id = dictionary_of("key99");
  ASSERT_NE(id, 0u);
  std::string bytes = dictionary_record("dictionary:" + std::to_string(id));
  s.reset();
  ASSERT_EQ(flip_on_disk(bytes, 1), 1u);  // the first record is the first occurrence
  s = std::make_unique<KeyValueStore>(o);
  expect_all(*s);
  s->restore_backup("good", true, true);
  expect_all(*s);
  s.reset();
  KeyValueStore again(o);
  expect_all(again);
}

// A repair drops a damaged record: a db may hold a dictionary only as its copy, which a
// merging restore of its backup must bring all the same.
TEST_P(FsDictionaries, AMergingRestoreBringsADictionaryKeptOnlyAsItsCopy) {
  auto s = std::make_unique<KeyValueStore>(dictionary_options());
  write(*s, 0, 100);
  unsigned id = dictionary_of("key99");
  ASSERT_NE(id, 0u);
  {
    auto backend = GetParam().open(dir_.path());
    WriteBatch batch;
    WriteOp& op = batch.ops.emplace_back();
    op.kind = WriteOp::Kind::Remove;
    op.ns = std::string(kDictionaryNamespace);
    op.key = "dictionary:" + std::to_string(id);
    batch.now_ms = util_now();
    ASSERT_TRUE(backend->apply(batch).applied);
  }
  s->create_backup("b1");
  s.reset();
  std::filesystem::remove_all(std::filesystem::path(dir_.path()) / "db");
  s = std::make_unique<KeyValueStore>(dictionary_options());
  s->restore_backup("b1", true, false);
  s.reset();
  KeyValueStore again(dictionary_options());
  expect_all(again);
  // Read from its copy, the dictionary was written again: the next damage costs nothing.
  EXPECT_EQ(dictionary_record("dictionary:" + std::to_string(id)),
            dictionary_record("copy:" + std::to_string(id)));
}

// Both records of a dictionary fail their checksums: a merging restore of a backup that holds
// it intact writes it again; and a replacing restore of a backup from before it, made by a
// store that holds it in memory, writes it from there for the values it goes on writing.
TEST_P(FsDictionaries, RestoresMendADictionaryWhoseRecordsAreBothDamaged) {
  Options o = dictionary_options();
  o.max_segment_size_mb = 0.0625;  // the dictionary ends in a sealed segment
  auto s = std::make_unique<KeyValueStore>(o);
  s->set("before", "no dictionary yet");
  s->create_backup("empty");
  write(*s, 0, 100);
  s->create_backup("good");
  unsigned id = dictionary_of("key99");
  std::string bytes = dictionary_record("dictionary:" + std::to_string(id));
  ASSERT_FALSE(bytes.empty());
  s.reset();
  ASSERT_EQ(flip_on_disk(bytes, 2), 2u);
  s = std::make_unique<KeyValueStore>(o);
  EXPECT_THROW(s->get("key99"), Corruption);
  s->restore_backup("good", true, false);
  s.reset();
  s = std::make_unique<KeyValueStore>(o);
  expect_all(*s);                           // the store now holds the dictionary in memory
  EXPECT_GE(flip_on_disk(bytes, 100), 2u);  // while it is open: every record of it
  values_.clear();
  s->restore_backup("empty", true, true);
  write(*s, 200, 3);
  EXPECT_EQ(dictionary_of("key202"), id);
  s.reset();
  KeyValueStore again(o);
  expect_all(again);
  EXPECT_EQ(again.get("before"), "no dictionary yet");
}

}  // namespace
}  // namespace nadb::testing
