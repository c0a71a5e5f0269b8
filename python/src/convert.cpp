#include "convert.hpp"

#include <climits>
#include <cstdint>

namespace py = pybind11;

namespace nadb::python {
namespace {

// The UTF-8 bytes of a str. A str with lone surrogates stands for bytes that are not UTF-8 (as
// to_str makes them); it is accepted only in that canonical form, so that one byte string
// has exactly one str: "\udcc3\udca9" (the escapes of C3 A9, which is UTF-8 for "é") would
// otherwise name the key "é" too.
Utf8 utf8_of(py::handle text, const char* what) {
  Py_ssize_t size = 0;
  if (const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size)) {
    return {std::string_view(data, static_cast<std::size_t>(size)), {}};
  }
  PyErr_Clear();
  py::object encoded = py::reinterpret_steal<py::object>(
      PyUnicode_AsEncodedString(text.ptr(), "utf-8", "surrogateescape"));
  if (!encoded) {
    PyErr_Clear();
    throw py::value_error(std::string(what) + " holds a lone surrogate that stands for no byte");
  }
  char* data = nullptr;
  PyBytes_AsStringAndSize(encoded.ptr(), &data, &size);
  py::str back = to_str(std::string_view(data, static_cast<std::size_t>(size)));
  if (!back.equal(text)) {
    throw py::value_error(std::string(what) +
                          " escapes bytes that are valid UTF-8: write the characters themselves");
  }
  return {std::string_view(data, static_cast<std::size_t>(size)), std::move(encoded)};
}

std::vector<std::string> str_items(py::handle items, const char* what, bool key_rules) {
  if (!PyList_Check(items.ptr()) && !PyTuple_Check(items.ptr())) {
    throw py::type_error(std::string(what) + " must be a list of strings");
  }
  std::vector<std::string> out;
  py::sequence sequence = py::reinterpret_borrow<py::sequence>(items);
  out.reserve(sequence.size());
  for (py::handle item : sequence) {
    if (key_rules) {
      out.emplace_back(key_arg(item).view);
    } else {
      if (!PyUnicode_Check(item.ptr())) throw py::type_error("All tags must be strings");
      out.emplace_back(utf8_of(item, "a tag").view);
    }
  }
  return out;
}

}  // namespace

Utf8 text_arg(py::handle text, const char* what) {
  if (!PyUnicode_Check(text.ptr())) throw py::type_error(std::string(what) + " must be a string");
  return utf8_of(text, what);
}

Utf8 key_arg(py::handle key) {
  if (!PyUnicode_Check(key.ptr()) || PyUnicode_GET_LENGTH(key.ptr()) == 0) {
    throw py::value_error("Key must be a non-empty string");
  }
  return utf8_of(key, "Key");
}

std::string_view value_arg(py::handle value) {
  if (!PyBytes_Check(value.ptr())) {
    throw py::type_error(std::string("Value must be bytes, not ") + Py_TYPE(value.ptr())->tp_name);
  }
  return {PyBytes_AS_STRING(value.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(value.ptr()))};
}

std::vector<std::string> tags_arg(py::handle tags) {
  if (tags.is_none()) return {};
  return str_items(tags, "Tags", false);
}

std::vector<std::string> keys_arg(py::handle keys) {
  return str_items(keys, "Keys", true);
}

std::size_t page_arg(py::handle value, const char* name) {
  if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr())) {
    throw py::type_error(std::string(name) + " must be an integer, not " +
                         Py_TYPE(value.ptr())->tp_name);
  }
  int overflow = 0;
  long long number = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow < 0 || number < 0) {
    throw py::value_error(std::string(name) + " must be at least 1, got " +
                          py::str(value).cast<std::string>());
  }
  return overflow > 0 ? SIZE_MAX : static_cast<std::size_t>(number);
}

std::chrono::seconds ttl_arg(py::handle ttl) {
  if (!PyLong_Check(ttl.ptr()) || PyBool_Check(ttl.ptr())) {
    throw py::value_error("TTL must be a positive integer");
  }
  int overflow = 0;
  long long seconds = PyLong_AsLongLongAndOverflow(ttl.ptr(), &overflow);
  if (overflow != 0 || seconds <= 0) throw py::value_error("TTL must be a positive integer");
  return std::chrono::seconds(seconds);
}

py::str to_str(std::string_view bytes) {
  PyObject* text =
      PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), "surrogateescape");
  if (!text) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

py::bytes to_bytes(std::string_view bytes) {
  return py::bytes(bytes.data(), bytes.size());
}

py::list to_str_list(const std::vector<std::string>& items) {
  py::list out(items.size());
  for (std::size_t i = 0; i < items.size(); ++i)
    out[i] = to_str(items[i]);
  return out;
}

}  // namespace nadb::python
