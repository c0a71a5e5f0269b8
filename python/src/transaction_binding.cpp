#include "transaction_binding.hpp"

#include <mutex>
#include <optional>

#include "convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace nadb::python {
namespace {

// A C++ Transaction is used by one thread at a time; Python threads that share one take
// turns on mutex_ (taken with the GIL released, so a waiting thread blocks nobody else).
class PyTransaction {
 public:
  explicit PyTransaction(Transaction tx) : tx_(std::move(tx)) {}
  // In a forked child the parent's transaction is forgotten, not rolled back (fork_guard.hpp).
  ~PyTransaction() {
    if (fork_guard_.forked()) static_cast<void>(new Transaction(std::move(tx_)));
  }
  PyTransaction(const PyTransaction&) = delete;
  PyTransaction& operator=(const PyTransaction&) = delete;

  template <typename F>
  auto locked(F&& fn) {
    fork_guard_.check();
    return without_gil([&] {
      std::lock_guard lock(mutex_);
      return fn(tx_);
    });
  }

 private:
  ForkGuard fork_guard_;
  std::mutex mutex_;
  Transaction tx_;  // guarded by mutex_
};

IsolationLevel isolation_arg(const std::string& name) {
  if (name == "READ_COMMITTED") return IsolationLevel::ReadCommitted;
  if (name == "SERIALIZABLE") return IsolationLevel::Serializable;
  throw py::value_error("Unknown isolation level '" + name + "' (READ_COMMITTED or SERIALIZABLE)");
}

void bind_staging(py::class_<PyTransaction>& c) {
  c.def(
       "set",
       [](PyTransaction& t, py::handle key, py::handle value, py::handle tags) {
         Utf8 k = key_arg(key);
         std::string_view v = value_arg(value);
         auto names = tags_arg(tags);
         t.locked([&](Transaction& tx) { tx.set(k.view, v, names); });
       },
       "key"_a, "value"_a, "tags"_a = py::none())
      .def(
          "set_with_ttl",
          [](PyTransaction& t, py::handle key, py::handle value, py::handle ttl_seconds,
             py::handle tags) {
            Utf8 k = key_arg(key);
            std::string_view v = value_arg(value);
            auto ttl = ttl_arg(ttl_seconds);
            auto names = tags_arg(tags);
            t.locked([&](Transaction& tx) { tx.set_with_ttl(k.view, v, ttl, names); });
          },
          "key"_a, "value"_a, "ttl_seconds"_a, "tags"_a = py::none())
      .def(
          "delete",
          [](PyTransaction& t, py::handle key) {
            Utf8 k = key_arg(key);
            return t.locked([&](Transaction& tx) { return tx.remove(k.view); });
          },
          "key"_a, "Stages a delete; True if the key exists as this transaction sees it.")
      .def(
          "get",
          [](PyTransaction& t, py::handle key) -> py::object {
            Utf8 k = key_arg(key);
            auto value = t.locked([&](Transaction& tx) { return tx.get(k.view); });
            return value ? py::object(to_bytes(*value)) : py::object(py::none());
          },
          "key"_a, "The value as this transaction sees it (its own writes first), or None.")
      .def(
          "batch_delete",
          [](PyTransaction& t, py::handle keys) {
            auto names = keys_arg(keys);
            return t.locked([&](Transaction& tx) { return tx.batch_remove(names); });
          },
          "keys"_a);
}

void bind_lifecycle(py::class_<PyTransaction>& c) {
  c.def("operation_count",
        [](PyTransaction& t) {
          return t.locked([](Transaction& tx) { return tx.operation_count(); });
        })
      .def_property_readonly(
          "id", [](PyTransaction& t) { return t.locked([](Transaction& tx) { return tx.id(); }); })
      .def_property_readonly(
          "state",
          [](PyTransaction& t) {
            return static_cast<int>(t.locked([](Transaction& tx) { return tx.state(); }));
          },
          "0 active, 1 committed, 2 rolled back, 3 failed (nadb.TransactionState's order).")
      .def(
          "commit",
          [](PyTransaction& t, py::handle durability) {
            if (durability.is_none()) return t.locked([](Transaction& tx) { tx.commit(); });
            auto name = durability.cast<std::string>();
            if (name != "sync" && name != "buffered") {
              throw py::value_error("durability must be 'buffered' or 'sync'");
            }
            Durability d = name == "sync" ? Durability::Sync : Durability::Buffered;
            t.locked([&](Transaction& tx) { tx.commit(d); });
          },
          "durability"_a = py::none(),
          "Applies every staged write as one atomic batch; TransactionConflict or "
          "TransactionTimeout leave the state 'failed' and nothing applied.")
      .def(
          "rollback", [](PyTransaction& t) { t.locked([](Transaction& tx) { tx.rollback(); }); },
          "Discards everything staged; never writes.");
}

}  // namespace

void bind_transaction(py::module_& module, StoreClass& store) {
  py::class_<PyTransaction> c(module, "Transaction");
  bind_staging(c);
  bind_lifecycle(c);
  store.def(
      "_begin",
      [](PyStore& p, const std::string& isolation_level) {
        IsolationLevel level = isolation_arg(isolation_level);
        return without_gil(
            [&] { return std::make_unique<PyTransaction>(p.core().transaction(level)); });
      },
      "isolation_level"_a, py::keep_alive<0, 1>());
}

}  // namespace nadb::python
