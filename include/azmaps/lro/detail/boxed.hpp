// azmaps-lro: an optional heap value with value semantics (deep copy), one pointer wide.
#ifndef AZMAPS_LRO_DETAIL_BOXED_HPP
#define AZMAPS_LRO_DETAIL_BOXED_HPP

#include <memory>
#include <utility>

namespace azmaps::lro::detail {

/// Why: a failed operation's parsed error is rare and large; boxing it keeps the machine
/// small while copies of the machine stay independent.
template <class T>
class boxed {
public:
    boxed() noexcept = default;
    boxed(const boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
    boxed(boxed&&) noexcept = default;
    boxed& operator=(const boxed& o) {
        if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
        return *this;
    }
    boxed& operator=(boxed&&) noexcept = default;
    boxed& operator=(std::unique_ptr<T> p) noexcept {
        p_ = std::move(p);
        return *this;
    }
    ~boxed() = default;

    T* get() const noexcept { return p_.get(); }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    void reset() noexcept { p_.reset(); }

private:
    std::unique_ptr<T> p_;
};

} // namespace azmaps::lro::detail

#endif
