// azmaps-lro: test vectors (VECTORS.md, docs/vectors.md) -- load, run, render, compare.
//
// A vector is a recorded exchange plus the actions a correct machine answers it with. This
// library is shared by `lro-replay` and the in-process GoogleTest runner, so both read the
// same files the same way. Nothing here throws out of the API: a malformed file is a
// `load_result` with an error message that names the file and the reason.
#ifndef AZMAPS_LRO_TOOLS_REPLAY_VECTOR_HPP
#define AZMAPS_LRO_TOOLS_REPLAY_VECTOR_HPP

#include <azmaps/lro.hpp>
#include <azmaps/lro/azure_policy.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace azmaps::lro::vectors {

/// What one step feeds the machine.
enum class step_kind {
    response,        ///< `"response": {...}`
    transport_error, ///< `"transport_error": "connection_reset"`
    cancel,          ///< `"cancel": true`
    resume,          ///< `"resume": true`: save(), then resume() from the token (extension)
    resume_token,    ///< `"resume_token": "..."`: resume() from this text (extension)
};

struct step {
    step_kind kind = step_kind::response;
    std::int64_t now_ms = 0;
    std::optional<std::int64_t> wall_ms;
    // response
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // transport_error
    lro::transport_error error = lro::transport_error::other;
    // resume / resume_token
    std::string token;
    std::optional<lro::options> resume_options; ///< `"options"` on a resume step
    std::string trusted_origin;                 ///< `"trusted_origin"` on a resume step
    bool has_trusted_origin = false;            ///< the key was given (even as "": origin_required)
};

/// Which policy runs the vector (`"protocol"`, default maps).
enum class protocol {
    maps,  ///< `basic_operation<creator_policy>` (PROTOCOL.md)
    azure, ///< `basic_operation<azure_policy>` (FAMILY.md)
};

/// A parsed vector file.
struct vector_file {
    std::string path;        ///< as given to load_file
    std::string name;        ///< the file stem
    std::string description;
    vectors::protocol protocol = vectors::protocol::maps;
    std::string method;
    std::string url;
    lro::options opts;
    std::vector<step> steps;
    std::vector<nlohmann::ordered_json> expect; ///< one object per step, keys in file order
    bool has_expect = false; ///< false only when loaded with `expect_required::no` and absent
};

/// Whether a vector must carry `expect`: `lro-replay FILE` replays a capture that has none,
/// `--check` and the tests need it.
enum class expect_required { yes, no };

/// A vector or the reason it could not be read. `error` always starts with the path.
struct load_result {
    std::optional<vector_file> vector;
    std::string error;
    explicit operator bool() const noexcept { return vector.has_value(); }
};

/// Reads and validates a vector file. Never throws.
load_result load_file(const std::string& path, expect_required need = expect_required::yes);

/// Parses vector text (`path` is used for messages and the name). Never throws.
load_result load_text(const std::string& text, const std::string& path,
                      expect_required need = expect_required::yes);

/// Runs the vector through a fresh machine: one action object per step, with the keys in
/// the order of VECTORS.md. Never throws.
std::vector<nlohmann::ordered_json> run(const vector_file& v);

/// One action object as its compact JSON line (no trailing newline). Bytes that are not
/// valid UTF-8 are written as U+FFFD.
std::string to_line(const nlohmann::ordered_json& action);

/// Subset match: every key of `expected` is present in `actual` with an equal value; nested
/// objects are compared the same way, arrays and scalars exactly.
bool matches(const nlohmann::ordered_json& expected, const nlohmann::ordered_json& actual);

/// The outcome of checking one vector.
struct check_result {
    bool passed = false;
    std::string message; ///< `PASS name` or `FAIL name: step N: expected ... got ...`
};

/// Runs `v` and compares against its `expect`, stopping at the first mismatch. A vector
/// without `expect` fails with a message saying so.
check_result check(const vector_file& v);

/// Loads and checks a file; a malformed file is a failure whose message names it.
check_result check_file(const std::string& path);

} // namespace azmaps::lro::vectors

#endif
