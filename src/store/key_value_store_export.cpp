// KeyValueStore's logical export, import and sync: streams of keys with their values, tags
// and absolute expiry, on any backend.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "backup/jsonl.hpp"
#include "backup/line_file.hpp"
#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "store/batch_writer.hpp"
#include "store/store_core.hpp"
#include "store/validation.hpp"
#include "util/files.hpp"

namespace nadb {

using store::BatchWriter;
using store::StoreCore;
namespace {

constexpr std::size_t kChunk = 1000;  // keys per scan page and per write batch

// Calls fn with every live key of core's namespace as a JsonlEntry, page by page.
void for_each_entry(StoreCore& core, const std::function<void(backup::JsonlEntry&)>& fn) {
  std::string cursor;
  do {
    std::int64_t now = util::now_ms();
    KeyPage page = core.backend_->scan(core.options_.ns, "", cursor, kChunk, now);
    auto records = core.backend_->get_many(core.options_.ns, page.keys, now, true);
    for (std::size_t i = 0; i < records.size(); ++i) {
      auto& record = records[i];
      if (!record) continue;  // removed or expired since the scan
      backup::JsonlEntry e;
      e.key = std::move(page.keys[i]);
      e.tags = record->meta.tags;
      e.expires_ms = record->meta.expires_ms;
      e.created_ms = record->meta.created_ms;
      e.updated_ms = record->meta.updated_ms;
      e.value = core.decode(*record);
      fn(e);
    }
    cursor = std::move(page.next_cursor);
  } while (!cursor.empty());
}

// The entries of an export, checked line by line as the store would check them (key, value
// size, tags, expiry instant at now_ms); fn(entry) for each valid one. A bad line throws, or
// is recorded when skip_invalid.
void read_export(const StoreCore& core, const std::string& path, const ImportOptions& options,
                 std::int64_t now_ms, ImportReport& report,
                 const std::function<void(backup::JsonlEntry&)>& fn) {
  auto reader =
      backup::open_line_reader(path, backup::max_entry_line(core.capabilities_.max_value_size));
  std::string line;
  std::size_t number = 0, entries = 0;
  bool ended = false;
  if (!reader->read_line(line)) throw InvalidArgument("line 1: the file is empty");
  backup::check_jsonl_header(line, ++number);
  auto reject = [&](const InvalidArgument& e) {
    if (!options.skip_invalid) throw e;
    report.invalid_lines.emplace_back(e.what());
  };
  while (reader->read_line(line)) {
    ++number;
    if (ended)
      throw InvalidArgument("line " + std::to_string(number) + ": data after the end line");
    backup::JsonlLine parsed;
    try {
      parsed = backup::parse_jsonl_line(line, number);
    } catch (const InvalidArgument& e) {
      ++entries;  // a bad line stands for one key
      reject(e);
      continue;
    }
    if (parsed.kind == backup::JsonlLine::Kind::End) {
      if (parsed.end_count != entries) {
        throw InvalidArgument("line " + std::to_string(number) + ": the export says " +
                              std::to_string(parsed.end_count) + " keys, the file has " +
                              std::to_string(entries));
      }
      ended = true;
      continue;
    }
    ++entries;
    try {
      store::validate_key(parsed.entry.key);
      store::validate_value(parsed.entry.value, core.capabilities_.max_value_size);
      store::normalize_tags(parsed.entry.tags);
      store::validate_expiry_instant(parsed.entry.expires_ms, now_ms);
    } catch (const InvalidArgument& e) {
      reject(InvalidArgument("line " + std::to_string(number) + ": " + e.what()));
      continue;
    }
    ++report.lines;
    fn(parsed.entry);
  }
  if (!ended)
    throw InvalidArgument("line " + std::to_string(number + 1) +
                          ": the end line is missing (truncated export)");
}

}  // namespace

ExportReport KeyValueStore::export_jsonl(const std::string& path,
                                         const ProgressCallback& progress) {
  auto lock = core_->use();
  util::Stopwatch watch;
  ExportReport report;
  report.path = path;
  std::size_t total = core_->backend_->count(core_->options_.ns, util::now_ms());
  // Only a regular file is ever replaced: never a link (or what it points to), a pipe, a
  // device or a folder that happens to have the name.
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw InvalidArgument("'" + path +
                          "' exists and is not a regular file (a link, a pipe, a device or a "
                          "folder): an export writes a regular file and replaces nothing else");
  }
  // Written under a hidden name of this export's own (same compression suffix) and renamed
  // when complete: a failed export never leaves a file that looks whole, and no file of the
  // user's can have that name.
  static std::atomic<std::uint64_t> exports{0};
  std::filesystem::path target(path);
  std::string suffix = path.ends_with(".gz") ? ".gz" : path.ends_with(".zst") ? ".zst" : "";
  std::string partial = (target.parent_path() /
                         ("." + target.filename().string() + ".partial-" +
                          std::to_string(::getpid()) + "-" + std::to_string(exports++) + suffix))
                            .string();
  try {
    auto writer = backup::open_line_writer(partial);
    writer->write_line(backup::jsonl_header(core_->name_, core_->backend_->capabilities().name,
                                            total, util::now_ms()));
    for_each_entry(*core_, [&](backup::JsonlEntry& e) {
      writer->write_line(backup::jsonl_entry(core_->options_.ns, e));
      ++report.keys;
      report.value_bytes += e.value.size();
      if (progress && report.keys % kChunk == 0) progress(report.keys, total);
    });
    writer->write_line(backup::jsonl_end(report.keys));
    writer->finish();
    util::rename_file(partial, path);
  } catch (...) {
    util::remove_file(partial);
    throw;
  }
  if (progress) progress(report.keys, report.keys);
  report.duration_ms = watch.elapsed_ms();
  return report;
}

