#include "store/layout.hpp"

#include <algorithm>
#include <filesystem>

#include "nadb/errors.hpp"
#include "util/files.hpp"

namespace nadb::store {

void check_not_reserved(const std::string& db) {
  if (db == kBackupsFolder) {
    throw InvalidArgument("db name '" + db + "' is reserved: <data_folder>/" + db +
                          " holds the backups of every db");
  }
}

void check_backup_dir(const Options& options) {
  if (options.backend != "fs" || options.backup_dir.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  auto resolved = [&ec](const fs::path& p) {
    fs::path out = fs::weakly_canonical(fs::absolute(p), ec);
    return out.has_filename() ? out : out.parent_path();  // "a/b/" is "a/b"
  };
  fs::path backups = resolved(options.backup_dir);
  fs::path db = resolved(fs::path(options.data_folder) / options.db);
  auto within = [](const fs::path& inner, const fs::path& outer) {
    auto [end, rest] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
    return end == outer.end();
  };
  if (!ec && (within(backups, db) || within(db, backups))) {
    throw InvalidArgument("Options::backup_dir '" + options.backup_dir +
                          "' must lie apart from the db folder '" + db.string() +
                          "' (neither inside it nor around it): a replacing restore exchanges "
                          "the whole db folder");
  }
}

std::string default_backup_dir(const Options& options) {
  std::string root = util::join_path(options.data_folder, kBackupsFolder);
  // fs backups keep their first-release place; other backends' are named apart from them.
  std::string name = options.backend == "fs" ? options.db : options.db + "@" + options.backend;
  return util::join_path(root, name);
}

}  // namespace nadb::store
