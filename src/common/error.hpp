#pragma once
// Request failures: thrown as molvault::Error with an ErrorCode and a message that is safe to
// show the client. http/problem.cpp is the one place that maps a code to an HTTP status.
// Bugs and infrastructure faults are other exception types and become a generic 500.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace molvault {

enum class ErrorCode {
    kBadRequest,    // malformed syntax (e.g. JSON that does not parse)
    kValidation,    // well-formed but invalid content; carries field errors
    kUnauthorized,  // missing or bad credentials
    kForbidden,     // authenticated but not allowed (CSRF, quota)
    kNotFound,      // absent, or owned by someone else
    kMethodNotAllowed,
    kConflict,  // uniqueness violation
    kPayloadTooLarge,
    kUnsupportedMediaType,
    kHeadersTooLarge,
    kRateLimited,
    kUnavailable,  // overloaded or a dependency is down; retry later
};

struct FieldError {
    FieldError(
        std::string field_name,
        std::string text,
        std::string reason = {},
        std::optional<int> atom = std::nullopt
    )
        : field(std::move(field_name)),
          message(std::move(text)),
          code(std::move(reason)),
          atom_index(atom) {}

    std::string field;
    std::string message;
    std::string code;               // a machine-readable reason (e.g. "valence"); may be empty
    std::optional<int> atom_index;  // for a structure: the 0-based atom RDKit blames
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, std::string message)
        : std::runtime_error(std::move(message)), code_(code) {}
    Error(ErrorCode code, std::string message, std::vector<FieldError> fields)
        : std::runtime_error(std::move(message)), code_(code), fields_(std::move(fields)) {}

    [[nodiscard]] ErrorCode code() const { return code_; }
    [[nodiscard]] const std::vector<FieldError>& fields() const { return fields_; }
    // For kRateLimited and kUnavailable: how long the client should wait.
    [[nodiscard]] std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }
    Error& with_retry_after(std::chrono::seconds delay) {
        retry_after_ = delay;
        return *this;
    }
    // Extra string members of the problem document (e.g. "existing_id" of a conflict). Keys
    // must not be standard problem members.
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& extensions() const {
        return extensions_;
    }
    Error& with_extension(std::string key, std::string value) {
        extensions_.emplace_back(std::move(key), std::move(value));
        return *this;
    }

private:
    ErrorCode code_;
    std::vector<FieldError> fields_;
    std::optional<std::chrono::seconds> retry_after_;
    std::vector<std::pair<std::string, std::string>> extensions_;
};

// Shorthand for a 422 with one field error.
inline Error validation_error(std::string field, std::string message) {
    return Error(
        ErrorCode::kValidation,
        "The request is invalid",
        {FieldError{std::move(field), std::move(message)}}
    );
}

}  // namespace molvault
