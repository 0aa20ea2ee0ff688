// azmaps-lro: the Azure REST long-running-operation family -- Resource Manager (ARM) and
// Azure.Core (TypeSpec) -- as a policy of the same machine (docs/protocol.md, part 2).
//
// The caller chooses it explicitly: nothing detects Maps versus the family, because the same
// bytes mean opposite things (a Maps v1 `200 {"status":"Running"}` on a Location monitor is
// in progress; on an ARM Location monitor it is the finished result).
//
//   auto op = azmaps::lro::azure_operation::start("PUT", url, opts);   // then as usual
//
// How an operation is polled (its *strategy*) is chosen from the submit answer:
//   OL    `Operation-Location` monitor, JSON `status`            (Azure.Core)
//   AAO   `Azure-AsyncOperation` monitor, JSON `status`           (ARM)
//   LOC   `Location` monitor, HTTP code (202 = running), plus `properties.provisioningState`
//   BODY  the submit URL itself (PUT/PATCH), `properties.provisioningState`
//   DONE  nothing to poll: the submit answer decided
// and where the result is (the submit answer, a poll answer, the terminal status answer or
// its `result` member, or a final GET) by the final-result rules F1-F8.
#ifndef AZMAPS_LRO_AZURE_POLICY_HPP
#define AZMAPS_LRO_AZURE_POLICY_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "operation.hpp"
#include "policy.hpp"

namespace azmaps::lro {

/// Azure Resource Manager and Azure.Core long-running operations (FAMILY.md).
struct azure_policy {
    /// Identifies the policy inside resume tokens; never reused.
    static constexpr std::uint8_t token_id = 2;
    /// Body polling and the final GET of the original URL need the submit URL after the submit.
    static constexpr bool keeps_original_url = true;

    /// How the operation is polled, chosen from the submit answer (see the file comment):
    /// `ol` Operation-Location, `aao` Azure-AsyncOperation, `loc` Location, `body` the submit URL,
    /// `done` nothing to poll; `none` before the submit answer.
    enum class strategy : std::uint8_t { none = 0, ol = 1, aao = 2, loc = 3, body = 4, done = 5 };
    /// The submit's method, as far as the family rules care (`other` for any other method).
    enum class method_kind : std::uint8_t { other = 0, put = 1, patch = 2, post = 3, del = 4 };

    /// What the policy knows about the operation; travels in resume tokens (K8: strategy,
    /// method, final-state-via, whether a submit `Location` was kept).
    struct state {
        /// The polling strategy (`none` until the submit answer chose one).
        strategy how = strategy::none;
        /// The submit's method, which decides body polling and the final-result rules.
        method_kind method = method_kind::other;
        /// `options::final_state_via` at the start (FAMILY.md 3).
        final_state fsv = final_state::unset;
        /// True when a `Location` of the submit answer was kept beside an OL/AAO monitor (final rules F2/F7).
        bool has_location = false;
    };

    /// The state before the submit: the submit's method (compared case-sensitively) and
    /// `final_state_via`. Called once by the machine at construction.
    static state initial(const options& o, std::string_view method) noexcept {
        state s;
        s.fsv = o.final_state_via;
        // Methods are case-sensitive (RFC 9110 9.1): "put" is not PUT.
        if (method == "PUT") s.method = method_kind::put;
        else if (method == "PATCH") s.method = method_kind::patch;
        else if (method == "POST") s.method = method_kind::post;
        else if (method == "DELETE") s.method = method_kind::del;
        return s;
    }

