#include "sync_binding.hpp"

#include "gil.hpp"
#include "options.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace nadb::python {

void bind_sync(py::module_& module) {
  py::class_<SyncHandle>(module, "Sync")
      .def(py::init([](std::int64_t flush_interval_ms) {
             if (flush_interval_ms <= 0) throw py::value_error("flush interval must be positive");
             return std::make_unique<SyncHandle>(
                 std::make_shared<KeyValueSync>(std::chrono::milliseconds(flush_interval_ms)));
           }),
           "flush_interval_ms"_a)
      .def("start", [](SyncHandle& h) { h.get().start(); })
      .def(
          "stop",
          [](SyncHandle& h) {
            KeyValueSync& sync = h.get();
            without_gil([&] { sync.stop(); });
          },
          "Stops the thread, then flushes every registered store.")
      .def("run_once",
           [](SyncHandle& h) {
             KeyValueSync& sync = h.get();
             without_gil([&] { sync.run_once(); });
           })
      .def("status", [](SyncHandle& h) {
        SyncStatus s = h.get().status();
        return py::dict("running"_a = s.running, "stores"_a = s.stores, "rounds"_a = s.rounds,
                        "expired_removed"_a = s.expired_removed, "last_error"_a = s.last_error);
      });
}

}  // namespace nadb::python
