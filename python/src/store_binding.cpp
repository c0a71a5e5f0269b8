#include "store_binding.hpp"

#include <pybind11/stl.h>

#include <memory>
#include <utility>

#include "convert.hpp"
#include "options.hpp"
#include "store_results.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace nadb::python {
namespace {

// Runs fn with the GIL released (arguments must already be C++ values).
template <typename F>
auto unlocked(F&& fn) {
  return without_gil(std::forward<F>(fn));
}

[[noreturn]] void throw_missing(py::handle key) {
  PyErr_Format(PyExc_KeyError, "Key '%U' not found", key.ptr());
  throw py::error_already_set();
}

SetOptions set_options(py::handle tags, py::handle ttl) {
  SetOptions options{tags_arg(tags), std::nullopt};
  if (!ttl.is_none()) options.ttl = ttl_arg(ttl);
  return options;
}

TagOperator tag_operator(const std::string& name) {
  if (name == "and") return TagOperator::And;
  if (name == "or") return TagOperator::Or;
  if (name == "not") return TagOperator::Not;
  throw py::value_error("Unsupported operator for tag queries: '" + name +
                        "' (one of AND, OR, NOT)");
}

// Conditions as the Python layer builds them: dicts {field, op, values, min, max}.
std::vector<Condition> conditions_arg(const py::list& items) {
  std::vector<Condition> out;
  for (py::handle item : items) {
    auto d = py::reinterpret_borrow<py::dict>(item);
    Condition c{d["field"].cast<std::string>(), d["op"].cast<std::string>(), {}, {}, {}};
    if (d.contains("values")) c.values = tags_arg(d["values"]);
    if (d.contains("min") && !d["min"].is_none()) c.min = d["min"].cast<std::int64_t>();
    if (d.contains("max") && !d["max"].is_none()) c.max = d["max"].cast<std::int64_t>();
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<BatchItem> batch_items(py::handle items) {
  if (!PyList_Check(items.ptr()) && !PyTuple_Check(items.ptr())) {
    throw py::type_error("items must be a list of (key, value[, tags[, ttl]]) tuples");
  }
  std::vector<BatchItem> out;
  for (py::handle item : py::reinterpret_borrow<py::sequence>(items)) {
    if (!PyTuple_Check(item.ptr()) || PyTuple_GET_SIZE(item.ptr()) < 2 ||
        PyTuple_GET_SIZE(item.ptr()) > 4) {
      throw py::value_error("each item must be a (key, value[, tags[, ttl]]) tuple");
    }
    auto t = py::reinterpret_borrow<py::tuple>(item);
    BatchItem b{std::string(key_arg(t[0]).view), std::string(value_arg(t[1])), {}, std::nullopt};
    if (t.size() > 2) b.tags = tags_arg(t[2]);
    if (t.size() > 3 && !t[3].is_none()) b.ttl = ttl_arg(t[3]);
    out.push_back(std::move(b));
  }
  return out;
}

py::bytes get_value(PyStore& p, py::handle key) {
  Utf8 k = key_arg(key);
  auto value = p.read([&] { return p.core().get(k.view); });
  if (!value) throw_missing(key);
  return to_bytes(*value);
}

void bind_reads(StoreClass& c) {
  c.def("get", &get_value, "key"_a, "The value of key; KeyError if it is missing or expired.")
      .def("__getitem__", &get_value, "key"_a)
      .def(
          "multi_get",
          [](PyStore& p, py::handle keys) {
            auto names = keys_arg(keys);
            auto values = unlocked([&] { return p.core().multi_get(names); });
            py::list out(values.size());
            for (std::size_t i = 0; i < values.size(); ++i)
              out[i] = values[i] ? py::object(to_bytes(*values[i])) : py::object(py::none());
            return out;
          },
          "keys"_a, "Values in the order of keys (None for missing ones).")
      .def(
          "exists",
          [](PyStore& p, py::handle key) {
            Utf8 k = key_arg(key);
            return p.read([&] { return p.core().exists(k.view); });
          },
          "key"_a)
      .def(
          "__contains__",
          [](PyStore& p, py::handle key) {
            if (!PyUnicode_Check(key.ptr()) || PyUnicode_GET_LENGTH(key.ptr()) == 0) return false;
            Utf8 k = key_arg(key);
            return p.read([&] { return p.core().exists(k.view); });
          },
          "key"_a)
      .def("count", [](PyStore& p) { return p.read([&] { return p.core().count(); }); })
      .def("__len__", [](PyStore& p) { return p.read([&] { return p.core().count(); }); })
      .def(
          "_metadata",
          [](PyStore& p, py::handle key) -> py::object {
            Utf8 k = key_arg(key);
            auto m = p.read([&] { return p.core().get_metadata(k.view); });
            return m ? py::object(metadata_dict(*m)) : py::object(py::none());
          },
          "key"_a)
      .def(
          "_entry",
          [](PyStore& p, py::handle key) -> py::object {
            Utf8 k = key_arg(key);
            auto e = p.read([&] { return p.core().get_with_metadata(k.view); });
            if (!e) return py::none();
            return py::make_tuple(to_bytes(e->value), metadata_dict(e->metadata));
          },
          "key"_a)
      .def(
          "ttl",
          [](PyStore& p, py::handle key) -> py::object {
            Utf8 k = key_arg(key);
            auto left = p.read([&] { return p.core().ttl(k.view); });
            return left ? py::object(py::int_(left->count())) : py::object(py::none());
          },
          "key"_a, "Seconds left (rounded up), or None for a missing key or one without TTL.")
      .def(
          "scan",
          [](PyStore& p, py::handle prefix, py::handle cursor, std::size_t limit) {
            Utf8 from = text_arg(prefix, "prefix"), after = text_arg(cursor, "cursor");
            KeyPage page = unlocked([&] { return p.core().scan(from.view, after.view, limit); });
            return py::make_tuple(to_str_list(page.keys), to_str(page.next_cursor));
          },
          "prefix"_a = "", "cursor"_a = "", "limit"_a = 1000,
          "(keys, next_cursor): live keys starting with prefix after cursor, in key order.")
      .def("get_all_keys", [](PyStore& p) {
        return to_str_list(unlocked([&] { return p.core().get_all_keys(); }));
      });
}

void bind_writes(StoreClass& c) {
  c.def(
       "set",
       [](PyStore& p, py::handle key, py::handle value, py::handle tags) {
         Utf8 k = key_arg(key);
         std::string_view v = value_arg(value);
         std::vector<std::string> t = tags_arg(tags);
         p.write(v.size(), [&] { p.core().set(k.view, v, t); });
       },
       "key"_a, "value"_a, "tags"_a = py::none(),
       "Stores value under key with exactly these tags and no TTL.")
      .def(
          "__setitem__",
          [](PyStore& p, py::handle key, py::handle value) {
            Utf8 k = key_arg(key);
            std::string_view v = value_arg(value);
            p.write(v.size(), [&] { p.core().set(k.view, v); });
          },
          "key"_a, "value"_a)
      .def(
          "set_with_ttl",
          [](PyStore& p, py::handle key, py::handle value, py::handle ttl_seconds,
             py::handle tags) {
            Utf8 k = key_arg(key);
            std::string_view v = value_arg(value);
            std::chrono::seconds ttl = ttl_arg(ttl_seconds);
            std::vector<std::string> t = tags_arg(tags);
            p.write(v.size(), [&] { p.core().set_with_ttl(k.view, v, ttl, t); });
          },
          "key"_a, "value"_a, "ttl_seconds"_a, "tags"_a = py::none())
      .def(
          "delete",
          [](PyStore& p, py::handle key) {
            Utf8 k = key_arg(key);
            p.write(0, [&] { p.core().remove(k.view); });
          },
          "key"_a, "Deletes key; a missing key is not an error.")
      .def(
          "remove",
          [](PyStore& p, py::handle key) {
            Utf8 k = key_arg(key);
            return p.write(0, [&] { return p.core().remove(k.view); });
          },
          "key"_a, "Deletes key; True if it was live.")
      .def(
          "__delitem__",
          [](PyStore& p, py::handle key) {
            Utf8 k = key_arg(key);
            if (!p.write(0, [&] { return p.core().remove(k.view); })) throw_missing(key);
          },
          "key"_a)
      .def(
          "batch_set",
          [](PyStore& p, py::handle items) {
            auto batch = batch_items(items);
            unlocked([&] { p.core().batch_set(batch); });
          },
          "items"_a, "Sets every (key, value[, tags[, ttl]]) atomically.")
      .def(
          "batch_delete",
          [](PyStore& p, py::handle keys) {
            auto names = keys_arg(keys);
            return unlocked([&] { return p.core().batch_remove(names); });
          },
          "keys"_a, "Deletes every key atomically; returns how many were live.")
      .def(
          "expire",
          [](PyStore& p, py::handle key, py::handle ttl_seconds) {
            Utf8 k = key_arg(key);
            auto ttl = ttl_arg(ttl_seconds);
            return p.write(0, [&] { return p.core().expire(k.view, ttl); });
          },
          "key"_a, "ttl_seconds"_a)
      .def(
          "persist",
          [](PyStore& p, py::handle key) {
            Utf8 k = key_arg(key);
            return p.write(0, [&] { return p.core().persist(k.view); });
          },
          "key"_a)
      .def(
          "set_if_absent",
          [](PyStore& p, py::handle key, py::handle value, py::handle tags,
             py::handle ttl_seconds) {
            Utf8 k = key_arg(key);
            std::string_view v = value_arg(value);
            SetOptions options = set_options(tags, ttl_seconds);
            return p.write(v.size(), [&] { return p.core().set_if_absent(k.view, v, options); });
          },
          "key"_a, "value"_a, "tags"_a = py::none(), "ttl_seconds"_a = py::none())
      .def(
          "compare_and_set",
          [](PyStore& p, py::handle key, std::uint64_t expected_version, py::handle value,
             py::handle tags, py::handle ttl_seconds) {
            Utf8 k = key_arg(key);
            std::string_view v = value_arg(value);
            SetOptions options = set_options(tags, ttl_seconds);
            return unlocked(
                [&] { return p.core().compare_and_set(k.view, expected_version, v, options); });
          },
          "key"_a, "expected_version"_a, "value"_a, "tags"_a = py::none(),
          "ttl_seconds"_a = py::none())
      .def(
          "increment",
          [](PyStore& p, py::handle key, std::int64_t delta) {
            Utf8 k = key_arg(key);
            return p.write(0, [&] { return p.core().increment(k.view, delta); });
          },
          "key"_a, "delta"_a = 1);
}

void bind_queries(StoreClass& c) {
  c.def(
       "_query_tags",
       [](PyStore& p, py::handle tags, const std::string& op, py::handle page_object,
          py::handle page_size_object) {
         std::size_t page = page_arg(page_object, "page"),
                     page_size = page_arg(page_size_object, "page_size");
         auto names = tags_arg(tags);
         TagOperator tag_op = tag_operator(op);
         return query_result_tuple(unlocked(
             [&] { return p.core().query_by_tags_advanced(names, tag_op, page, page_size); }));
       },
       "tags"_a, "op"_a, "page"_a, "page_size"_a)
      .def(
          "_query_tags_metadata",
          [](PyStore& p, py::handle tags) {
            auto names = tags_arg(tags);
            auto found = unlocked([&] {
              std::vector<Metadata> out;
              for (const std::string& key : p.core().query_by_tags(names)) {
                if (auto m = p.core().get_metadata(key)) out.push_back(std::move(*m));
              }
              return out;
            });
            py::list out;
            for (const Metadata& m : found)
              out.append(metadata_dict(m));
            return out;
          },
          "tags"_a)
      .def(
          "_complex_query",
          [](PyStore& p, const py::list& conditions, py::handle page_object,
             py::handle page_size_object) {
            std::size_t page = page_arg(page_object, "page"),
                        page_size = page_arg(page_size_object, "page_size");
            auto parsed = conditions_arg(conditions);
            return query_result_tuple(
                unlocked([&] { return p.core().complex_query(parsed, page, page_size); }));
          },
          "conditions"_a, "page"_a, "page_size"_a)
      .def(
          "_query",
          [](PyStore& p, py::handle expression, py::handle page_object,
             py::handle page_size_object) {
            std::size_t page = page_arg(page_object, "page"),
                        page_size = page_arg(page_size_object, "page_size");
            Utf8 text = text_arg(expression, "expression");
            return query_result_tuple(
                unlocked([&] { return p.core().query(Query::parse(text.view), page, page_size); }));
          },
          "expression"_a, "page"_a, "page_size"_a)
      .def("list_all_tags",
           [](PyStore& p) {
             auto tags = unlocked([&] { return p.core().list_all_tags(); });
             py::dict out;
             for (const auto& [tag, n] : tags)
               out[to_str(tag)] = n;
             return out;
           })
      .def("optimize_indexes", [](PyStore& p) { unlocked([&] { p.core().optimize_indexes(); }); })
      .def("rebuild_indexes", [](PyStore& p) { unlocked([&] { p.core().rebuild_indexes(); }); })
      .def("clear_caches", [](PyStore& p) { unlocked([&] { p.core().clear_caches(); }); });
}

void bind_maintenance(StoreClass& c) {
  c.def(
       "flush", [](PyStore& p) { unlocked([&] { p.core().flush(); }); },
       "Makes every acknowledged write durable before returning.")
      .def("refresh",
           [](PyStore& p) {
             LongOperation scope("refresh");
             unlocked([&] { p.core().refresh(); });
           })
      .def(
          "flushdb",
          [](PyStore& p) {
            LongOperation scope("flushdb");
            unlocked([&] { p.core().flushdb(); });
          },
          "Deletes every key of this namespace, atomically.")
      .def("_cleanup_expired",
           [](PyStore& p) {
             LongOperation scope("cleanup_expired");
             return unlocked([&] { return p.core().cleanup_expired(); });
           })
      .def(
          "_compact",
          [](PyStore& p, py::handle progress) {
            auto callback = progress_arg(progress);
            LongOperation scope("compact_storage");
            return compaction_dict(unlocked([&] { return p.core().compact_storage(callback); }));
          },
          "progress"_a = py::none())
      .def("_stats_json",
           [](PyStore& p) { return unlocked([&] { return p.core().get_stats().to_json(); }); })
      .def_property_readonly("name", [](PyStore& p) { return p.core().name(); })
      .def_property_readonly("_capabilities",
                             [](PyStore& p) { return capabilities_dict(p.core().capabilities()); })
      .def(
          "close",
          [](PyStore& p) {
            if (p.forked()) return;  // the parent's store: forgotten by ~PyStore, untouched
            LongOperation scope("close");
            unlocked([&] { p.core().close(); });
          },
          "Flushes and releases the store; later calls raise. Idempotent. In a process forked "
          "after the store was opened, does nothing (the store is the parent's).");
}

void bind_backups(StoreClass& c) {
  c.def(
       "_create_backup",
       [](PyStore& p, const std::string& id, bool compression, py::handle progress) {
         auto callback = progress_arg(progress);
         LongOperation scope("create_backup");
         return backup_dict(
             unlocked([&] { return p.core().create_backup(id, compression, callback); }));
       },
       "backup_id"_a, "compression"_a, "progress"_a = py::none())
      .def(
          "_create_incremental_backup",
          [](PyStore& p, const std::string& parent, const std::string& id, bool compression,
             py::handle progress) {
            auto callback = progress_arg(progress);
            LongOperation scope("create_incremental_backup");
            return backup_dict(unlocked([&] {
              return p.core().create_incremental_backup(parent, id, compression, callback);
            }));
          },
          "parent_backup_id"_a, "backup_id"_a, "compression"_a, "progress"_a = py::none())
      .def(
          "_restore_backup",
          [](PyStore& p, const std::string& id, bool verify, bool clear, py::handle progress) {
            auto callback = progress_arg(progress);
            LongOperation scope("restore_backup");
            unlocked([&] { p.core().restore_backup(id, verify, clear, callback); });
          },
          "backup_id"_a, "verify_integrity"_a, "clear_existing"_a, "progress"_a = py::none())
      .def("_list_backups",
           [](PyStore& p) {
             auto backups = unlocked([&] { return p.core().list_backups(); });
             py::list out;
             for (const BackupInfo& b : backups)
               out.append(backup_dict(b));
             return out;
           })
      .def(
          "_verify_backup",
          [](PyStore& p, const std::string& id) {
            VerifyReport report = unlocked([&] { return p.core().verify_backup_report(id); });
            return py::make_tuple(report.ok, report.problems);
          },
          "backup_id"_a)
      .def(
          "delete_backup",
          [](PyStore& p, const std::string& id, bool force) {
            LongOperation scope("delete_backup");
            return unlocked([&] { return p.core().delete_backup(id, force); });
          },
          "backup_id"_a, "force"_a = false,
          "Deletes a backup; False when another depends on it (unless force).")
      .def(
          "_cleanup_old_backups",
          [](PyStore& p, std::size_t keep_count, int keep_days) {
            LongOperation scope("cleanup_old_backups");
            return unlocked([&] { return p.core().cleanup_old_backups(keep_count, keep_days); });
          },
          "keep_count"_a, "keep_days"_a);
}

void bind_transfers(StoreClass& c) {
  c.def(
       "export_jsonl",
       [](PyStore& p, const std::string& path, py::handle progress) {
         auto callback = progress_arg(progress);
         LongOperation scope("export_jsonl");
         return export_dict(unlocked([&] { return p.core().export_jsonl(path, callback); }));
       },
       "path"_a, "progress"_a = py::none(),
       "Writes every live key to path as JSONL (.gz / .zst compressed); returns a report.")
      .def(
          "import_jsonl",
          [](PyStore& p, const std::string& path, bool skip_invalid, py::handle progress) {
            ImportOptions options{skip_invalid, progress_arg(progress)};
            LongOperation scope("import_jsonl");
            return import_dict(unlocked([&] { return p.core().import_jsonl(path, options); }));
          },
          "path"_a, "skip_invalid"_a = false, "progress"_a = py::none(),
          "Imports an export (validated whole first unless skip_invalid); returns a report.")
      .def(
          "sync_to",
          [](PyStore& p, PyStore& other, bool remove_extraneous, py::handle progress) {
            auto callback = progress_arg(progress);
            LongOperation scope("sync_to");
            return sync_dict(unlocked(
                [&] { return p.core().sync_to(other.core(), remove_extraneous, callback); }));
          },
          "other"_a, "remove_extraneous"_a = false, "progress"_a = py::none(),
          "Copies every live key into other (any backend); returns a report.");
}

}  // namespace

namespace {
// Depth of progress callbacks running in this thread (changed with the GIL held).
thread_local int callbacks_in_this_thread = 0;
}  // namespace

LongOperation::LongOperation(const char* what) {
  if (callbacks_in_this_thread > 0) {
    throw py::value_error(std::string(what) +
                          " cannot run inside a progress callback: it would wait for the "
                          "operation that is calling the callback");
  }
  ++PyStore::long_operations_running;
}

ProgressCallback progress_arg(py::handle progress) {
  if (progress.is_none()) return {};
  if (!PyCallable_Check(progress.ptr())) throw py::type_error("progress must be callable");
  // The callable is released with the GIL taken (the core may drop the callback anywhere).
  std::shared_ptr<py::object> guarded(new py::object(py::reinterpret_borrow<py::object>(progress)),
                                      [](py::object* f) {
                                        py::gil_scoped_acquire gil;
                                        delete f;
                                      });
  return [guarded](std::size_t done, std::size_t total) {
    py::gil_scoped_acquire gil;
    ++callbacks_in_this_thread;
    try {
      (*guarded)(done, total);
    } catch (...) {
      --callbacks_in_this_thread;
      throw;
    }
    --callbacks_in_this_thread;
  };
}

StoreClass bind_store(py::module_& module) {
  StoreClass c(module, "Store",
               "One (db, namespace) of a NADB store; see nadb.KeyValueStore for the full API.");
  c.def(py::init([](const py::dict& settings) {
          Options options = options_from(settings);
          return unlocked([&] { return std::make_unique<PyStore>(options); });
        }),
        "options"_a);
  bind_reads(c);
  bind_writes(c);
  bind_queries(c);
  bind_maintenance(c);
  bind_backups(c);
  bind_transfers(c);
  return c;
}

}  // namespace nadb::python
