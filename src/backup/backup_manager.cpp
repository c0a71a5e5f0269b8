#include "backup/backup_manager.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "util/encoding.hpp"
#include "util/files.hpp"

namespace nadb::backup {
namespace {

namespace fs = std::filesystem;

std::string utc_now_micros() {
  auto now = std::chrono::system_clock::now();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[48];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%06lldZ", static_cast<long long>(micros % 1000000));
  return text;
}

// Holds backup_dir/LOCK: one process changes the backup folder at a time.
class FolderLock {
 public:
  explicit FolderLock(const std::string& dir)
      : file_(util::join_path(dir, "LOCK"), O_RDWR | O_CREAT) {
    if (::flock(file_.fd(), LOCK_EX) != 0) util::throw_io_error("flock", file_.path(), errno);
  }

 private:
  util::File file_;
};

std::string compress(std::string_view raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  std::size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1);
  if (ZSTD_isError(n)) throw IOError(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

}  // namespace

std::string restore_folder_prefix(const std::string& db) {
  return db + "@restore-";
}

bool is_restore_folder(const std::string& name, const std::string& db) {
  std::string prefix = restore_folder_prefix(db);
  if (name.rfind(prefix, 0) != 0) return false;
  std::string_view rest = std::string_view(name).substr(prefix.size());  // <pid>-<counter>
  std::size_t dash = rest.find('-');
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return dash != std::string_view::npos && digits(rest.substr(0, dash)) &&
         digits(rest.substr(dash + 1));
}

void validate_backup_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64 && id != "." && id != "..";
  for (char c : id) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok)
    throw InvalidArgument("backup id '" + id + "' must be 1-64 characters of A-Z a-z 0-9 . _ -");
}

BackupManager::BackupManager(std::string backup_dir, std::string db, std::string db_folder,
                             StorageBackend& backend, ValueDecoder decode)
    : backup_dir_(std::move(backup_dir)),
      db_(std::move(db)),
      db_folder_(std::move(db_folder)),
      backend_(backend),
      decode_(std::move(decode)) {}

std::string BackupManager::path_of(const std::string& id) const {
  return util::join_path(backup_dir_, id);
}

Manifest BackupManager::read_manifest(const std::string& id) const {
  validate_backup_id(id);
  std::string path = util::join_path(path_of(id), "manifest.json");
  if (!util::path_exists(path)) throw NotFound("no backup '" + id + "' in '" + backup_dir_ + "'");
  return manifest_from_json(util::read_file(path), "manifest of backup '" + id + "'");
}

std::vector<Manifest> BackupManager::chain(const std::string& id) const {
  std::vector<Manifest> out{read_manifest(id)};
  while (!out.back().info.parent.empty()) {
    if (out.size() > 10000) throw Corruption("backup chain of '" + id + "' loops");
    out.push_back(read_manifest(out.back().info.parent));
  }
  return out;
}

std::string BackupManager::kind() const {
  return backend_.facets().physical_files ? "physical" : "logical";
}

std::vector<std::string> BackupManager::read_index() const {
  std::string path = util::join_path(backup_dir_, "index.json");
  if (!util::path_exists(path)) return {};
  BackupIndex index = index_from_json(util::read_file(path), "backup index '" + path + "'");
  std::string held = index.kind;
  if (held.empty() && !index.ids.empty())  // an index from before kinds were recorded
    held = read_manifest(index.ids.front()).logical ? "logical" : "physical";
  if (!held.empty() && held != kind()) {
    throw InvalidArgument("backup folder '" + backup_dir_ + "' holds " + held +
                          " backups of another backend, not " + kind() + " backups of " +
                          backend_.capabilities().name + " db '" + db_ +
                          "': give each its own Options::backup_dir");
  }
  return index.ids;
}

void BackupManager::write_index(const std::vector<std::string>& ids) {
  util::write_file_atomically(util::join_path(backup_dir_, "index.json"),
                              index_to_json({kind(), ids}));
  util::sync_directory(backup_dir_);
}