    /// Appends the state to a resume token (four bytes: strategy, method, final-state-via,
    /// kept Location).
    static void save_state(const state& s, std::string& out) {
        out.push_back(static_cast<char>(s.how));
        out.push_back(static_cast<char>(s.method));
        out.push_back(static_cast<char>(s.fsv));
        out.push_back(static_cast<char>(s.has_location ? 1 : 0));
    }
    /// Reads back what save_state() wrote; false (the token is refused) on a value out of range.
    static bool load_state(detail::token_reader& in, state& s) noexcept {
        const std::uint8_t how = in.u8(), method = in.u8(), fsv = in.u8(), loc = in.u8();
        if (!in.ok() || how < 1 || how > 4 || method > 4 || fsv > 4 || loc > 1) return false;
        s.how = static_cast<strategy>(how);
        s.method = static_cast<method_kind>(method);
        s.fsv = static_cast<final_state>(fsv);
        s.has_location = loc == 1;
        return true;
    }
    /// Always 0: the family has no protocol version to put in the token's common header.
    static std::uint8_t token_version(const state&) noexcept { return 0; }
    /// Accepts only the version byte 0 written by token_version().
    static bool restore_version(state&, std::uint8_t v, const options&) noexcept { return v == 0; }
    /// Always `unknown`: protocol versions are a Maps notion.
    static protocol_version version(const state&) noexcept { return protocol_version::unknown; }
    /// The strategy to report in `observation::strategy`: "OL", "AAO", "LOC", "BODY", "DONE",
    /// or "" before the submit answer.
    static std::string_view strategy_name(const state& s) noexcept {
        switch (s.how) {
        case strategy::ol: return "OL";
        case strategy::aao: return "AAO";
        case strategy::loc: return "LOC";
        case strategy::body: return "BODY";
        case strategy::done: return "DONE";
        case strategy::none: break;
        }
        return "";
    }

    /// 500/502/504 or a transport error on the submit (the work may have been taken): PUT and
    /// DELETE are idempotent and resent unless `resubmit_idempotent` is off; POST and PATCH
    /// only with `resubmit_on_ambiguous` (FAMILY.md 4.22).
    static bool may_resend_ambiguous_submit(const state& s, const options& o) noexcept {
        const bool idempotent = s.method == method_kind::put || s.method == method_kind::del;
        return (idempotent && o.resubmit_idempotent) || o.resubmit_on_ambiguous;
    }

    // --- the submit answer: strategy rows S1-S9 ------------------------------------------------
    /// Reads the submit answer and chooses the strategy: a monitor header to poll
    /// (Operation-Location, Azure-AsyncOperation, Location), the submit URL itself (body
    /// polling), or done at once; keeps a `Location` for the final rules. Other codes end
    /// or resend the submit.
    static verdict on_submit(state& s, const answer& a, const options& o, detail::status_fields& f) noexcept {
        using k = verdict::kind;
        const int code = a.code;
        if (code != 200 && code != 201 && code != 202 && code != 204) // S1
            return policy_detail::unaccepted_submit(code, may_resend_ambiguous_submit(s, o));
        // The body is only peeked (4.23): what does not scan has no provisioningState.
        const body_read body = read_body(a, f);
        const detail::json_field state_word = body.object ? provisioning_state(f) : detail::json_field{};
        if ((code == 200 || code == 201) && state_word.kind == detail::json_kind::string) { // S2 (4.8)
            const status_kind sk = classify(state_word, o);
            if (sk != status_kind::in_progress) {
                s.how = strategy::done;
                verdict r = terminal(sk, result_source::submit, false);
                r.status_word = state_word;
                r.fields = &f;
                return r;
            }
        }
        const std::string_view* ol = present(a.headers, "Operation-Location");
        const std::string_view* aao = present(a.headers, "Azure-AsyncOperation");
        if (ol != nullptr || aao != nullptr) { // S3 (4.17)
            const bool use_aao = aao != nullptr && (ol == nullptr || s.fsv == final_state::azure_async_operation);
            s.how = use_aao ? strategy::aao : strategy::ol;
            verdict r = policy_detail::make(k::poll);
            r.url = use_aao ? policy_detail::header_source(aao, "Azure-AsyncOperation")
                            : policy_detail::header_source(ol, "Operation-Location");
            if (const std::string_view* loc = present(a.headers, "Location")) { // kept for F2/F7 (4.13)
                r.capture = policy_detail::header_source(loc, "Location");
                s.has_location = true;
            }
            return r;
        }
        if (const std::string_view* loc = present(a.headers, "Location")) { // S4
            s.how = strategy::loc;
            verdict r = policy_detail::make(k::poll);
            r.url = policy_detail::header_source(loc, "Location");
            return r;
        }
        if (code == 204) { // S5
            s.how = strategy::done;
            return policy_detail::make(k::succeed);
        }
        if (s.method == method_kind::put || s.method == method_kind::patch) {
            if ((code == 200 || code == 201) && !a.body.empty() && !body.json) // S6 (4.4)
                return policy_detail::make(k::protocol_error, a.body.size() > a.max_body_bytes
                                                                  ? "the submit body exceeds max_body_bytes, so its provisioningState cannot be read"
                                                                  : "the submit body is not valid JSON");
            if (code == 200 && state_word.kind != detail::json_kind::string) { // S7 (4.7)
                s.how = strategy::done;
                verdict r = policy_detail::make(k::succeed);
                r.source = result_source::submit;
                return r;
            }
            s.how = strategy::body; // S8: 200 in progress, 201 without a terminal state, 202
            verdict r = policy_detail::make(k::poll);
            r.url.kind = url_source::from::original;
            r.url.name = "submit";
            r.status_word = state_word;
            return r;
        }
        if (code == 202) // S9 (4.10)
            return policy_detail::make(k::protocol_error, "202 Accepted without a monitor header: nothing to poll");
        s.how = strategy::done; // S9: 200/201
        verdict r = policy_detail::make(k::succeed);
        r.source = result_source::submit;
        return r;
    }

