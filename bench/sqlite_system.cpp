// The workload on SQLite, set up the way SQLite is best used for it: WAL journal with
// synchronous=FULL (durable at commit), one transaction per phase, prepared statements, a
// (tag, key) table as index; an AND query is an INTERSECT of two index range scans.
#include <sqlite3.h>

#include <stdexcept>

#include "system.hpp"

namespace nadb::bench {
namespace {

class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) fail("open");
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    exec(
        "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS tags(tag TEXT, key TEXT, PRIMARY KEY(tag, key)) WITHOUT "
        "ROWID;");
  }
  ~Db() { sqlite3_close(db_); }
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) fail(sql);
    return stmt;
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("sqlite " + what + ": " + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement, reset after each use.
class Statement {
 public:
  Statement(Db& db, const char* sql) : db_(db), stmt_(db.prepare(sql)) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& text(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& blob(int i, std::string_view s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) db_.fail("step");
    return false;
  }
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() { sqlite3_reset(stmt_); }
  std::string_view column(int i) {
    return {static_cast<const char*>(sqlite3_column_blob(stmt_, i)),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))};
  }

 private:
  Db& db_;
  sqlite3_stmt* stmt_;
};

}  // namespace

RunOutput run_sqlite(const Workload& w, const RunConfig& config) {
  const std::vector<std::string>& keys = w.key_names;
  const std::vector<std::string>& tags = w.tag_names;
  std::string path = config.data_dir + "/bench.sqlite";
  RunOutput out;
  auto db = std::make_unique<Db>(path);

  out.phases["a_set"] =
      phase(w.n, seconds_of([&] {
              Statement put(*db, "INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)");
              Statement tag(*db, "INSERT OR IGNORE INTO tags(tag, key) VALUES(?1, ?2)");
              db->exec("BEGIN");
              for (std::uint32_t i = 0; i < w.n; ++i) {
                put.text(1, keys[i]).blob(2, w.value(i)).run();
                tag.text(1, tags[w.tag_a[i]]).text(2, keys[i]).run();
                tag.text(1, tags[w.tag_b[i]]).text(2, keys[i]).run();
              }
              db->exec("COMMIT");
            }));

  std::uint64_t found = 0, first_byte_sum = 0;
  out.phases["b_get"] = phase(w.gets.size(), seconds_of([&] {
                                Statement get(*db, "SELECT value FROM kv WHERE key = ?1");
                                db->exec("BEGIN");
                                for (std::uint32_t i : w.gets) {
                                  if (get.text(1, keys[i]).step()) {
                                    std::string value(get.column(0));
                                    if (value != w.value(i))
                                      throw std::runtime_error("sqlite: wrong value");
                                    ++found;
                                    first_byte_sum += static_cast<unsigned char>(value[0]);
                                  }
                                  get.reset();
                                }
                                db->exec("COMMIT");
                              }));
  out.checks["get_found"] = found;
  out.checks["get_first_byte_sum"] = first_byte_sum;

  std::uint64_t result_sum = 0;
  out.phases["c_query"] = phase(
      w.queries.size(), seconds_of([&] {
        Statement both(
            *db,
            "SELECT key FROM tags WHERE tag = ?1 INTERSECT SELECT key FROM tags WHERE tag = ?2");
        db->exec("BEGIN");
        for (auto [a, b] : w.queries) {
          std::vector<std::string> result;
          both.text(1, tags[a]).text(2, tags[b]);
          while (both.step())
            result.emplace_back(both.column(0));
          both.reset();
          result_sum += result.size();
        }
        db->exec("COMMIT");
      }));
  out.checks["query_result_sum"] = result_sum;

  out.phases["d_delete"] =
      phase(w.deletes.size(), seconds_of([&] {
              Statement del(*db, "DELETE FROM kv WHERE key = ?1");
              Statement untag(*db, "DELETE FROM tags WHERE tag = ?1 AND key = ?2");
              db->exec("BEGIN");
              for (std::uint32_t i : w.deletes) {
                del.text(1, keys[i]).run();
                untag.text(1, tags[w.tag_a[i]]).text(2, keys[i]).run();
                untag.text(1, tags[w.tag_b[i]]).text(2, keys[i]).run();
              }
              db->exec("COMMIT");
            }));

  std::uint64_t final_count = 0;
  out.phases["e_reopen"] =
      phase(1, seconds_of([&] {
              db.reset();
              db = std::make_unique<Db>(path);
              Statement count(*db, "SELECT COUNT(*) FROM kv");
              if (count.step())
                final_count = static_cast<std::uint64_t>(std::stoull(std::string(count.column(0))));
            }));
  out.checks["final_count"] = final_count;
  return out;
}

}  // namespace nadb::bench