BackupInfo BackupManager::create(std::string id, const std::string& parent, bool compress_files,
                                 const ProgressCallback& progress) {
  static obs::Histogram& creates = obs::component_histogram("backup.create");
  obs::Timed timed(creates);
  static std::atomic<std::uint64_t> counter{0};
  if (!id.empty()) validate_backup_id(id);
  util::create_directories(backup_dir_);
  FolderLock lock(backup_dir_);
  std::vector<std::string> index = read_index();
  if (id.empty()) {
    do {  // unique even for several backups in one microsecond
      std::string stamp = utc_now_micros();
      stamp.erase(
          std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == ':' || c == '-'; }),
          stamp.end());
      id = "backup-" + stamp + "-" + std::to_string(counter.fetch_add(1));
    } while (util::path_exists(path_of(id)));
  } else if (util::path_exists(path_of(id))) {
    throw InvalidArgument("backup '" + id + "' already exists");
  }
  // Backups being written are *.tmp folders; holding the folder's lock, none is live.
  for (const auto& name : util::list_directory(backup_dir_)) {
    if (name.size() > 4 && name.ends_with(".tmp") && name != "index.json.tmp")
      util::remove_tree(util::join_path(backup_dir_, name));
  }
  Manifest m;
  m.info.id = id;
  m.info.type = parent.empty() ? "full" : "incremental";
  m.info.parent = parent;
  m.info.created_at = utc_now_micros();
  m.info.db = db_;
  m.info.compressed = compress_files;
  std::string staging = path_of(id) + ".tmp";
  util::remove_tree(staging);
  util::create_directories(staging);
  try {
    if (backend_.facets().physical_files) {
      write_physical(staging, parent, compress_files, m, progress);
    } else {
      std::int64_t since = 0;
      if (!parent.empty()) {
        Manifest p = read_manifest(parent);
        if (!p.logical) {
          throw InvalidArgument("backup '" + parent +
                                "' is physical: a logical incremental backup needs a logical "
                                "parent");
        }
        since = p.snapshot_ms;
      }
      write_logical_snapshot(backend_, decode_, staging, since, compress_files, m, progress);
    }
    util::write_file_atomically(util::join_path(staging, "manifest.json"),
                                manifest_to_json(m, &m.info.checksum));
    util::sync_directory(staging);
    util::rename_file(staging, path_of(id));
    util::sync_directory(backup_dir_);
  } catch (...) {
    util::remove_tree_quietly(staging);
    throw;
  }
  index.push_back(id);
  write_index(index);
  m.info.file_count = m.files.size();
  for (const auto& f : m.files)
    m.info.stored_bytes += f.size;
  obs::logger(obs::Component::Backup)
      .info("backup created", {{"backup_id", id},
                               {"type", m.info.type},
                               {"logical", m.logical},
                               {"files", m.info.file_count},
                               {"bytes", m.info.stored_bytes},
                               {"keys", m.info.key_count}});
  return m.info;
}

void BackupManager::write_physical(const std::string& staging, const std::string& parent,
                                   bool compress_files, Manifest& m,
                                   const ProgressCallback& progress) {
  // What the parent chain already holds (name -> its raw checksum): not stored again.
  std::map<std::string, std::string> have;
  if (!parent.empty()) {
    for (const auto& p : chain(parent)) {
      if (p.logical)
        throw InvalidArgument("backup '" + parent +
                              "' is logical: a physical incremental "
                              "backup needs a physical parent");
      for (const auto& f : p.files)
        have.emplace(f.name, f.raw_sha256);
    }
  }
  Snapshot snapshot = backend_.facets().physical_files->snapshot();
  for (const auto& [ns, keys] : snapshot.keys_by_namespace) {
    if (!is_user_namespace(ns)) continue;  // in the files all the same
    m.info.namespaces.push_back(ns);
    m.info.key_count += keys;
  }
  // A file the chain holds is reused only when its content is the same: a name can denote
  // other bytes after a restore, or in another db sharing the backup folder.
  auto held = [&](const SnapshotFile& file) {
    auto it = have.find(file.name);
    return it != have.end() && file.sha256 && it->second == file.sha256();
  };
  std::vector<bool> reuse;
  std::size_t total = 0;
  std::size_t done = 0;
  for (const auto& file : snapshot.files) {
    reuse.push_back(held(file));
    total += reuse.back() ? 0 : file.size;
  }
  for (std::size_t i = 0; i < snapshot.files.size(); ++i) {
    const SnapshotFile& file = snapshot.files[i];
    m.live_files.push_back(file.name);
    if (reuse[i]) continue;
    if (progress) progress(done, total);
    done += file.size;
    // The segment's bytes, from its mapping when there is one (no copy).
    std::string copy;
    std::string_view raw = file.view ? file.view() : std::string_view();
    if (raw.size() != file.size) {
      file.read(0, file.size, copy);
      raw = copy;
    }
    ManifestFile entry{file.name, 0, "", compress_files, raw.size(), ""};
    std::string compressed = compress_files ? compress(raw) : std::string();
    std::string_view stored = compress_files ? std::string_view(compressed) : raw;
    // Hashing runs beside the write and fsync: the two costs overlap.
    auto raw_sum = std::async(std::launch::async, [raw] { return util::sha256_hex(raw); });
    entry.size = stored.size();
    {
      util::File out(util::join_path(staging, file.name), O_WRONLY | O_CREAT | O_TRUNC);
      out.write_at(0, stored);
      out.sync();
    }
    entry.raw_sha256 = raw_sum.get();
    entry.sha256 = compress_files ? util::sha256_hex(stored) : entry.raw_sha256;
    m.files.push_back(std::move(entry));
  }
  if (progress) progress(done, total);
}

