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
    result(T value) noexcept(std::is_nothrow_move_constructible<T>::value) : value_(std::move(value)) {}
    result(errc error) noexcept : error_(error == errc::ok ? errc::not_expected : error) {}

    bool has_value() const noexcept { return error_ == errc::ok; }
    explicit operator bool() const noexcept { return has_value(); }
    errc error() const noexcept { return error_; }

    T& value() & noexcept { return value_; }
    const T& value() const& noexcept { return value_; }
    T&& value() && noexcept { return std::move(value_); }
    T* operator->() noexcept { return &value_; }
    const T* operator->() const noexcept { return &value_; }
    T& operator*() & noexcept { return value_; }
    const T& operator*() const& noexcept { return value_; }

private:
    T value_{};
    errc error_ = errc::ok;
};

} // namespace azmaps::lro

#endif
