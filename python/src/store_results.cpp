#include "store_results.hpp"

#include <pybind11/stl.h>

#include "convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace nadb::python {

py::dict metadata_dict(const Metadata& m) {
  py::object expires = m.expires_at ? py::object(py::int_(m.expires_at->time_since_epoch().count()))
                                    : py::object(py::none());
  return py::dict("key"_a = to_str(m.key), "tags"_a = to_str_list(m.tags), "size"_a = m.size,
                  "stored_size"_a = m.stored_size,
                  "created_ms"_a = m.created_at.time_since_epoch().count(),
                  "updated_ms"_a = m.updated_at.time_since_epoch().count(),
                  "expires_ms"_a = expires, "compressed"_a = m.compressed, "version"_a = m.version);
}

py::tuple query_result_tuple(const QueryResult& r) {
  return py::make_tuple(to_str_list(r.keys), r.total_count, r.page, r.page_size, r.has_more,
                        r.execution_time_ms, r.cache_hit);
}

py::dict backup_dict(const BackupInfo& b) {
  return py::dict("id"_a = b.id, "type"_a = b.type, "parent"_a = b.parent,
                  "created_at"_a = b.created_at, "db"_a = b.db,
                  "namespaces"_a = to_str_list(b.namespaces), "key_count"_a = b.key_count,
                  "file_count"_a = b.file_count, "stored_bytes"_a = b.stored_bytes,
                  "compressed"_a = b.compressed, "checksum"_a = b.checksum);
}

py::dict compaction_dict(const CompactionReport& r) {
  return py::dict("segments_compacted"_a = r.segments_compacted,
                  "segments_written"_a = r.segments_written, "bytes_before"_a = r.bytes_before,
                  "bytes_after"_a = r.bytes_after, "records_kept"_a = r.records_kept,
                  "records_dropped"_a = r.records_dropped, "duration_ms"_a = r.duration_ms);
}

py::dict export_dict(const ExportReport& r) {
  return py::dict("path"_a = to_str(r.path), "keys"_a = r.keys, "value_bytes"_a = r.value_bytes,
                  "duration_ms"_a = r.duration_ms);
}

py::dict import_dict(const ImportReport& r) {
  return py::dict("lines"_a = r.lines, "imported"_a = r.imported,
                  "skipped_expired"_a = r.skipped_expired, "invalid_lines"_a = r.invalid_lines,
                  "duration_ms"_a = r.duration_ms);
}

py::dict sync_dict(const SyncReport& r) {
  return py::dict("copied"_a = r.copied, "removed"_a = r.removed, "duration_ms"_a = r.duration_ms);
}

py::dict capabilities_dict(const BackendCapabilities& c) {
  return py::dict("name"_a = c.name, "persistent"_a = c.persistent,
                  "shared_by_processes"_a = c.shared_by_processes,
                  "physical_backups"_a = c.physical_backups, "max_value_size"_a = c.max_value_size,
                  "max_batch_bytes"_a = c.max_batch_bytes);
}

}  // namespace nadb::python
