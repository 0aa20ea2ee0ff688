// azmaps-lro: error codes. Errors are values; the numbers are stable and never reused.
#ifndef AZMAPS_LRO_ERRC_HPP
#define AZMAPS_LRO_ERRC_HPP

#include <string>
#include <string_view>
#include <system_error>

namespace azmaps::lro {

/// Why the machine refused a call. A refused call changes nothing (PROTOCOL.md 10.3).
/// Three families, kept apart on purpose (h11): caller misuse (1-19), bad arguments at
/// construction (20-39), resume tokens (40-59). Operation *outcomes* (a failed operation) are
/// not errors of the API: they are `failure_reason`s inside a `failed` action.
enum class errc : int {
    ok = 0,
    terminal = 1,        ///< input after a terminal action
    not_expected = 2,    ///< an answer while no request is outstanding (idle machine)
    clock_backwards = 3, ///< `now` earlier than the previous input's

    bad_submit_url = 20, ///< the submit URL is not an absolute http(s) URL (see url rules)
    bad_method = 21,     ///< empty method, or one with bytes outside the HTTP token set
    bad_option = 22,     ///< an allowed_origins or add_query entry is unusable

    nothing_to_save = 40,      ///< save() before the submit was accepted, or after the end
    token_corrupt = 41,        ///< not a token, bad encoding, or checksum mismatch
    token_truncated = 42,      ///< the token ends early
    token_unsupported = 43,    ///< a token from a newer format or another policy
    token_origin_refused = 44, ///< the token names another origin than the caller gave, or one of its URLs breaks the origin rules
    origin_required = 45,      ///< resume() was not given the submit URL or its origin
    submit_url_mismatch = 46,  ///< resume() was given another submit URL than the token was saved for
};

/// Stable lower-case name, as used in test vectors ("terminal", "not_expected", ...).
constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
    case errc::ok: return "ok";
    case errc::terminal: return "terminal";
    case errc::not_expected: return "not_expected";
    case errc::clock_backwards: return "clock_backwards";
    case errc::bad_submit_url: return "bad_submit_url";
    case errc::bad_method: return "bad_method";
    case errc::bad_option: return "bad_option";
    case errc::nothing_to_save: return "nothing_to_save";
    case errc::token_corrupt: return "token_corrupt";
    case errc::token_truncated: return "token_truncated";
    case errc::token_unsupported: return "token_unsupported";
    case errc::token_origin_refused: return "token_origin_refused";
    case errc::origin_required: return "origin_required";
    case errc::submit_url_mismatch: return "submit_url_mismatch";
    }
    return "unknown";
}

/// One sentence for humans.
constexpr std::string_view message(errc e) noexcept {
    switch (e) {
    case errc::ok: return "no error";
    case errc::terminal: return "the operation already ended; no further input is accepted";
    case errc::not_expected: return "no request is outstanding, so no answer was expected";
    case errc::clock_backwards: return "now is earlier than the previous input's now";
    case errc::bad_submit_url: return "the submit URL is not a usable absolute http or https URL";
    case errc::bad_method: return "the submit method is empty or not an HTTP token";
    case errc::bad_option: return "an allowed_origins or add_query entry is unusable";
    case errc::nothing_to_save: return "there is nothing to save before the submit was accepted or after the end";
    case errc::token_corrupt: return "the resume token is corrupt";
    case errc::token_truncated: return "the resume token is truncated";
    case errc::token_unsupported: return "the resume token is from a newer format or another protocol";
    case errc::token_origin_refused: return "the resume token names another origin than the caller's, or a URL in it breaks the origin rules";
    case errc::origin_required: return "resume needs the submit URL or its origin from the caller";
    case errc::submit_url_mismatch: return "the submit URL given to resume is not the one the token was saved for";
    }
    return "unknown error";
}

namespace detail {
class errc_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "azmaps.lro"; }
    std::string message(int ev) const override { return std::string(lro::message(static_cast<errc>(ev))); }
};
} // namespace detail

/// The `std::error_category` of `errc`, for callers who carry `std::error_code`s (Beast style).
inline const std::error_category& lro_category() noexcept {
    static const detail::errc_category category;
    return category;
}

/// `std::error_code` for `e` in `lro_category()`; found by ADL, so `std::error_code ec = errc::...;` works.
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), lro_category()}; }

} // namespace azmaps::lro

template <>
struct std::is_error_code_enum<azmaps::lro::errc> : std::true_type {};

#endif
