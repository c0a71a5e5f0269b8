// The core's result types as plain Python objects (dicts, lists, tuples of str/int/float/bool),
// which the Python layer (nadb/nakv.py) turns into the original API's shapes. Times are ms
// since the Unix epoch. Every function needs the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include "nadb/backend.hpp"
#include "nadb/backup.hpp"
#include "nadb/query.hpp"
#include "nadb/types.hpp"

namespace nadb::python {

// {key, tags, size, stored_size, created_ms, updated_ms, expires_ms (None: never),
//  compressed, version}
pybind11::dict metadata_dict(const Metadata& metadata);
// (keys, total_count, page, page_size, has_more, execution_time_ms, cache_hit)
pybind11::tuple query_result_tuple(const QueryResult& result);
// {id, type, parent, created_at, db, namespaces, key_count, file_count, stored_bytes, compressed}
pybind11::dict backup_dict(const BackupInfo& info);
pybind11::dict compaction_dict(const CompactionReport& report);
pybind11::dict export_dict(const ExportReport& report);
pybind11::dict import_dict(const ImportReport& report);
pybind11::dict sync_dict(const SyncReport& report);
pybind11::dict capabilities_dict(const BackendCapabilities& capabilities);

}  // namespace nadb::python