    // --- a status answer: the tables of FAMILY.md section 2 ----------------------------------------
    /// Reads a poll answer with the table of the operation's strategy (FAMILY.md section 2):
    /// a status word for OL/AAO, the HTTP code for LOC, `provisioningState` for body polling.
    /// `f` is scratch space for the scan (the verdict points into it).
    static verdict on_status(state& s, const answer& a, const options& o, detail::status_fields& f) noexcept {
        switch (s.how) {
        case strategy::ol:
        case strategy::aao: return operation_status(s, a, o, f);
        case strategy::loc: return location_status(a, o, f);
        default: return body_status(a, o, f);
        }
    }

    // --- the final GET (4.18, 4.19) ----------------------------------------------------------------
    /// Reads the answer of the final GET (FAMILY.md 4.18, 4.19): 202 means not ready yet
    /// (poll it again), 204 succeeds without a body, another 2xx succeeds with this body as
    /// the result; other codes are retried or end the operation.
    static verdict on_final(state&, const answer& a, const options&) noexcept {
        using k = verdict::kind;
        if (a.code == 202) return policy_detail::make(k::not_ready);
        if (a.code == 204) return policy_detail::make(k::succeed);
        if (a.code >= 200 && a.code <= 299) {
            verdict r = policy_detail::make(k::succeed);
            r.source = result_source::final;
            return r;
        }
        return policy_detail::other_code(a.code);
    }

    // --- the steps, named ----------------------------------------------------------------------------

    /// Terminal words (4.1), ASCII case-insensitive; anything else is in progress.
    static status_kind classify(const detail::json_field& word, const options& o) noexcept {
        using detail::json_string_iequals;
        if (json_string_iequals(word, "Succeeded") || json_string_iequals(word, "Completed") || any_of(word, o.succeeded_words))
            return status_kind::succeeded;
        if (json_string_iequals(word, "Failed") || any_of(word, o.failed_words)) return status_kind::failed;
        if (json_string_iequals(word, "Canceled") || json_string_iequals(word, "Cancelled") || any_of(word, o.canceled_words))
            return status_kind::canceled;
        return status_kind::in_progress;
    }

