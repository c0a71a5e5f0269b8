// check_db and repair_db (include/nadb/check.hpp): the fs db's files, checked without opening
// the db, or repaired by opening it with RecoveryMode::SkipDamagedRecords.
#include "nadb/check.hpp"
#include "nadb/backend.hpp"

#include "engine/check.hpp"
#include "engine/lock_file.hpp"
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
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

}  // namespace

CheckReport check_db(const Options& options) {
  return engine::check_folder(db_folder(options));
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
