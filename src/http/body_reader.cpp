#include "http/body_reader.hpp"

namespace molvault::http {
namespace {

ErrorCode error_code(BodyReadError::Reason reason) {
    return reason == BodyReadError::Reason::kTooLarge ? ErrorCode::kPayloadTooLarge
                                                      : ErrorCode::kBadRequest;
}

std::string message(BodyReadError::Reason reason) {
    switch (reason) {
        case BodyReadError::Reason::kTooLarge:
            return "The request body is too large";
        case BodyReadError::Reason::kMalformed:
            return "The request body is not valid HTTP/1.1 chunked encoding";
        case BodyReadError::Reason::kTimedOut:
            return "The request body did not arrive in time";
        case BodyReadError::Reason::kDisconnected:
            return "The request body is incomplete";
    }
    return "The request body could not be read";
}

}  // namespace

BodyReadError::BodyReadError(Reason reason)
    : Error(error_code(reason), message(reason)), reason_(reason) {}

const char* reason_name(BodyReadError::Reason reason) {
    switch (reason) {
        case BodyReadError::Reason::kTooLarge:
            return "too_large";
        case BodyReadError::Reason::kMalformed:
            return "malformed";
        case BodyReadError::Reason::kTimedOut:
            return "timed_out";
        case BodyReadError::Reason::kDisconnected:
            return "disconnected";
    }
    return "unknown";
}

BodyInputStream::BodyInputStream(BodyReader& reader) : std::istream(nullptr), buffer_(reader) {
    rdbuf(&buffer_);
    exceptions(std::ios::badbit);
}

BodyInputStream::Buffer::int_type BodyInputStream::Buffer::underflow() {
    if (gptr() < egptr()) {
        return traits_type::to_int_type(*gptr());
    }
    auto piece = reader_.read_some();
    if (!piece) {
        return traits_type::eof();
    }
    piece_ = std::move(*piece);
    setg(piece_.data(), piece_.data(), piece_.data() + piece_.size());
    return traits_type::to_int_type(*gptr());
}

}  // namespace molvault::http
