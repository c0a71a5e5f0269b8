// The workload on LMDB, set up the way LMDB is best used for it: one write transaction per
// phase (durable at commit), the value prefixed by its two tag bytes, and a DUPSORT database
// tag -> key; an AND query intersects two sorted duplicate lists.
#include <lmdb.h>

#include <stdexcept>

#include "cold_open.hpp"
#include "system.hpp"

namespace nadb::bench {
namespace {

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS)
    throw std::runtime_error(std::string("lmdb ") + what + ": " + mdb_strerror(rc));
}

MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

struct Lmdb {
  MDB_env* env = nullptr;
  MDB_dbi main = 0, tags = 0;

  explicit Lmdb(const std::string& dir) {
    check(mdb_env_create(&env), "env_create");
    check(mdb_env_set_mapsize(env, std::size_t{4} << 30), "set_mapsize");
    check(mdb_env_set_maxdbs(env, 4), "set_maxdbs");
    check(mdb_env_open(env, dir.c_str(), MDB_NORDAHEAD, 0644), "env_open");
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
    check(mdb_dbi_open(txn, "main", MDB_CREATE, &main), "dbi_open");
    check(mdb_dbi_open(txn, "tags", MDB_CREATE | MDB_DUPSORT, &tags), "dbi_open");
    check(mdb_txn_commit(txn), "commit");
  }
  ~Lmdb() { mdb_env_close(env); }
  MDB_txn* begin(bool read_only) {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &txn), "txn_begin");
    return txn;
  }
};

std::vector<std::string> keys_of_tag(MDB_txn* txn, MDB_dbi tags, const std::string& tag) {
  std::vector<std::string> keys;
  MDB_cursor* cursor = nullptr;
  check(mdb_cursor_open(txn, tags, &cursor), "cursor_open");
  MDB_val k = val(tag), v;
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY);
  while (rc == MDB_SUCCESS) {
    keys.emplace_back(view(v));
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_DUP);
  }
  mdb_cursor_close(cursor);
  return keys;
}

// One read transaction for the probe's gets, as the b_get phase reads.
class LmdbReader : public ColdReader {
 public:
  explicit LmdbReader(const std::string& dir) : db_(dir), txn_(db_.begin(true)) {}
  ~LmdbReader() override { mdb_txn_abort(txn_); }
  bool get(const std::string& key) override {
    MDB_val k = val(key), v;
    if (mdb_get(txn_, db_.main, &k, &v) != MDB_SUCCESS) return false;
    std::string value(view(v).substr(2));  // a copy, as every system returns one
    return value.size() + 2 == v.mv_size;
  }
  std::uint64_t count() override {
    MDB_stat stat;
    check(mdb_stat(txn_, db_.main, &stat), "stat");
    return stat.ms_entries;
  }

 private:
  Lmdb db_;
  MDB_txn* txn_;
};

}  // namespace

std::unique_ptr<ColdReader> open_lmdb_reader(const std::string& dir) {
  return std::make_unique<LmdbReader>(dir);
}

RunOutput run_lmdb(const Workload& w, const RunConfig& config) {
  const std::vector<std::string>& keys = w.key_names;
  const std::vector<std::string>& tags = w.tag_names;
  RunOutput out;
  auto db = std::make_unique<Lmdb>(config.data_dir);

  out.phases["a_set"] = phase(w.n, seconds_of([&] {
                                MDB_txn* txn = db->begin(false);
                                std::string record;
                                for (std::uint32_t i = 0; i < w.n; ++i) {
                                  tagged_record(w, i, record);
                                  MDB_val k = val(keys[i]), v = val(record);
                                  check(mdb_put(txn, db->main, &k, &v, 0), "put");
                                  for (auto t : {w.tag_a[i], w.tag_b[i]}) {
                                    MDB_val tk = val(tags[t]), tv = val(keys[i]);
                                    check(mdb_put(txn, db->tags, &tk, &tv, 0), "put tag");
                                  }
                                }
                                check(mdb_txn_commit(txn), "commit");
                              }));

  std::uint64_t found = 0, first_byte_sum = 0;
  out.phases["b_get"] =
      phase(w.gets.size(), seconds_of([&] {
              MDB_txn* txn = db->begin(true);
              for (std::uint32_t i : w.gets) {
                MDB_val k = val(keys[i]), v;
                if (mdb_get(txn, db->main, &k, &v) != MDB_SUCCESS) continue;
                std::string value(view(v).substr(2));  // a copy, as every system returns one
                if (value != w.value(i)) throw std::runtime_error("lmdb: wrong value");
                ++found;
                first_byte_sum += static_cast<unsigned char>(value[0]);
              }
              mdb_txn_abort(txn);
            }));
  out.checks["get_found"] = found;
  out.checks["get_first_byte_sum"] = first_byte_sum;

  std::uint64_t result_sum = 0;
  out.phases["c_query"] = phase(w.queries.size(), seconds_of([&] {
                                  MDB_txn* txn = db->begin(true);
                                  for (auto [a, b] : w.queries) {
                                    result_sum +=
                                        sorted_intersection(keys_of_tag(txn, db->tags, tags[a]),
                                                            keys_of_tag(txn, db->tags, tags[b]))
                                            .size();
                                  }
                                  mdb_txn_abort(txn);
                                }));
  out.checks["query_result_sum"] = result_sum;

  out.phases["d_delete"] = phase(w.deletes.size(), seconds_of([&] {
                                   MDB_txn* txn = db->begin(false);
                                   for (std::uint32_t i : w.deletes) {
                                     MDB_val k = val(keys[i]), v;
                                     if (mdb_get(txn, db->main, &k, &v) != MDB_SUCCESS) continue;
                                     std::string_view record = view(v);
                                     std::uint8_t ta = static_cast<std::uint8_t>(record[0]),
                                                  tb = static_cast<std::uint8_t>(record[1]);
                                     for (auto t : {ta, tb}) {
                                       MDB_val tk = val(tags[t]), tv = val(keys[i]);
                                       check(mdb_del(txn, db->tags, &tk, &tv), "del tag");
                                     }
                                     check(mdb_del(txn, db->main, &k, nullptr), "del");
                                   }
                                   check(mdb_txn_commit(txn), "commit");
                                 }));

  std::uint64_t final_count = 0;
  out.phases["e_reopen"] = phase(1, seconds_of([&] {
                                   db.reset();
                                   db = std::make_unique<Lmdb>(config.data_dir);
                                   MDB_txn* txn = db->begin(true);
                                   MDB_stat stat;
                                   check(mdb_stat(txn, db->main, &stat), "stat");
                                   final_count = stat.ms_entries;
                                   mdb_txn_abort(txn);
                                 }));
  out.checks["final_count"] = final_count;
  return out;
}

}  // namespace nadb::bench