std::vector<BackupInfo> BackupManager::list() {
  std::vector<BackupInfo> out;
  for (const auto& id : read_index())
    out.push_back(read_manifest(id).info);
  return out;
}

VerifyReport BackupManager::verify(const std::string& id) {
  static obs::Histogram& verifies = obs::component_histogram("backup.verify");
  obs::Timed timed(verifies);
  VerifyReport report;
  auto problem = [&](const std::string& what) {
    report.ok = false;
    report.problems.push_back(what);
  };
  std::vector<Manifest> manifests;
  try {
    read_index();  // the index is covered too
    manifests = chain(id);
  } catch (const NotFound&) {
    throw;
  } catch (const IOError&) {
    throw;  // the backup could not be read: no verdict on it
  } catch (const std::exception& e) {
    problem(e.what());
    return report;
  }
  std::set<std::string> stored;
  for (const auto& m : manifests) {
    for (const auto& f : m.files) {
      stored.insert(f.name);
      std::string path = util::join_path(path_of(m.info.id), f.name);
      if (!util::path_exists(path)) {
        problem("backup '" + m.info.id + "': file " + f.name + " is missing");
        continue;
      }
      std::string bytes = util::read_file(path);
      if (bytes.size() != f.size || util::sha256_hex(bytes) != f.sha256) {
        problem("backup '" + m.info.id + "': file " + f.name + " fails its SHA-256");
      }
    }
  }
  for (const auto& name : manifests.front().live_files) {
    if (!stored.count(name)) problem("backup '" + id + "': no backup of its chain holds " + name);
  }
  for (const auto& p : report.problems)
    obs::logger(obs::Component::Backup)
        .warn("backup fails verification", {{"backup_id", id}, {"problem", p}});
  return report;
}

void BackupManager::delete_one(const std::string& id, std::vector<std::string>& index) {
  util::remove_tree(path_of(id));
  index.erase(std::remove(index.begin(), index.end(), id), index.end());
}

bool BackupManager::remove(const std::string& id, bool force) {
  util::create_directories(backup_dir_);
  FolderLock lock(backup_dir_);
  read_manifest(id);  // NotFound for an unknown id
  std::vector<std::string> index = read_index();
  // Dependents: every backup whose chain contains id.
  std::vector<std::string> doomed{id};
  for (const auto& other : index) {
    if (other == id) continue;
    auto c = chain(other);
    if (std::any_of(c.begin() + 1, c.end(), [&](const Manifest& m) { return m.info.id == id; })) {
      doomed.push_back(other);
    }
  }
  if (doomed.size() > 1 && !force) return false;
  for (const auto& d : doomed)
    delete_one(d, index);
  write_index(index);
  util::sync_directory(backup_dir_);
  return true;
}

