// Conversions between Python objects and the core's byte strings, with the original API's
// checks and messages. Keys and tags are str in Python and UTF-8 bytes in the core; bytes that
// are not UTF-8 (written by C++ or the CLI) come back as str with surrogate escapes and
// round-trip unchanged. Values are bytes. Every function needs the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nadb::python {

// A key or tag's UTF-8 bytes; view stays valid while the Python object (and owner) live.
struct Utf8 {
  std::string_view view;
  pybind11::object owner;  // set when the bytes had to be encoded anew (surrogate escapes)
};

// Any str (empty too), e.g. a key prefix or a scan cursor; TypeError otherwise.
Utf8 text_arg(pybind11::handle text, const char* what);
// ValueError("Key must be a non-empty string") unless key is a non-empty str.
Utf8 key_arg(pybind11::handle key);
// TypeError("Value must be bytes") unless value is bytes.
std::string_view value_arg(pybind11::handle value);
// None → no tags; a list or tuple of str → their bytes. TypeError otherwise.
std::vector<std::string> tags_arg(pybind11::handle tags);
// A list or tuple of str keys (ValueError for a bad one, TypeError for another container).
std::vector<std::string> keys_arg(pybind11::handle keys);
// A page number or size: an int (TypeError naming it otherwise), not negative (ValueError); the
// core checks the range.
std::size_t page_arg(pybind11::handle value, const char* name);
// ValueError("TTL must be a positive integer") unless ttl is an int > 0 (bool is refused).
std::chrono::seconds ttl_arg(pybind11::handle ttl);

pybind11::str to_str(std::string_view bytes);
pybind11::bytes to_bytes(std::string_view bytes);
pybind11::list to_str_list(const std::vector<std::string>& items);

}  // namespace nadb::python
