// azmaps-lro: the OData error model carried by a failed operation (PROTOCOL.md section 6).
#ifndef AZMAPS_LRO_ODATA_ERROR_HPP
#define AZMAPS_LRO_ODATA_ERROR_HPP

#include <string>
#include <vector>

namespace azmaps::lro {

/// One entry of `error.details`. Missing fields stay empty.
struct odata_detail {
    std::string code;    ///< the detail's `code`
    std::string message; ///< the detail's `message`
    std::string target;  ///< the detail's `target`, when present
    friend bool operator==(const odata_detail& a, const odata_detail& b) {
        return a.code == b.code && a.message == b.message && a.target == b.target;
    }
    friend bool operator!=(const odata_detail& a, const odata_detail& b) { return !(a == b); }
};

/// `{"error": {"code", "message", "target"?, "details"?, "innererror"?}}`, unescaped.
/// `details` may arrive as an array or (as in the Creator documents) a single object; both
/// land here as a list. `innererror` is the chain of inner codes, outermost first, with
/// null codes skipped (PROTOCOL.md 10.15).
/// What is kept is bounded (detail/json.hpp, docs/decisions.md): at most 64 details and 64
/// innererror links, each string at most 4096 bytes (cut at a UTF-8 character boundary), all
/// strings together at most 64 KiB. `truncated` says that the server sent more than was kept.
struct odata_error {
    std::string code;                    ///< `error.code` (or the `x-ms-error-code` header alone)
    std::string message;                 ///< `error.message`
    std::string target;                  ///< `error.target`, when present
    std::vector<odata_detail> details;   ///< `error.details`, from an array or a single object
    std::vector<std::string> innererror; ///< inner codes, outermost first, null codes skipped
    /// A cap cut something: a string, the list of details or the innererror chain.
    bool truncated = false;
    friend bool operator==(const odata_error& a, const odata_error& b) {
        return a.code == b.code && a.message == b.message && a.target == b.target &&
               a.details == b.details && a.innererror == b.innererror && a.truncated == b.truncated;
    }
    friend bool operator!=(const odata_error& a, const odata_error& b) { return !(a == b); }
};

} // namespace azmaps::lro

#endif