std::size_t BackupManager::cleanup(std::size_t keep_count, std::chrono::hours keep_age) {
  util::create_directories(backup_dir_);
  FolderLock lock(backup_dir_);
  std::vector<std::string> index = read_index();
  auto now = std::chrono::system_clock::now();
  std::set<std::string> keep;
  for (std::size_t i = 0; i < index.size(); ++i) {
    bool recent = i + keep_count >= index.size();
    auto dir_time = fs::last_write_time(path_of(index[i]));
    auto age = std::chrono::file_clock::to_sys(dir_time);
    bool young = now - age < keep_age;
    if (recent || young) {
      for (const auto& m : chain(index[i]))
        keep.insert(m.info.id);  // with everything it needs
    }
  }
  std::size_t deleted = 0;
  for (const auto& id : std::vector<std::string>(index)) {
    if (keep.count(id)) continue;
    delete_one(id, index);
    ++deleted;
  }
  write_index(index);
  return deleted;
}

void BackupManager::verify_or_throw(const std::string& id) {
  VerifyReport report = verify(id);
  if (!report.ok)
    throw Corruption("backup '" + id + "' fails verification: " + report.problems.front());
}

void BackupManager::replay(const std::string& id, bool verify_first, const LogicalReplay& replay) {
  std::vector<Manifest> manifests = chain(id);
  if (verify_first) verify_or_throw(id);
  for (auto m = manifests.rbegin(); m != manifests.rend(); ++m)
    replay_logical_snapshot(*m, path_of(m->info.id), replay);
}

std::string BackupManager::rebuild(const std::string& id, bool verify_first,
                                   const ProgressCallback& progress) {
  std::vector<Manifest> manifests = chain(id);
  if (manifests.front().logical) {
    throw InvalidArgument("backup '" + id + "' is logical: it is replayed, not rebuilt as files");
  }
  if (verify_first) verify_or_throw(id);
  std::map<std::string, std::pair<const Manifest*, const ManifestFile*>> where;
  for (const auto& m : manifests) {
    for (const auto& f : m.files)
      where.emplace(f.name, std::make_pair(&m, &f));  // nearest wins
  }
  static std::atomic<std::uint64_t> counter{0};
  // The work folder sits beside the db (the exchange needs one file system) under a name no
  // db can have ('@' is not allowed in db names), so it is provably this db's restore's.
  std::string parent = fs::path(db_folder_).parent_path().string();
  std::string prefix = restore_folder_prefix(db_);
  std::string temp = util::join_path(
      parent, prefix + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)));
  // Folders of restores of this db by other processes were left by restores that were killed:
  // this process holds the db's lock, and only the lock's holder restores. This process's own
  // may belong to a restore another thread is running.
  for (const auto& name : util::list_directory(parent)) {
    if (is_restore_folder(name, db_) &&
        name.rfind(prefix + std::to_string(::getpid()) + "-", 0) != 0) {
      util::remove_tree(util::join_path(parent, name));
    }
  }
  std::size_t total = 0;
  std::size_t done = 0;
  for (const auto& name : manifests.front().live_files) {
    auto it = where.find(name);
    if (it == where.end()) throw Corruption("backup '" + id + "' lacks " + name);
    total += it->second.second->raw_size;
  }
  util::create_directories(temp);
  try {
    for (const auto& name : manifests.front().live_files) {
      if (progress) progress(done, total);
      const auto& [m, f] = where.at(name);
      done += f->raw_size;
      std::string bytes = util::read_file(util::join_path(path_of(m->info.id), f->name));
      if (util::sha256_hex(bytes) != f->sha256)
        throw Corruption("backup file " + name + " fails its SHA-256");
      if (f->compressed) {
        std::string raw(f->raw_size, '\0');
        std::size_t n = ZSTD_decompress(raw.data(), raw.size(), bytes.data(), bytes.size());
        if (ZSTD_isError(n) || n != f->raw_size)
          throw Corruption("backup file " + name + " does not decompress");
        bytes.swap(raw);
      }
      if (util::sha256_hex(bytes) != f->raw_sha256)
        throw Corruption("restored " + name + " fails its SHA-256");
      util::File out(util::join_path(temp, name), O_WRONLY | O_CREAT | O_TRUNC);
      out.write_at(0, bytes);
      out.sync();
    }
    util::sync_directory(temp);
    if (progress) progress(done, total);
  } catch (...) {
    util::remove_tree_quietly(temp);
    throw;
  }
  return temp;
}

}  // namespace nadb::backup
