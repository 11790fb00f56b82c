#pragma once
// A minimal Expected<T, E> with std::expected's member names: GCC 12 in C++20 mode has no
// <expected>. Holds either a value or an error; use it for outcomes a caller must handle
// (bad input, not found), never for bugs. Not thread-safe beyond what T and E are.

#include <utility>
#include <variant>

namespace molvault {

template <class E>
class Unexpected {
public:
    explicit Unexpected(E error) : error_(std::move(error)) {}
    [[nodiscard]] E& error() & { return error_; }
    [[nodiscard]] E&& error() && { return std::move(error_); }

private:
    E error_;
};

template <class T, class E>
class Expected {
public:
    Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
    Expected(Unexpected<E> error)                                              // NOLINT
        : storage_(std::in_place_index<1>, std::move(error).error()) {}

    [[nodiscard]] bool has_value() const { return storage_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    [[nodiscard]] T& value() & { return std::get<0>(storage_); }
    [[nodiscard]] const T& value() const& { return std::get<0>(storage_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(storage_)); }
    [[nodiscard]] const E& error() const& { return std::get<1>(storage_); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, E> storage_;
};

}  // namespace molvault
