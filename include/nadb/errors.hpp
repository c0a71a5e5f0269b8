// Every error NADB reports is an exception derived from nadb::Error. A missing key is not an
// error: reads return std::nullopt.
#pragma once

#include <stdexcept>
#include <string>

namespace nadb {

enum class ErrorCode {
  InvalidArgument,
  IOError,
  Corruption,
  Locked,
  TransactionConflict,
  TransactionTimeout,
  BackendUnavailable,
  NotSupported,
  NotFound,
};

// Returns the code's name, e.g. "InvalidArgument".
const char* error_code_name(ErrorCode code) noexcept;

// Base of every NADB exception. what() says what was wrong; code() says which kind.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

#define NADB_DEFINE_ERROR(Name)                                                    \
  class Name : public Error {                                                      \
   public:                                                                         \
    explicit Name(const std::string& message) : Error(ErrorCode::Name, message) {} \
  };

// Bad input at the API edge (key, value, tag, name, TTL, option). Nothing was changed.
NADB_DEFINE_ERROR(InvalidArgument)
// A file-system call failed (the message names the call, the path and errno's text).
NADB_DEFINE_ERROR(IOError)
// Stored bytes failed a checksum or could not be decoded (the message names file and offset).
NADB_DEFINE_ERROR(Corruption)
// The db is held by another process (the message names the holder's pid).
NADB_DEFINE_ERROR(Locked)
// A Serializable transaction read a key that changed before it committed.
NADB_DEFINE_ERROR(TransactionConflict)
// A transaction was committed after Options::transaction_timeout.
NADB_DEFINE_ERROR(TransactionTimeout)
// The backend cannot be reached (e.g. Redis down); never reported as a missing key.
NADB_DEFINE_ERROR(BackendUnavailable)
// The operation is disabled by the options or not offered by this backend.
NADB_DEFINE_ERROR(NotSupported)
// Something that must exist does not (a backup id, a restore target).
NADB_DEFINE_ERROR(NotFound)

#undef NADB_DEFINE_ERROR

}  // namespace nadb
