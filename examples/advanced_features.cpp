// NADB's features one after another, each checked: tag queries, TTL, transactions with
// rollback and conflicts, backups (full, incremental, verify, restore), export/import and
// sync, JSON logging and statistics. Run as a test; exits 1 at the first surprise.
// Usage: advanced_features DATA_FOLDER
#include <nadb/nadb.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("unexpected: " + what);
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : " ") + item;
  return text;
}

// Structured logs as JSON lines into a file; NADB's backup and transaction events at info.
std::string setup_json_logging(const std::string& folder) {
  nadb::LogConfig config;
  config.format = nadb::LogFormat::Json;
  config.to_stderr = false;
  config.file = folder + "/nadb.log";
  config.component_levels = {{"nadb.backup", nadb::LogLevel::Info},
                             {"nadb.txn", nadb::LogLevel::Info},
                             {"shop", nadb::LogLevel::Info}};
  nadb::LoggingConfig::setup(config);
  nadb::LoggingConfig::get_logger("shop").info("example started", {{"folder", folder}});
  return config.file;
}

void tags_and_queries(nadb::KeyValueStore& store) {
  store.set("product:1", "keyboard", {"hardware", "sale"});
  store.set("product:2", "mouse", {"hardware"});
  store.set("product:3", "manual", {"docs", "sale"});
  store.set("product:4", std::string(5000, 'x'), {"hardware", "large"});

  check(store.query_by_tags({"hardware", "sale"}) == std::vector<std::string>{"product:1"},
        "AND of two tags");
  auto any = store.query_by_tags_advanced({"docs", "large"}, nadb::TagOperator::Or, 1, 1);
  std::cout << "docs OR large, page 1 of size 1: " << join(any.keys) << " (of " << any.total_count
            << ", more: " << any.has_more << ")\n";
  check(any.total_count == 2 && any.has_more, "OR with paging");

  // The same question three ways: conditions, the query builder, the query language.
  nadb::Condition hardware{"tags", "and", {"hardware"}, {}, {}};
  nadb::Condition small{"size", "range", {}, 0, 1024};
  auto by_conditions = store.complex_query({hardware, small});
  auto built = nadb::Query::tag("hardware") && nadb::Query::range("size", 0, 1024);
  auto parsed = nadb::Query::parse("tag:hardware AND size:[0,1024]");
  check(by_conditions.keys == store.query(built).keys && built.to_string() == parsed.to_string(),
        "conditions, builder and parser agree");
  std::cout << "small hardware: " << join(by_conditions.keys) << "\n";
  auto not_sale = store.query(nadb::Query::parse("key:product:* AND NOT tag:sale"));
  std::cout << "products not on sale: " << join(not_sale.keys) << "\n";
  for (const auto& [tag, count] : store.list_all_tags())
    std::cout << "  tag " << tag << ": " << count << " keys\n";
}

void time_to_live(nadb::KeyValueStore& store) {
  store.set_with_ttl("otp:42", "913555", 1s, {"otp"});
  store.set("cart:7", "3 items");
  store.expire("cart:7", 3600s);
  check(store.ttl("cart:7")->count() > 3590, "expire sets a TTL");
  check(store.persist("cart:7") && !store.ttl("cart:7"), "persist removes it");
  std::this_thread::sleep_for(1100ms);
  check(!store.get("otp:42") && store.query_by_tags({"otp"}).empty(),
        "an expired key is invisible to reads and queries at once");
  std::cout << "otp:42 expired; cleanup_expired reclaimed " << store.cleanup_expired()
            << " key(s)\n";
}

void transactions(nadb::KeyValueStore& store) {
  store.set("account:a", "100");
  store.set("account:b", "0");
  // run_transaction commits when the function returns, rolls back when it throws.
  store.run_transaction([](nadb::Transaction& tx) {
    tx.set("account:a", "70");
    tx.set("account:b", "30");
  });
  try {
    store.run_transaction([](nadb::Transaction& tx) {
      tx.set("account:a", "0");
      throw std::runtime_error("payment declined");
    });
  } catch (const std::runtime_error&) {
  }
  check(store.get("account:a") == "70", "a failed transaction changes nothing");

  auto tx = store.transaction();
  tx.remove("account:b");
  tx.rollback();
  check(store.get("account:b") == "30", "rollback discards the writes");

  // Serializable: a key read in the transaction changed before commit → conflict.
  auto reader = store.transaction(nadb::IsolationLevel::Serializable);
  auto balance = reader.get("account:a");
  store.set("account:a", "60");  // another writer
  reader.set("account:b", std::to_string(std::stoi(*balance) / 2));
  try {
    reader.commit();
    check(false, "a stale serializable read must not commit");
  } catch (const nadb::TransactionConflict& e) {
    std::cout << "conflict detected: " << e.what() << "\n";
  }
  std::cout << "balances: a=" << *store.get("account:a") << " b=" << *store.get("account:b")
            << "\n";
}