    /// `properties.provisioningState` when it is a string; a non-object `properties` or a
    /// non-string value counts as absent (4.6). The last duplicate key wins.
    static detail::json_field provisioning_state(const detail::status_fields& f) noexcept {
        detail::json_field found;
        if (f.properties.kind != detail::json_kind::other || f.properties.raw.empty() || f.properties.raw.front() != '{')
            return found;
        detail::json_impl::for_each_member(f.properties.raw, [&found](std::string_view key, bool escaped, const detail::json_field& v) noexcept {
            if (detail::json_impl::key_is(key, escaped, "provisioningState")) found = v;
        });
        if (found.kind != detail::json_kind::string) found = detail::json_field{};
        return found;
    }

    /// A header counts as present when its trimmed, unquoted value is not empty.
    static const std::string_view* present(header_span h, std::string_view name) noexcept {
        const std::string_view* v = find_header(h, name);
        return v != nullptr && !detail::clean_header_url(*v).empty() ? v : nullptr;
    }

private:
    struct body_read {
        bool json = false;   ///< a valid JSON text within max_body_bytes
        bool object = false; ///< ... whose top-level value is an object (`f` holds its fields)
    };

    static body_read read_body(const answer& a, detail::status_fields& f) noexcept {
        body_read b;
        if (a.body.size() > a.max_body_bytes) return b;
        const detail::json_error je = detail::scan_status_body(a.body, f);
        b.object = je == detail::json_error::none;
        b.json = b.object || je == detail::json_error::not_object;
        return b;
    }

    static bool any_of(const detail::json_field& word, const std::vector<std::string>& words) noexcept {
        for (const std::string& w : words)
            if (detail::json_string_iequals(word, w)) return true;
        return false;
    }

    static verdict terminal(status_kind sk, result_source source, bool member) noexcept {
        using k = verdict::kind;
        if (sk == status_kind::failed) return policy_detail::make(k::operation_failed);
        if (sk == status_kind::canceled) return policy_detail::make(k::canceled);
        verdict r = policy_detail::make(k::succeed);
        r.source = source;
        r.member = member;
        return r;
    }

    /// OL / AAO: the operation resource's `status` (4.2, 4.3, 4.12).
    static verdict operation_status(const state& s, const answer& a, const options& o, detail::status_fields& f) noexcept {
        using k = verdict::kind;
        if (a.code == 204) return policy_detail::make(k::bad_answer, "a 204 status answer has no status body");
        if (a.code != 200 && a.code != 201 && a.code != 202) return policy_detail::other_code(a.code);
        if (a.body.size() > a.max_body_bytes) return policy_detail::make(k::bad_answer, "the status body exceeds max_body_bytes");
        if (const detail::json_error je = detail::scan_status_body(a.body, f); je != detail::json_error::none)
            return policy_detail::bad_json(je);
        if (f.status.kind != detail::json_kind::string || f.status.raw.empty())
            return policy_detail::make(k::bad_answer, "the status body has no status string (missing, null, not a string or empty)");
        const status_kind sk = classify(f.status, o);
        verdict r;
        if (sk == status_kind::in_progress) {
            r = policy_detail::make(k::poll);
            const bool aao = s.how == strategy::aao;
            const std::string_view name = aao ? "Azure-AsyncOperation" : "Operation-Location";
            if (const std::string_view* next = present(a.headers, name)) r.url = policy_detail::header_source(next, name);
        } else if (sk == status_kind::succeeded) {
            r = final_rules(s, a, o, f);
        } else {
            r = terminal(sk, result_source::status, false);
        }
        r.fields = &f;
        r.status_word = f.status;
        return r;
    }

