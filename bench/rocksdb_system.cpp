// The workload on RocksDB, set up the way RocksDB is best used for it: WriteBatches of 1000
// keys through the WAL, which is synced at the end of each write phase (durable then, as every
// system here); the value prefixed by its two tag bytes in the default column family; a "tags"
// column family of tag \0 key entries with a bloom-filtered block table; an AND query merges
// two prefix scans (each already in key order).
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <stdexcept>

#include "system.hpp"

namespace nadb::bench {
namespace {

constexpr std::size_t kBatch = 1000;

void check(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) throw std::runtime_error(std::string("rocksdb ") + what + ": " + s.ToString());
}

std::string tag_entry(const std::string& tag, std::string_view key) {
  std::string entry = tag;
  entry.push_back('\0');
  entry.append(key);
  return entry;
}

class Rocks {
 public:
  explicit Rocks(const std::string& dir) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.IncreaseParallelism(2);
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions family(options);
    family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, family}, {"tags", family}};
    rocksdb::DB* db = nullptr;
    check(rocksdb::DB::Open(options, dir, families, &handles_, &db), "open");
    db_.reset(db);
  }
  ~Rocks() {
    for (auto* handle : handles_)
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* main() { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* tags() { return handles_[1]; }

  // Writes batch (when not empty) and starts a new one.
  void write(rocksdb::WriteBatch& batch) {
    if (batch.Count() == 0) return;
    check(db_->Write(rocksdb::WriteOptions(), &batch), "write");
    batch.Clear();
  }

  std::vector<std::string> keys_of_tag(const std::string& tag) {
    std::vector<std::string> keys;
    std::string prefix = tag_entry(tag, "");
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), tags()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
      keys.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    check(it->status(), "scan");
    return keys;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace

RunOutput run_rocksdb(const Workload& w, const RunConfig& config) {
  const std::vector<std::string>& keys = w.key_names;
  const std::vector<std::string>& tags = w.tag_names;
  RunOutput out;
  auto db = std::make_unique<Rocks>(config.data_dir);

  out.phases["a_set"] = phase(w.n, seconds_of([&] {
                                rocksdb::WriteBatch batch;
                                std::string record;
                                for (std::uint32_t i = 0; i < w.n; ++i) {
                                  tagged_record(w, i, record);
                                  batch.Put(db->main(), keys[i], record);
                                  for (auto t : {w.tag_a[i], w.tag_b[i]})
                                    batch.Put(db->tags(), tag_entry(tags[t], keys[i]), "");
                                  if (batch.Count() >= 3 * kBatch) db->write(batch);
                                }
                                db->write(batch);
                                check(db->db().SyncWAL(), "sync wal");
                              }));

  std::uint64_t found = 0, first_byte_sum = 0;
  out.phases["b_get"] =
      phase(w.gets.size(), seconds_of([&] {
              rocksdb::PinnableSlice record;
              for (std::uint32_t i : w.gets) {
                record.Reset();
                auto s = db->db().Get(rocksdb::ReadOptions(), db->main(), keys[i], &record);
                if (s.IsNotFound()) continue;
                check(s, "get");
                std::string value(record.data() + 2, record.size() - 2);
                if (value != w.value(i)) throw std::runtime_error("rocksdb: wrong value");
                ++found;
                first_byte_sum += static_cast<unsigned char>(value[0]);
              }
            }));
  out.checks["get_found"] = found;
  out.checks["get_first_byte_sum"] = first_byte_sum;

  std::uint64_t result_sum = 0;
  out.phases["c_query"] =
      phase(w.queries.size(), seconds_of([&] {
              for (auto [a, b] : w.queries) {
                result_sum +=
                    sorted_intersection(db->keys_of_tag(tags[a]), db->keys_of_tag(tags[b])).size();
              }
            }));
  out.checks["query_result_sum"] = result_sum;

  out.phases["d_delete"] =
      phase(w.deletes.size(), seconds_of([&] {
              rocksdb::WriteBatch batch;
              std::string record;
              for (std::uint32_t i : w.deletes) {
                auto s = db->db().Get(rocksdb::ReadOptions(), db->main(), keys[i], &record);
                if (s.IsNotFound()) continue;
                check(s, "get");
                for (char t : record.substr(0, 2)) {
                  batch.Delete(db->tags(), tag_entry(tags[static_cast<std::uint8_t>(t)], keys[i]));
                }
                batch.Delete(db->main(), keys[i]);
                if (batch.Count() >= 3 * kBatch) db->write(batch);
              }
              db->write(batch);
              check(db->db().SyncWAL(), "sync wal");
            }));

  std::uint64_t final_count = 0;
  out.phases["e_reopen"] = phase(1, seconds_of([&] {
                                   db.reset();
                                   db = std::make_unique<Rocks>(config.data_dir);
                                   // No exact count is kept: a key-only scan counts them.
                                   std::unique_ptr<rocksdb::Iterator> it(
                                       db->db().NewIterator(rocksdb::ReadOptions(), db->main()));
                                   for (it->SeekToFirst(); it->Valid(); it->Next())
                                     ++final_count;
                                   check(it->status(), "count");
                                 }));
  out.checks["final_count"] = final_count;
  return out;
}

}  // namespace nadb::bench