void backups(nadb::KeyValueStore& store) {
  auto full = store.create_backup("monday");
  store.set("product:5", "cable", {"hardware"});
  store.remove("product:2");
  auto incremental = store.create_incremental_backup("monday", "tuesday");
  std::cout << "backups: " << full.id << " (" << full.key_count << " keys, " << full.stored_bytes
            << " B), " << incremental.id << " (" << incremental.file_count << " new file(s))\n";
  check(store.verify_backup("tuesday"), "the chain verifies");

  store.set("product:1", "broken by mistake");
  store.restore_backup("monday", true, true);  // replace everything with Monday's state
  check(store.get("product:1") == "keyboard" && store.exists("product:2") &&
            !store.exists("product:5"),
        "restore of the full backup");
  store.restore_backup("tuesday", true, true);
  check(!store.exists("product:2") && store.exists("product:5"), "restore of the increment");
}

void export_import_and_sync(nadb::KeyValueStore& store, nadb::Options options) {
  auto exported = store.export_jsonl(options.data_folder + "/shop.jsonl.zst");
  options.ns = "shop-copy";
  nadb::KeyValueStore copy(options);
  auto imported = copy.import_jsonl(exported.path);
  check(imported.imported == exported.keys && copy.get("product:5") == "cable",
        "import of an export");

  nadb::Options in_memory;
  in_memory.backend = "memory";
  nadb::KeyValueStore cache(in_memory);
  auto synced = store.sync_to(cache);
  check(cache.query_by_tags({"hardware"}) == store.query_by_tags({"hardware"}),
        "sync keeps the tags");
  std::cout << "exported " << exported.keys << " keys to " << exported.path << ", imported "
            << imported.imported << ", synced " << synced.copied << " into memory\n";
}

void statistics(nadb::KeyValueStore& store) {
  nadb::Stats stats = store.get_stats();
  const auto& sets = stats.operations.at("set");
  std::cout << "stats: " << stats.key_count << " keys; set count " << sets.count << ", p99 "
            << sets.p99_ms << " ms; query cache hits " << stats.index.cache_hits << "; commits "
            << stats.transactions.commits << ", conflicts " << stats.transactions.conflicts << "\n";
  check(stats.transactions.conflicts == 1, "the conflict is counted");
  std::istringstream prometheus(stats.to_prometheus());
  std::string line;
  while (std::getline(prometheus, line)) {
    if (line.starts_with("nadb_keys")) std::cout << "prometheus: " << line << "\n";
  }
}

// Every line of the log is one JSON object; show the backup events.
void show_log(const std::string& path) {
  nadb::LoggingConfig::flush();
  std::ifstream log(path);
  std::string line;
  int backup_lines = 0;
  while (std::getline(log, line)) {
    check(line.starts_with("{\"ts\":") && line.ends_with("}"), "a JSON log line: " + line);
    if (line.find("\"component\":\"nadb.backup\"") != std::string::npos && backup_lines++ == 0)
      std::cout << "log: " << line << "\n";
  }
  check(backup_lines > 0, "backup events are logged");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: advanced_features DATA_FOLDER\n";
    return 2;
  }
  std::cout << std::boolalpha;
  try {
    std::string log_file = setup_json_logging(argv[1]);
    nadb::Options options;
    options.data_folder = argv[1];
    options.db = "shop";
    options.ns = "catalog";
    options.durability = nadb::Durability::Sync;  // each write fsynced before it returns
    {
      nadb::KeyValueStore store(options);
      tags_and_queries(store);
      time_to_live(store);
      transactions(store);
      backups(store);
      export_import_and_sync(store, options);
      statistics(store);
    }
    show_log(log_file);
  } catch (const std::exception& e) {
    std::cerr << "advanced_features: " << e.what() << "\n";
    return 1;
  }
  std::cout << "every feature behaved as documented\n";
  return 0;
}
