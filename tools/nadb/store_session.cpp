// The store a command runs against. Read commands open an fs db read-only: they create
// nothing (a mistyped --data is an error, not a new empty db) and work beside the process
// that has the db open, showing what it has flushed.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "cli.hpp"

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
  try {
    session.store = std::make_unique<KeyValueStore>(options);
  } catch (const NotFound&) {
    if (!read_only) throw;
    throw DataError("no db '" + g.db + "' in '" + g.data +
                    "' (a read command creates nothing: check --data and --db)");
  }
  session.read_only = read_only;
}

}  // namespace

bool is_read_command(const CLI::App& app) {
  static const std::set<std::string> kReads = {"get",    "exists", "ttl",         "keys",
                                               "tags",   "query",  "meta",        "stats",
                                               "export", "sync",   "backup list", "backup verify"};
  std::string path;
  for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
    at = at->get_subcommands().front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return kReads.count(path) != 0;
}

void prepare_store(const Globals& g, const Selection& selection, Session& session) {
  bool read_only = g.read_only || (selection.reads && g.backend == "fs");
  if (!session.store) {
    open_store(g, read_only, session);
    auto holder = lock_holder(db_folder(g) + "/LOCK");
    if (session.read_only && holder && !g.read_only) {
      std::cerr << "nadb: db '" << g.db << "' is open in process " << *holder
                << ": reading what it has flushed (read-only)" << std::endl;
    }
    return;
  }
  if (session.read_only && !read_only) {
    open_store(g, false, session);  // a write in a shell that has only read so far
  } else if (session.read_only) {
    session.store->refresh();  // a shell's next read sees what the writer flushed since
  }
}

}  // namespace nadb::cli
