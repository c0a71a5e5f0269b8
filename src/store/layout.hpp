// Where a store keeps what it keeps in its data folder, and the db names that reserves: a db
// folder must never alias a folder the store uses for something else.
//
//   <data_folder>/<db>/                    the fs backend's db
//   <data_folder>/backups/<db>/            physical backups of fs db <db> (default backup_dir)
//   <data_folder>/backups/<db>@<backend>/  logical backups of <db> on another backend
//   <data_folder>/<db>@restore-<pid>-<n>/  a restore being rebuilt (backup/backup_manager)
//
// '@' cannot occur in db names, so only "backups" needs reserving.
#pragma once

#include <string>

#include "nadb/options.hpp"

namespace nadb::store {

inline constexpr char kBackupsFolder[] = "backups";

// InvalidArgument when db is a name the layout reserves.
void check_not_reserved(const std::string& db);
// InvalidArgument when an fs store's backup_dir is its db folder, lies inside it (a replacing
// restore exchanges the whole folder, and would take the backups with it) or contains it.
void check_backup_dir(const Options& options);
// Options::backup_dir when it is empty: per db, and per backend kind.
std::string default_backup_dir(const Options& options);

}  // namespace nadb::store
