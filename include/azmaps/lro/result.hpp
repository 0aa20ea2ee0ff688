// azmaps-lro: a value or an error code, for calls that can be refused (no exceptions).
#ifndef AZMAPS_LRO_RESULT_HPP
#define AZMAPS_LRO_RESULT_HPP

#include <utility>

#include "errc.hpp"

namespace azmaps::lro {

/// Either a `T` or an `errc`. Check `has_value()` (or `if (r)`) before `value()`; reading the
/// value of an error result gives a default-constructed `T`, never undefined behaviour.
template <class T>
class result {
public:
    /// A result holding `value`.
    result(T value) noexcept(std::is_nothrow_move_constructible<T>::value) : value_(std::move(value)) {}
    /// A refused result. `errc::ok` is not an error and becomes `errc::not_expected`.
    result(errc error) noexcept : error_(error == errc::ok ? errc::not_expected : error) {}

    /// True when the call succeeded and `value()` is meaningful.
    bool has_value() const noexcept { return error_ == errc::ok; }
    /// Same as `has_value()`.
    explicit operator bool() const noexcept { return has_value(); }
    /// `errc::ok` on success, otherwise why the call was refused.
    errc error() const noexcept { return error_; }

    /// The value (a default-constructed `T` for an error result).
    T& value() & noexcept { return value_; }
    /// The value (a default-constructed `T` for an error result).
    const T& value() const& noexcept { return value_; }
    /// The value, moved out (a default-constructed `T` for an error result).
    T&& value() && noexcept { return std::move(value_); }
    /// Member access to the value.
    T* operator->() noexcept { return &value_; }
    /// Member access to the value.
    const T* operator->() const noexcept { return &value_; }
    /// The value.
    T& operator*() & noexcept { return value_; }
    /// The value.
    const T& operator*() const& noexcept { return value_; }

private:
    T value_{};
    errc error_ = errc::ok;
};

} // namespace azmaps::lro

#endif