    /// F1-F8: where the result of a succeeded OL/AAO operation is (FAMILY.md section 3).
    static verdict final_rules(const state& s, const answer& a, const options&, const detail::status_fields& f) noexcept {
        using k = verdict::kind;
        // The Location of F2/F7: the submit answer's, else the terminal status answer's (4.13).
        url_source location;
        if (s.has_location) {
            location.kind = url_source::from::location;
            location.name = "Location";
        } else {
            location = policy_detail::header_source(present(a.headers, "Location"), "Location");
        }
        const bool known = location.kind != url_source::from::none;
        const bool post = s.method == method_kind::post;
        const auto fetch = [](const url_source& u) noexcept {
            verdict r = policy_detail::make(k::fetch);
            r.url = u;
            return r;
        };
        url_source original;
        original.kind = url_source::from::original;
        original.name = "submit";
        if (s.method == method_kind::del) return policy_detail::make(k::succeed);                       // F1
        if (s.fsv == final_state::location && known) return fetch(location);                           // F2
        if ((s.fsv == final_state::azure_async_operation || s.fsv == final_state::operation_location) && post)
            return terminal(status_kind::succeeded, result_source::status, true);                      // F3
        if (s.fsv == final_state::original_uri) return fetch(original);                                // F4
        if (f.resource_location.kind == detail::json_kind::string) {                                    // F5
            url_source body;
            body.kind = url_source::from::body;
            body.body_value = f.resource_location;
            body.name = "resourceLocation";
            return fetch(body);
        }
        if (s.method == method_kind::put || s.method == method_kind::patch) return fetch(original);      // F6
        if (post && known) return fetch(location);                                                     // F7
        return terminal(status_kind::succeeded, result_source::status, true);                          // F8
    }

    /// LOC: HTTP-code semantics, with provisioningState deciding when present (4.6, 4.12, 4.23).
    static verdict location_status(const answer& a, const options& o, detail::status_fields& f) noexcept {
        using k = verdict::kind;
        if (a.code == 202) {
            verdict r = policy_detail::make(k::poll);
            r.url = policy_detail::header_source(present(a.headers, "Location"), "Location");
            return r;
        }
        if (a.code == 204) return policy_detail::make(k::succeed);
        if (a.code != 200 && a.code != 201) return policy_detail::other_code(a.code);
        const body_read body = read_body(a, f);
        const detail::json_field word = body.object ? provisioning_state(f) : detail::json_field{};
        if (word.kind != detail::json_kind::string) return terminal(status_kind::succeeded, result_source::poll, false);
        const status_kind sk = classify(word, o);
        verdict r = sk == status_kind::in_progress ? policy_detail::make(k::poll) : terminal(sk, result_source::poll, false);
        r.fields = &f;
        r.status_word = word;
        return r;
    }

    /// BODY: GET of the original URL; the resource's provisioningState (4.7).
    static verdict body_status(const answer& a, const options& o, detail::status_fields& f) noexcept {
        using k = verdict::kind;
        if (a.code == 202) return policy_detail::make(k::poll);
        if (a.code == 204) return policy_detail::make(k::succeed);
        if (a.code != 200 && a.code != 201) return policy_detail::other_code(a.code);
        if (a.body.size() > a.max_body_bytes) return policy_detail::make(k::bad_answer, "the resource body exceeds max_body_bytes");
        if (const detail::json_error je = detail::scan_status_body(a.body, f); je != detail::json_error::none)
            return policy_detail::bad_json(je);
        const detail::json_field word = provisioning_state(f);
        if (word.kind != detail::json_kind::string) return terminal(status_kind::succeeded, result_source::poll, false);
        const status_kind sk = classify(word, o);
        verdict r = sk == status_kind::in_progress ? policy_detail::make(k::poll) : terminal(sk, result_source::poll, false);
        r.fields = &f;
        r.status_word = word;
        return r;
    }
};

/// An Azure Resource Manager or Azure.Core operation.
using azure_operation = basic_operation<azure_policy>;

} // namespace azmaps::lro

#endif
