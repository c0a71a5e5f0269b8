#include "store/layout.hpp"

#include "nadb/errors.hpp"
#include "util/files.hpp"

namespace nadb::store {

void check_not_reserved(const std::string& db) {
  if (db == kBackupsFolder) {
    throw InvalidArgument("db name '" + db + "' is reserved: <data_folder>/" + db +
                          " holds the backups of every db");
  }
}

std::string default_backup_dir(const Options& options) {
  std::string root = util::join_path(options.data_folder, kBackupsFolder);
  // fs backups keep their first-release place; other backends' are named apart from them.
  std::string name = options.backend == "fs" ? options.db : options.db + "@" + options.backend;
  return util::join_path(root, name);
}

}  // namespace nadb::store
