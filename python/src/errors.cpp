#include "errors.hpp"

#include <array>
#include <exception>

#include "nadb/errors.hpp"

namespace py = pybind11;

namespace nadb::python {
namespace {

struct ErrorClass {
  ErrorCode code;
  const char* name;
  PyObject* builtin;  // the Python built-in it also derives from
  const char* doc;
};

// Set once at import, under the GIL; the classes live as long as the module.
std::array<PyObject*, 9> classes{};

py::object make_class(py::module_& module, const char* name, py::tuple bases, const char* doc) {
  std::string qualified = std::string("nadb.") + name;
  py::object cls = py::reinterpret_steal<py::object>(
      PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr));
  if (!cls) throw py::error_already_set();
  module.attr(name) = cls;
  return cls;
}

}  // namespace

void register_errors(py::module_& module) {
  py::object base = make_class(module, "NadbError", py::make_tuple(py::handle(PyExc_Exception)),
                               "Base of every error NADB's core reports.");
  const ErrorClass table[] = {
      {ErrorCode::InvalidArgument, "InvalidArgument", PyExc_ValueError,
       "Bad input (key, value, tag, name, TTL, option); nothing was changed."},
      {ErrorCode::IOError, "IOError", PyExc_OSError, "A file-system call failed."},
      {ErrorCode::Corruption, "Corruption", PyExc_RuntimeError,
       "Stored bytes failed a checksum or could not be decoded."},
      {ErrorCode::Locked, "Locked", PyExc_RuntimeError,
       "The db is held by another process (the message names its pid)."},
      {ErrorCode::TransactionConflict, "TransactionConflict", PyExc_RuntimeError,
       "A SERIALIZABLE transaction read a key that changed before it committed."},
      {ErrorCode::TransactionTimeout, "TransactionTimeout", PyExc_RuntimeError,
       "A transaction was committed after its timeout."},
      {ErrorCode::BackendUnavailable, "BackendUnavailable", PyExc_ConnectionError,
       "The backend (e.g. Redis) cannot be reached; never reported as a missing key."},
      {ErrorCode::NotSupported, "NotSupported", PyExc_RuntimeError,
       "The operation is disabled by the options or not offered by this backend."},
      {ErrorCode::NotFound, "NotFound", PyExc_ValueError,
       "Something that must exist does not (a backup id, a db opened read-only)."},
  };
  for (const ErrorClass& entry : table) {
    py::object cls =
        make_class(module, entry.name, py::make_tuple(base, py::handle(entry.builtin)), entry.doc);
    classes[static_cast<std::size_t>(entry.code)] = cls.release().ptr();
  }
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const Error& e) {
      PyErr_SetString(classes[static_cast<std::size_t>(e.code())], e.what());
    }
  });
}

}  // namespace nadb::python