ImportReport KeyValueStore::import_jsonl(const std::string& path, const ImportOptions& options) {
  auto lock = core_->use();
  core_->check_writable("an import");
  util::Stopwatch watch;
  ImportReport report;
  std::int64_t now = util::now_ms();
  // Nothing is written before the whole file is validated: entries are held in memory up to
  // kHeldBytes (one pass); a larger file is validated, then read again to write.
  constexpr std::size_t kHeldBytes = 256 << 20;
  std::vector<backup::JsonlEntry> held;
  std::size_t held_bytes = 0;
  bool holding = true;
  read_export(*core_, path, options, now, report, [&](backup::JsonlEntry& e) {
    if (!holding) return;
    held_bytes += e.key.size() + e.value.size() + 64;
    if (held_bytes > kHeldBytes) {
      holding = false;
      held.clear();
      held.shrink_to_fit();
      return;
    }
    held.push_back(std::move(e));
  });
  std::size_t total = report.lines;
  BatchWriter writer(*core_, core_->sync_writes());
  auto put_live = [&](backup::JsonlEntry& e) {
    if (e.expires_ms != 0 && e.expires_ms <= now) {
      ++report.skipped_expired;
      return;
    }
    writer.add(core_->make_entry_put(e, now));
    if (options.progress && writer.added() % kChunk == 0) options.progress(writer.added(), total);
  };
  if (holding) {
    for (auto& e : held)
      put_live(e);
  } else {
    ImportReport again;
    read_export(*core_, path, options, now, again, put_live);
  }
  writer.finish();
  report.imported = writer.added();
  if (options.progress) options.progress(report.imported, total);
  report.duration_ms = watch.elapsed_ms();
  return report;
}

SyncReport KeyValueStore::sync_to(KeyValueStore& other, bool remove_extraneous,
                                  const ProgressCallback& progress) {
  if (&other == this) throw InvalidArgument("sync_to: a store cannot sync to itself");
  auto lock = core_->use();
  auto other_lock = other.core_->use();
  other.core_->check_writable("a sync into it");
  // The same namespace of the same data, opened twice (another path to the folder, another
  // name of the server): a sync would rewrite every key onto itself.
  std::string identity = core_->backend_->identity();
  if (!identity.empty() && identity == other.core_->backend_->identity() &&
      core_->options_.ns == other.core_->options_.ns) {
    throw InvalidArgument("sync_to: the target is the source itself (" + core_->name_ + ")");
  }
  util::Stopwatch watch;
  SyncReport report;
  std::size_t total = progress ? core_->backend_->count(core_->options_.ns, util::now_ms()) : 0;
  StoreCore& target = *other.core_;
  BatchWriter writer(target, target.sync_writes());
  for_each_entry(*core_, [&](backup::JsonlEntry& e) {
    writer.add(target.make_entry_put(e, util::now_ms()));
    if (progress && writer.added() % kChunk == 0)
      progress(writer.added(), std::max(total, writer.added()));
  });
  writer.finish();
  report.copied = writer.added();
  if (progress) progress(report.copied, std::max(total, report.copied));
  if (remove_extraneous) {
    BatchWriter removals(target, target.sync_writes());
    std::string cursor;
    do {
      std::int64_t now = util::now_ms();
      KeyPage page = target.backend_->scan(target.options_.ns, "", cursor, kChunk, now);
      for (const auto& key : page.keys) {
        if (!core_->backend_->get_meta(core_->options_.ns, key, now))
          removals.add(target.make_op(WriteOp::Kind::Remove, key));
      }
      cursor = std::move(page.next_cursor);
    } while (!cursor.empty());
    removals.finish();
    report.removed = removals.added();
  }
  report.duration_ms = watch.elapsed_ms();
  return report;
}

}  // namespace nadb
