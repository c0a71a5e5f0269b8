#include "nadb/errors.hpp"

namespace nadb {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::IOError:
      return "IOError";
    case ErrorCode::Corruption:
      return "Corruption";
    case ErrorCode::Locked:
      return "Locked";
    case ErrorCode::TransactionConflict:
      return "TransactionConflict";
    case ErrorCode::TransactionTimeout:
      return "TransactionTimeout";
    case ErrorCode::BackendUnavailable:
      return "BackendUnavailable";
    case ErrorCode::NotSupported:
      return "NotSupported";
    case ErrorCode::NotFound:
      return "NotFound";
  }
  return "Unknown";
}

}  // namespace nadb
