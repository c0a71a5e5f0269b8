// Read-only engines: a view of a db folder that another process may be writing, opened without
// its lock and without writing anything, that follows the writer's flushed state (refresh).
//
// Why no lock is needed: the writer only appends to its active segment; hint files and
// compaction output appear whole (renamed into place); compaction deletes the segments it
// replaced only after its output is durable, with OBSOLETE listing them meanwhile (a load
// leaves those out); a restore swaps the whole folder in one rename. A load therefore lists
// the folder, opens every segment, and lists it again: if the listings differ or the folder
// was swapped, it starts over. An open segment stays readable after the writer deletes it, so
// the loaded state stays whole until the next refresh.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <set>
#include <thread>

#include "engine/engine.hpp"
#include "engine/hint.hpp"
#include "engine/keydir_image.hpp"
#include "engine/keydir_loader.hpp"
#include "engine/obsolete_marker.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "util/files.hpp"

namespace nadb::engine {
namespace {

// How long a load waits for a folder that keeps changing under it before giving up.
constexpr int kLoadAttempts = 2000;
constexpr auto kRetryPause = std::chrono::milliseconds(5);
// A segment that fails its checks although the folder did not change is read again this
// many times: the writer may have been halfway through an append.
constexpr int kDamageRereads = 5;

// The folder's identity (a restore swaps in another) and the names in it.
struct FolderListing {
  ino_t inode = 0;
  dev_t device = 0;
  std::set<std::string> names;

  bool operator==(const FolderListing&) const = default;
};

FolderListing list_folder(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) throw NotFound("the db folder '" + dir + "' no longer exists");
    throw IOError("stat '" + dir + "': " + std::strerror(errno));
  }
  FolderListing listing;
  listing.inode = st.st_ino;
  listing.device = st.st_dev;
  for (auto& name : util::list_directory(dir))
    listing.names.insert(std::move(name));
  return listing;
}

}  // namespace

void Engine::check_writable(const char* operation) const {
  if (options_.read_only) {
    throw NotSupported(std::string(operation) + " is not possible: the db '" + dir_ +
                       "' is open read-only");
  }
}

// Opens every segment the folder lists, between two listings that agree. Returns nullopt
// when the folder changed meanwhile (the caller starts over).
std::optional<Engine::LoadedFolder> Engine::open_listed_segments() {
  FolderListing before = list_folder(dir_);
  LoadedFolder loaded;
  try {
    // A committed compaction's inputs are superseded by its output, whether or not they are
    // deleted yet (or ever: its writer may have died halfway).
    std::vector<std::uint32_t> superseded;
    if (before.names.count(kObsoleteMarker))
      superseded = read_obsolete_marker(dir_).value_or(superseded);
    std::vector<std::uint32_t> ids;  // ascending: names are zero-padded
    for (const auto& name : before.names) {
      auto id = parse_segment_file_name(name);
      if (!id || std::find(superseded.begin(), superseded.end(), *id) != superseded.end()) continue;
      ids.push_back(*id);
      // Only the newest segment without a hint is appended to (the writer's active one), as
      // recovery decides.
      if (!before.names.count(hint_file_name(*id))) loaded.active = *id;
    }
    for (std::uint32_t id : ids) {
      auto segment = std::make_shared<SegmentFile>();
      segment->id = id;
      segment->file = util::File(util::join_path(dir_, segment_file_name(id)), O_RDONLY);
      std::uint64_t size = segment->file.size();
      bool has_hint = before.names.count(hint_file_name(id)) != 0;
      // Segments still written to are told apart by their size.
      if (!has_hint)
        loaded.fingerprint.push_back(segment_file_name(id) + ":" + std::to_string(size));
      // The writer's newest segment may be being created: it holds nothing yet. A shorter
      // one anywhere else is damage (check_segment_header says so).
      if (size < kSegmentHeaderSize && loaded.active == id && id == ids.back()) continue;
      std::string header;
      segment->file.read_at(0, std::min<std::uint64_t>(size, kSegmentHeaderSize), header);
      segment->format = check_segment_header(header, id, segment->file.path());
      segment->mapping = util::Mapping(segment->file, size);
      loaded.segments[id] = SegmentInfo{segment, size, has_hint};
    }
  } catch (const std::exception&) {
    if (list_folder(dir_) != before) return std::nullopt;  // a segment vanished: compacted
    throw;
  }
  if (list_folder(dir_) != before) return std::nullopt;
  loaded.fingerprint.insert(loaded.fingerprint.end(), before.names.begin(), before.names.end());
  loaded.fingerprint.push_back(std::to_string(before.inode) + "@" + std::to_string(before.device));
  return loaded;
}

