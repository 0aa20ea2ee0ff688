// azmaps-lro: the protocol decisions of one member of the Azure LRO family, as named steps.
//
// The machine (operation.hpp) owns time, retries, limits, URLs and origins; a *policy*
// answers the questions that differ between members of the family:
//   1. which header names the status monitor       (monitor_from_submit / monitor_from_status)
//   2. how to read a status answer                 (classify_status, version_evidence)
//   3. where the final resource is                 (final_resource)
//   4. which HTTP codes mean what                  (is_status_answer, is_retryable, ...)
// Azure Resource Manager (`Azure-AsyncOperation`, `provisioningState`, final-state-via) or
// Azure.Core (`result`) would be new policies beside `creator_policy`, not a rewrite.
#ifndef AZMAPS_LRO_POLICY_HPP
#define AZMAPS_LRO_POLICY_HPP

#include <cstdint>
#include <string_view>

#include "detail/json.hpp"
#include "options.hpp"
#include "response.hpp"

namespace azmaps::lro {

/// What a status answer says about the operation.
enum class status_kind : std::uint8_t { in_progress, succeeded, failed, canceled };

/// Where a URL came from: a header (cleaned: trimmed, unquoted) or a JSON string.
struct url_source {
    enum class from : std::uint8_t { none, header, body } kind = from::none;
    std::string_view header_value;  ///< kind == header
    detail::json_field body_value;  ///< kind == body (raw, maybe escaped)
    std::string_view name;          ///< which header or field, for failure details
};

/// Azure Maps Creator, v1 and v2 (PROTOCOL.md sections 1-3, 5 and 10.16).
struct creator_policy {
    /// Identifies the policy inside resume tokens; never reused.
    static constexpr std::uint8_t token_id = 1;

    // --- step 1: the monitor ------------------------------------------------------------
    struct monitor_choice {
        const std::string_view* value = nullptr; ///< nullptr: no monitor header
        protocol_version evidence = protocol_version::unknown;
        std::string_view name;
    };

    /// On a 200/201/202 submit answer. `Operation-Location` is preferred (v2; on 200, 201 or
    /// 202); `Location` names a monitor only on 202 (v1), because on 201 it names the
    /// created resource. A pinned version follows only its own header.
    static monitor_choice monitor_from_submit(int code, header_span h, protocol_version pin) noexcept {
        if (pin != protocol_version::v1)
            if (const std::string_view* v = find_header(h, "Operation-Location"))
                return {v, protocol_version::v2, "Operation-Location"};
        if (pin != protocol_version::v2 && code == 202)
            if (const std::string_view* v = find_header(h, "Location"))
                return {v, protocol_version::v1, "Location"};
        return {};
    }

    /// On an in-progress status answer: a new `Operation-Location` becomes the monitor.
    /// Decision (docs/decisions.md): a pinned v1 never follows `Operation-Location`.
    static const std::string_view* monitor_from_status(header_span h, protocol_version pin) noexcept {
        return pin == protocol_version::v1 ? nullptr : find_header(h, "Operation-Location");
    }

    // --- step 2: reading a status answer --------------------------------------------------
    /// Case-insensitive; unknown values mean "still in progress" (PROTOCOL.md section 5).
    static status_kind classify_status(const detail::json_field& status) noexcept {
        using detail::json_string_iequals;
        if (json_string_iequals(status, "Succeeded")) return status_kind::succeeded;
        if (json_string_iequals(status, "Failed")) return status_kind::failed;
        if (json_string_iequals(status, "Canceled") || json_string_iequals(status, "Cancelled"))
            return status_kind::canceled;
        return status_kind::in_progress;
    }

    /// `created` means v2, `createdDateTime` v1; nothing fails because both appear.
    static protocol_version version_evidence(const detail::status_fields& f) noexcept {
        if (f.created.kind == detail::json_kind::string) return protocol_version::v2;
        if (f.created_date_time.kind == detail::json_kind::string) return protocol_version::v1;
        return protocol_version::unknown;
    }

    /// The creation time field, preferring the one of the reported version.
    static const detail::json_field* created_field(const detail::status_fields& f, protocol_version v) noexcept {
        const bool v2_first = v != protocol_version::v1;
        const detail::json_field* first = v2_first ? &f.created : &f.created_date_time;
        const detail::json_field* second = v2_first ? &f.created_date_time : &f.created;
        if (first->kind == detail::json_kind::string) return first;
        if (second->kind == detail::json_kind::string) return second;
        return nullptr;
    }

    // --- step 3: the final resource --------------------------------------------------------
    /// `Resource-Location` (read in both versions), else `Location` on 201, else the body's
    /// `resourceLocation`.
    static url_source final_resource(int code, header_span h, const detail::status_fields* body) noexcept {
        url_source s;
        const std::string_view* v = find_header(h, "Resource-Location");
        s.name = "Resource-Location";
        if (v == nullptr && code == 201) {
            v = find_header(h, "Location");
            s.name = "Location";
        }
        if (v != nullptr) {
            s.kind = url_source::from::header;
            s.header_value = *v;
        } else if (body != nullptr && body->resource_location.kind == detail::json_kind::string) {
            s.kind = url_source::from::body;
            s.body_value = body->resource_location;
            s.name = "resourceLocation";
        } else {
            s.name = {};
        }
        return s;
    }

    // --- step 4: HTTP codes ----------------------------------------------------------------
    /// On the monitor, 200, 201 and 202 carry a status body (PROTOCOL.md 10.4).
    static constexpr bool is_status_answer(int code) noexcept { return code == 200 || code == 201 || code == 202; }
    /// Submit answers that mean "accepted" or "done at once".
    static constexpr bool is_submit_accepted(int code) noexcept { return code == 200 || code == 201 || code == 202; }
    /// The service says it did not take the work: resubmitting is safe.
    static constexpr bool is_submit_throttled(int code) noexcept { return code == 429 || code == 503; }
    /// The work may have been taken: resubmit only if the caller opted in.
    static constexpr bool is_submit_ambiguous(int code) noexcept { return code == 500 || code == 502 || code == 504; }
    /// Poll and fetch answers worth retrying with the same GET.
    static constexpr bool is_retryable(int code) noexcept {
        return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
    }
    /// A resource fetch succeeds on any 2xx (PROTOCOL.md 10.9).
    static constexpr bool is_resource_ok(int code) noexcept { return code >= 200 && code <= 299; }

};

} // namespace azmaps::lro

#endif
