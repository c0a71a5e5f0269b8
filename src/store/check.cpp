// check_db and repair_db (include/nadb/check.hpp): the fs db's files, checked without opening
// the db, or repaired by opening it with RecoveryMode::SkipDamagedRecords.
#include "nadb/check.hpp"
#include "nadb/backend.hpp"

#include "engine/check.hpp"
#include "engine/lock_file.hpp"
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "store/compression.hpp"
#include "store/dictionaries.hpp"
#include "store/validation.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"

namespace nadb {
namespace {

std::string db_folder(const Options& options) {
  store::validate_options(options);
  if (options.backend != "fs") {
    throw InvalidArgument("check and repair read an fs db's files; backend '" + options.backend +
                          "' has none");
  }
  std::string dir = util::join_path(options.data_folder, options.db);
  if (!util::path_exists(dir))
    throw NotFound("no db '" + options.db + "' in '" + options.data_folder + "'");
  return dir;
}

// Values compressed with a dictionary the db no longer holds intact cannot be read, though
// every record passes its checksum: found by reading each value's frame header through a
// read-only view (the files' check reads records, not what their values need).
void check_dictionaries(const Options& options, CheckReport& report) {
  Options view = options;
  view.read_only = true;
  std::shared_ptr<StorageBackend> backend;
  try {
    backend = StorageFactory::create(view);
  } catch (const Error& e) {
    report.notes.push_back(std::string("compression dictionaries not checked: ") + e.what());
    return;
  }
  std::map<std::uint32_t, bool> stored;
  std::map<std::pair<std::string, std::uint32_t>, std::size_t> lacking;  // (ns, id) -> values
  const std::int64_t now = util::now_ms();
  for (const std::string& ns : backend->namespaces()) {
    if (!is_user_namespace(ns)) continue;
    KeyPage page;
    do {
      page = backend->scan(ns, "", page.next_cursor, 10000, now);
      for (const std::string& key : page.keys) {
        std::optional<StoredRecord> record;
        try {
          record = backend->get(ns, key, now, false);
        } catch (const Corruption&) {  // a damaged record: the files' check reports it
          continue;
        }
        if (!record || record->meta.codec != ValueCodec::Zstd) continue;
        std::uint32_t id = store::dictionary_id_of(record->value);
        if (id == 0) continue;
        auto known = stored.find(id);
        if (known == stored.end())
          known = stored.emplace(id, store::ValueDictionaries::is_stored(*backend, id)).first;
        if (!known->second) ++lacking[{ns, id}];
      }
    } while (!page.next_cursor.empty());
  }
  for (const auto& [where, values] : lacking) {
    report.problems.push_back("namespace '" + where.first + "': " + std::to_string(values) +
                              " values need compression dictionary " +
                              std::to_string(where.second) +
                              ", which the db does not hold intact: they cannot be read");
  }
}

}  // namespace

CheckReport check_db(const Options& options) {
  CheckReport report = engine::check_folder(db_folder(options));
  check_dictionaries(options, report);
  report.ok = report.problems.empty();
  return report;
}

RepairReport repair_db(const Options& options) {
  {
    // Locked when a store has the db open — in another process, or in this one, whose open
    // engine would be reused as it is instead of being reopened to repair.
    engine::LockFile probe(util::join_path(db_folder(options), "LOCK"));
  }
  Options o = options;
  o.recovery_mode = RecoveryMode::SkipDamagedRecords;
  RepairReport report;
  {
    auto backend = StorageFactory::create(o);
    BackendStats stats = backend->stats();
    report.torn_bytes = stats.torn_bytes;
    report.damaged_bytes = stats.damaged_bytes;
    backend->compact({});
    backend->flush();
    for (const auto& ns : backend->namespaces()) {
      if (is_user_namespace(ns)) report.keys += backend->count(ns, util::now_ms());
    }
  }
  report.after = check_db(options);
  return report;
}

}  // namespace nadb
