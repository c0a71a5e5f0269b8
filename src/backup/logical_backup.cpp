#include "backup/logical_backup.hpp"

#include "backup/line_file.hpp"
#include "nadb/errors.hpp"
#include "util/clock.hpp"
#include "util/encoding.hpp"
#include "util/files.hpp"

namespace nadb::backup {
namespace {

constexpr std::size_t kChunk = 1000;  // keys per read and per replayed batch
constexpr std::string_view kEntries = ".jsonl";
constexpr std::string_view kDeleted = ".deleted";

// Writes one file of the snapshot through fn(writer) and records it in m.
void write_file(const std::string& folder, const std::string& name, Manifest& m,
                const std::function<void(LineWriter&)>& fn) {
  std::string path = util::join_path(folder, name);
  auto writer = open_line_writer(path);
  fn(*writer);
  writer->finish();
  std::string bytes = util::read_file(path);
  std::string sum = util::sha256_hex(bytes);
  // A line file is complete as stored (compressed by its name): raw and stored are one.
  m.files.push_back(ManifestFile{name, bytes.size(), sum, false, bytes.size(), sum});
}

// The live entries of keys; keys no longer live go to gone.
std::vector<JsonlEntry> read_entries(StorageBackend& backend, const ValueDecoder& decode,
                                     const std::string& ns, const std::vector<std::string>& keys,
                                     std::vector<std::string>* gone) {
  std::vector<JsonlEntry> entries;
  auto records = backend.get_many(ns, keys, util::now_ms(), true);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!records[i]) {
      if (gone) gone->push_back(keys[i]);
      continue;
    }
    JsonlEntry e;
    e.key = keys[i];
    e.tags = std::move(records[i]->meta.tags);
    e.expires_ms = records[i]->meta.expires_ms;
    e.created_ms = records[i]->meta.created_ms;
    e.updated_ms = records[i]->meta.updated_ms;
    e.value = decode(*records[i]);
    entries.push_back(std::move(e));
  }
  return entries;
}

// Every key of ns, page by page.
void for_each_page(StorageBackend& backend, const std::string& ns,
                   const std::function<void(const std::vector<std::string>&)>& fn) {
  std::string cursor;
  do {
    KeyPage page = backend.scan(ns, "", cursor, kChunk, util::now_ms());
    fn(page.keys);
    cursor = std::move(page.next_cursor);
  } while (!cursor.empty());
}

// The changed keys of ns in pages of kChunk.
void for_each_chunk(const std::vector<std::string>& keys,
                    const std::function<void(const std::vector<std::string>&)>& fn) {
  for (std::size_t start = 0; start < keys.size(); start += kChunk) {
    fn(std::vector<std::string>(
        keys.begin() + static_cast<std::ptrdiff_t>(start),
        keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), start + kChunk))));
  }
}

}  // namespace

void write_logical_snapshot(StorageBackend& backend, const ValueDecoder& decode,
                            const std::string& folder, std::int64_t parent_snapshot_ms,
                            bool compress, Manifest& m, const ProgressCallback& progress) {
  ChangeLog* change_log = backend.facets().change_log;
  if (change_log == nullptr) {
    throw NotSupported("backend '" + backend.capabilities().name +
                       "' has neither files nor a change log to back up; use export_jsonl");
  }
  m.logical = true;
  m.snapshot_ms = change_log->change_clock_ms();
  const std::string suffix = compress ? ".zst" : "";
  const bool incremental = parent_snapshot_ms != 0;
  const std::int64_t since = parent_snapshot_ms - kClockStepMs;
  std::size_t keys_written = 0;
  for (const auto& ns : backend.namespaces()) {
    // The dictionaries: the backup holds values decoded.
    if (!is_user_namespace(ns)) continue;
    m.info.namespaces.push_back(ns);
    ChangeSet changes;
    if (incremental) {
      changes = change_log->changes_since(ns, since);
      if (since < changes.complete_since_ms) {
        throw InvalidArgument(
            "the parent backup is older than the backend's tombstone "
            "retention: deletes since then may be forgotten; take a full "
            "backup (or raise RedisOptions::tombstone_retention)");
      }
    }
    std::size_t written = 0;
    write_file(folder, ns + std::string(kEntries) + suffix, m, [&](LineWriter& out) {
      out.write_line(
          jsonl_header(m.info.db + ":" + ns, backend.capabilities().name, 0, m.snapshot_ms));
      auto write_page = [&](const std::vector<std::string>& keys) {
        for (const auto& e :
             read_entries(backend, decode, ns, keys, incremental ? &changes.deleted : nullptr)) {
          out.write_line(jsonl_entry(ns, e));
          ++written;
        }
        if (progress) progress(keys_written + written, 0);
      };
      if (incremental) {
        for_each_chunk(changes.updated, write_page);
      } else {
        for_each_page(backend, ns, write_page);
      }
      out.write_line(jsonl_end(written));
    });
    if (incremental) {
      // Keys written since the parent but gone now are deletes too: without them a restore
      // would bring back the parent's version.
      write_file(folder, ns + std::string(kDeleted) + suffix, m, [&](LineWriter& out) {
        for (const auto& key : changes.deleted)
          out.write_line(util::base64_encode(key));
      });
    }
    keys_written += written;
    m.info.key_count += backend.count(ns, util::now_ms());
  }
}

void replay_logical_snapshot(const Manifest& m, const std::string& folder,
                             const LogicalReplay& replay) {
  for (const auto& f : m.files) {
    std::string name = f.name;
    if (name.ends_with(".zst")) name.resize(name.size() - 4);
    // Entries of any backend: the largest value any of them takes (1 GiB).
    auto reader = open_line_reader(util::join_path(folder, f.name), max_entry_line(1ull << 30));
    std::string line;
    if (name.ends_with(kEntries)) {
      std::string ns = name.substr(0, name.size() - kEntries.size());
      std::vector<JsonlEntry> batch;
      std::size_t number = 1;
      try {
        if (!reader->read_line(line)) throw InvalidArgument("empty file");
        check_jsonl_header(line, number);
        while (reader->read_line(line)) {
          JsonlLine parsed = parse_jsonl_line(line, ++number);
          if (parsed.kind == JsonlLine::Kind::End) break;
          batch.push_back(std::move(parsed.entry));
          if (batch.size() == kChunk) {
            replay.put(ns, batch);
            batch.clear();
          }
        }
      } catch (const InvalidArgument& e) {
        throw Corruption("backup '" + m.info.id + "', file " + f.name + ": " + e.what());
      }
      if (!batch.empty()) replay.put(ns, batch);
    } else if (name.ends_with(kDeleted)) {
      std::string ns = name.substr(0, name.size() - kDeleted.size());
      std::vector<std::string> keys;
      while (reader->read_line(line)) {
        auto key = util::base64_decode(line);
        if (!key) throw Corruption("backup '" + m.info.id + "', file " + f.name + ": bad key");
        keys.push_back(std::move(*key));
        if (keys.size() == kChunk) {
          replay.remove(ns, keys);
          keys.clear();
        }
      }
      if (!keys.empty()) replay.remove(ns, keys);
    } else {
      throw Corruption("backup '" + m.info.id + "' holds an unknown file " + f.name);
    }
  }
}

}  // namespace nadb::backup