// Reads the opened segments into loaded's keydir: from the keydir image where it matches the
// folder (then only what follows it), through hints where they exist, else by a scan; in the
// active segment, the scan stops before a record still being appended. Damage anywhere else
// is Corruption, as it is to the writer.
void Engine::read_segments(LoadedFolder& loaded) {
  std::map<std::uint32_t, std::uint64_t> image_ends;
  if (!ignore_image_.load()) {
    KeydirImage::Present present;
    for (const auto& [id, info] : loaded.segments)
      present[id] = {&info.file->file, info.size};
    auto image =
        KeydirImage::load_matching(dir_, present, loaded.keydir, [this] { on_image_damage(); });
    if (image) {
      loaded.image = std::move(image->first);
      image_ends = std::move(image->second);
    }
  }
  // Passed by reference: it remembers deletes.
  KeydirLoader install(loaded.keydir, loaded.image ? loaded.image->max_seq() : 0);
  for (auto& [id, info] : loaded.segments) {
    auto image_end = image_ends.find(id);
    std::uint64_t from = image_end == image_ends.end() ? kSegmentHeaderSize : image_end->second;
    if (from >= info.size) continue;  // wholly in the image
    if (info.has_hint) {
      info.has_hint = load_hint_file(dir_, id, info.size, [&](const LocatedRecord& r) {
        if (r.offset >= from) install(r);
      });
    }
    if (!info.has_hint) {
      ScanResult scan = visit_segment_from(*info.file, from, info.size, loaded.active == id,
                                           OnDamage::Refuse, std::ref(install));
      info.size = scan.valid_end;
    }
  }
}

// The folder's current state; nullopt when its fingerprint is *unless (nothing changed).
std::optional<Engine::LoadedFolder> Engine::load_read_only(const std::vector<std::string>* unless) {
  int damage_rereads = 0;
  for (int attempt = 0; attempt < kLoadAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(kRetryPause);
    std::optional<LoadedFolder> loaded = open_listed_segments();
    if (!loaded) continue;
    if (unless != nullptr && loaded->fingerprint == *unless) return std::nullopt;
    try {
      read_segments(*loaded);
    } catch (const std::exception&) {
      // A hint or segment the writer deleted meanwhile, or an append read halfway.
      if (damage_rereads++ < kDamageRereads) continue;
      throw;
    }
    return loaded;
  }
  throw IOError("the db folder '" + dir_ + "' kept changing while it was read (" +
                std::to_string(kLoadAttempts) + " attempts)");
}

std::size_t Engine::install_loaded(LoadedFolder loaded) {
  {
    util::MutexLock write_lock(write_mutex_);  // guards image_ (nothing else writes here)
    image_ = std::move(loaded.image);
  }
  util::WriterLock state_lock(state_mutex_);
  auto indexes = keydir_.indexes();
  keydir_ = std::move(loaded.keydir);
  segments_ = std::move(loaded.segments);
  fingerprint_ = std::move(loaded.fingerprint);
  for (auto& [name, index] : indexes)
    keydir_.attach_index(keydir_.find_or_create(name), index);
  return segments_.size();
}

void Engine::refresh() {
  if (!options_.read_only) return;  // a writer's own state is always current
  util::MutexLock refresh_lock(refresh_mutex_);
  // A damaged image met by a read: load again, without images, even if nothing changed.
  bool forced = reload_due_.exchange(false);
  std::optional<LoadedFolder> loaded = load_read_only(forced ? nullptr : &fingerprint_);
  if (!loaded) return;  // nothing changed since the last load
  std::size_t segments = install_loaded(std::move(*loaded));
  obs::logger(obs::Component::Engine)
      .debug("read-only view refreshed", {{"dir", dir_}, {"segments", segments}});
}

}  // namespace nadb::engine
