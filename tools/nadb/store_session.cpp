// The store a command runs against. Read commands open an fs db read-only: they create
// nothing (a mistyped --data is an error, not a new empty db) and work beside the process
// that has the db open, showing what it has flushed.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "temp_files.hpp"

namespace nadb::cli {
namespace {

// The pid of the process holding an flock on path (a store that has the db open), read from
// /proc/locks without touching the lock; nullopt when none does.
std::optional<std::string> lock_holder(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  char device[64];
  std::snprintf(device, sizeof device, "%02x:%02x:%llu", ::major(st.st_dev), ::minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    // "1: FLOCK  ADVISORY  WRITE 1234 fe:01:5678 0 EOF" (waiters have "->" after the number)
    std::istringstream fields(line);
    std::string number, kind, mode, access, pid, where;
    fields >> number >> kind >> mode >> access >> pid >> where;
    if (kind == "FLOCK" && where == device) return pid;
  }
  return std::nullopt;
}

std::string db_folder(const Globals& g) {
  return g.data + "/" + g.db;
}

void open_store(const Globals& g, bool read_only, Session& session) {
  Options options = options_of(g);
  options.read_only = read_only;
  session.store.reset();  // the old store closes (releasing its lock) before the new opens
  session.scratch.reset();
  try {
    session.store = std::make_unique<KeyValueStore>(options);
  } catch (const NotFound&) {
    if (!read_only) throw;
    throw DataError("no db '" + g.db + "' in '" + g.data +
                    "' (a read command creates nothing: check --data and --db)");
  }
  session.read_only = read_only;
}

// The backups of a db whose folder is gone (the usual reason to restore one) are listed and
// verified through an empty db of the same name in a scratch folder: the data folder is left
// as it is, and `backup restore` (a write) then recreates the db.
void open_scratch(const Globals& g, Session& session) {
  auto scratch = std::make_shared<TempFolder>("nadb-scratch");
  Options options = options_of(g);
  options.backup_dir = g.data + "/backups/" + g.db;  // the fs default, as seen from --data
  options.data_folder = scratch->path();
  session.scratch = scratch;
  session.store = std::make_unique<KeyValueStore>(options);
  session.read_only = false;
}

}  // namespace

std::string command_path(const CLI::App& app) {
  std::string path;
  for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
    at = at->get_subcommands().front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return path;
}

bool is_read_command(const std::string& command) {
  static const std::set<std::string> kReads = {"get",    "exists", "ttl",         "keys",
                                               "tags",   "query",  "meta",        "stats",
                                               "export", "sync",   "backup list", "backup verify"};
  return kReads.count(command) != 0;
}

void prepare_store(const Globals& g, const Selection& selection, Session& session) {
  bool reads = is_read_command(selection.command);
  bool read_only = g.read_only || (reads && g.backend == "fs");
  if (reads && g.backend == "fs" && selection.command.rfind("backup ", 0) == 0 &&
      !std::filesystem::exists(db_folder(g))) {
    if (!session.scratch) open_scratch(g, session);
    return;
  }
  if (!session.store || session.scratch) {
    open_store(g, read_only, session);
    if (session.read_only && !g.read_only) {  // chosen for the user: say why if it matters
      if (auto holder = lock_holder(db_folder(g) + "/LOCK")) {
        std::cerr << "nadb: db '" << g.db << "' is open in process " << *holder
                  << ": reading what it has flushed (read-only)" << std::endl;
      }
    }
  } else if (session.read_only && !read_only) {
    open_store(g, false, session);  // a write in a shell that has only read so far
  } else if (session.read_only) {
    session.store->refresh();  // a shell's next read sees what the writer flushed since
  }
}

}  // namespace nadb::cli
