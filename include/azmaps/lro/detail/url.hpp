// azmaps-lro: URL text, RFC 3986 reference resolution, origins and query parameters.
// PROTOCOL.md sections 8 and 10.10-10.12, 10.20.
//
// Decisions (where PROTOCOL.md is silent):
//  - clean_header_url trims spaces and tabs (trim_ows, ascii.hpp), then drops one pair of surrounding double quotes;
//    it does not trim again inside the quotes (`" x "` keeps its spaces and is then refused).
//  - check_absolute_url reports the first problem in this order: empty, too_long, bad_char,
//    bad_scheme, no_host (no "//" authority, or an empty host), user_info, malformed, bad_port.
//  - The scheme must be followed by "//": `https:foo` has no authority, hence no_host.
//  - A host is an IP-literal `[...]` (hex digits, letters, digits, ':', '.', '%', '-', '_', '~')
//    or a reg-name of RFC 3986 characters (ALPHA DIGIT - . _ ~ % ! $ & ' ( ) * + , ; =).
//    Anything else in the host (a backslash, a byte >= 0x80, '[' inside a name, ...) is
//    `malformed`, so that no HTTP stack can read a different host than we do.
//    Hosts are compared as text (case-insensitively): no percent-decoding, no IDNA, no
//    trailing-dot folding. A host spelled differently is another origin (fails closed).
//  - A port is 1*DIGIT (leading zeros allowed, "0443" is 443) with a value in 1..65535;
//    an empty port after ':' means the default port.
//  - Paths, queries and fragments may hold any byte > 0x20 other than 0x7F (braces, '|',
//    bytes >= 0x80, ...): they are not validated beyond that, nor normalised (10.20).
//  - A reference whose first segment holds a ':' but does not start with a valid scheme
//    (`1x:y`, `:y`) is `malformed` (RFC 3986 §4.2).
//  - A resolved target without an authority is no_host even when dot-segment removal made its
//    path start with "//" (`https:/.//evil.com` does not become `https://evil.com`).
//  - The fragment of a reference is kept in the resolved URL (RFC 3986 §5.2.2); the caller
//    may strip it.
//  - The query is the text between the first '?' and the first '#' (RFC 3986 3.4), and only
//    url_query finds it: a '?' inside the fragment starts no query (`https://h/x#y?a=1` has
//    none). Query names compare exactly and are not percent-decoded.
//  - has_query_param and query_param_value with an empty name are false / empty.
//  - append_query_param always writes `name=value` (`name=` when the value is empty).
#ifndef AZMAPS_LRO_DETAIL_URL_HPP
#define AZMAPS_LRO_DETAIL_URL_HPP

#include "ascii.hpp"
#include "bits.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define AZMAPS_LRO_URL_SSE2 1
#else
#define AZMAPS_LRO_URL_SSE2 0
#endif
// The scans below are constexpr (check_absolute_url is usable in constant expressions); at run
// time they take 16 bytes at a time with SSE2 where the compiler can tell the two apart.
#if defined(__has_builtin)
#if __has_builtin(__builtin_is_constant_evaluated)
#define AZMAPS_LRO_URL_AT_RUNTIME() (!__builtin_is_constant_evaluated())
#endif
#endif
#if !defined(AZMAPS_LRO_URL_AT_RUNTIME) || !AZMAPS_LRO_URL_SSE2
#undef AZMAPS_LRO_URL_AT_RUNTIME
#define AZMAPS_LRO_URL_AT_RUNTIME() false
#endif

namespace azmaps::lro::detail {

enum class url_error : std::uint8_t {
    none = 0,
    empty,      ///< nothing left after trimming / unquoting
    bad_char,   ///< a byte <= 0x20 or 0x7F
    bad_scheme, ///< not http/https, or no scheme after resolution
    user_info,  ///< '@' in the authority
    no_host,    ///< no authority, or an empty host
    bad_port,   ///< a port that is not 1*DIGIT in 1..65535
    too_long,   ///< longer than the caller's maximum
    malformed,  ///< anything else (bad characters in the host, a bad scheme prefix in a reference)
};

constexpr std::string_view to_string(url_error e) noexcept {
    switch (e) {
    case url_error::none: return "none";
    case url_error::empty: return "empty";
    case url_error::bad_char: return "bad_char";
    case url_error::bad_scheme: return "bad_scheme";
    case url_error::user_info: return "user_info";
    case url_error::no_host: return "no_host";
    case url_error::bad_port: return "bad_port";
    case url_error::too_long: return "too_long";
    case url_error::malformed: return "malformed";
    }
    return "malformed";
}

/// PROTOCOL.md 10.11: trim spaces and tabs, then drop one pair of surrounding double quotes.
/// No validation.
inline std::string_view clean_header_url(std::string_view v) noexcept {
    v = trim_ows(v);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
}

/// True when a byte is refused anywhere in a URL: <= 0x20 (controls, space) or 0x7F.
constexpr bool is_bad_url_byte(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
}

namespace url_impl {
#if AZMAPS_LRO_URL_SSE2

inline bool has_bad_byte_sse2(std::string_view s) noexcept {
    const char* p = s.data();
    std::size_t n = s.size();
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F);
    for (; n >= 16; p += 16, n -= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, space), x), _mm_cmpeq_epi8(x, del)); // <= 0x20 or 0x7F
        if (_mm_movemask_epi8(bad) != 0) return true;
    }
    for (; n > 0; ++p, --n)
        if (is_bad_url_byte(*p)) return true;
    return false;
}

/// Index of the first byte of s equal to a, b, c or d; s.size() when none.
inline std::size_t find_any_sse2(std::string_view s, char a, char b, char c, char d) noexcept {
    std::size_t i = 0;
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c), vd = _mm_set1_epi8(d);
    for (; s.size() - i >= 16; i += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                         _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vd)));
        const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(hit));
        if (m != 0) return i + lowest_bit(m);
    }
    for (; i < s.size(); ++i)
        if (s[i] == a || s[i] == b || s[i] == c || s[i] == d) return i;
    return i;
}
#endif
} // namespace url_impl

constexpr bool has_bad_url_byte(std::string_view s) noexcept {
#if AZMAPS_LRO_URL_SSE2
    if (AZMAPS_LRO_URL_AT_RUNTIME()) return url_impl::has_bad_byte_sse2(s);
#endif
    for (char c : s)
        if (is_bad_url_byte(c)) return true;
    return false;
}

/// Index of the first byte of s equal to a, b, c or d (repeat one to look for fewer); s.size() when none.
constexpr std::size_t find_any_of(std::string_view s, char a, char b, char c, char d) noexcept {
#if AZMAPS_LRO_URL_SSE2
    if (AZMAPS_LRO_URL_AT_RUNTIME()) return url_impl::find_any_sse2(s, a, b, c, d);
#endif
    std::size_t i = 0;
    while (i < s.size() && s[i] != a && s[i] != b && s[i] != c && s[i] != d) ++i;
    return i;
}

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// RFC 3986 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
constexpr bool is_valid_scheme(std::string_view s) noexcept {
    if (s.empty() || !is_alpha(s[0])) return false;
    for (char c : s)
        if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) return false;
    return true;
}

/// The five components of a URI reference (RFC 3986 Appendix B), as views into the text.
struct uri_parts {
    std::string_view scheme, authority, path, query, fragment;
    bool has_scheme = false, has_authority = false, has_query = false, has_fragment = false;
};

/// Splits a URI reference. False when the text before the first ':' (that comes before any
/// '/', '?' or '#') is not a valid scheme: such text is neither an absolute URI nor a
/// relative reference (RFC 3986 §4.2). Never fails otherwise.
constexpr bool split_uri(std::string_view s, uri_parts& p) noexcept {
    p = uri_parts{};
    std::size_t i = 0;
    for (; i < s.size(); ++i) { // the scheme is short: byte by byte
        const char c = s[i];
        if (c == ':' || c == '/' || c == '?' || c == '#') break;
    }
    if (i < s.size() && s[i] == ':') {
        if (!is_valid_scheme(s.substr(0, i))) return false;
        p.has_scheme = true;
        p.scheme = s.substr(0, i);
        s.remove_prefix(i + 1);
    }
    if (s.size() >= 2 && s[0] == '/' && s[1] == '/') {
        s.remove_prefix(2);
        const std::size_t j = find_any_of(s, '/', '?', '#', '#');
        p.has_authority = true;
        p.authority = s.substr(0, j);
        s.remove_prefix(j);
    }
    const std::size_t j = find_any_of(s, '?', '#', '#', '#');
    p.path = s.substr(0, j);
    s.remove_prefix(j);
    if (!s.empty() && s[0] == '?') {
        s.remove_prefix(1);
        const std::size_t k = find_any_of(s, '#', '#', '#', '#');
        p.has_query = true;
        p.query = s.substr(0, k);
        s.remove_prefix(k);
    }
    if (!s.empty() && s[0] == '#') {
        p.has_fragment = true;
        p.fragment = s.substr(1);
    }
    return true;
}

constexpr bool is_reg_name_char(char c) noexcept {
    if (is_alpha(c) || is_digit(c)) return true;
    switch (c) {
    case '-': case '.': case '_': case '~': case '%':
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
        return true;
    default:
        return false;
    }
}

constexpr bool is_ip_literal_char(char c) noexcept {
    return is_alpha(c) || is_digit(c) || c == ':' || c == '.' || c == '%' || c == '-' || c == '_' ||
           c == '~';
}

/// Splits an authority (already known to hold no '@') into host and port.
/// port_out is 0 when absent or empty.
constexpr url_error split_authority(std::string_view auth, std::string_view& host,
                                    std::uint16_t& port_out) noexcept {
    host = {};
    port_out = 0;
    std::string_view port_text;
    bool has_port = false;
    if (!auth.empty() && auth[0] == '[') {
        const std::size_t close = auth.find(']');
        if (close == std::string_view::npos) return url_error::malformed;
        if (close == 1) return url_error::no_host;
        for (std::size_t i = 1; i < close; ++i)
            if (!is_ip_literal_char(auth[i])) return url_error::malformed;
        host = auth.substr(0, close + 1);
        const std::string_view rest = auth.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return url_error::malformed;
            has_port = true;
            port_text = rest.substr(1);
        }
    } else {
        const std::size_t colon = auth.find(':');
        host = auth.substr(0, colon == std::string_view::npos ? auth.size() : colon);
        if (colon != std::string_view::npos) {
            has_port = true;
            port_text = auth.substr(colon + 1);
        }
        if (host.empty()) return url_error::no_host;
        for (char c : host)
            if (!is_reg_name_char(c)) return url_error::malformed;
    }
    if (has_port && !port_text.empty()) {
        std::uint32_t v = 0;
        for (char c : port_text) {
            if (!is_digit(c)) return url_error::bad_port;
            v = v * 10u + static_cast<std::uint32_t>(c - '0');
            if (v > 65535u) return url_error::bad_port;
        }
        if (v == 0) return url_error::bad_port;
        port_out = static_cast<std::uint16_t>(v);
    }
    return url_error::none;
}

/// An absolute http(s) URL taken apart. `port` is explicit (default filled in).
struct absolute_url_parts {
    std::string_view scheme, host, path, query, fragment;
    std::uint16_t port = 0;
    bool has_query = false, has_fragment = false;
};

/// Validates an absolute http/https URL and takes it apart (see check_absolute_url).
constexpr url_error parse_absolute_url(std::string_view url, std::size_t max_len,
                                       absolute_url_parts& out) noexcept {
    out = absolute_url_parts{};
    if (url.empty()) return url_error::empty;
    if (url.size() > max_len) return url_error::too_long;
    if (has_bad_url_byte(url)) return url_error::bad_char;
    uri_parts p;
    if (!split_uri(url, p) || !p.has_scheme) return url_error::bad_scheme;
    const bool https = iequals(p.scheme, "https");
    if (!https && !iequals(p.scheme, "http")) return url_error::bad_scheme;
    if (!p.has_authority) return url_error::no_host;
    if (p.authority.find('@') != std::string_view::npos) return url_error::user_info;
    std::uint16_t port = 0;
    const url_error e = split_authority(p.authority, out.host, port);
    if (e != url_error::none) {
        out = absolute_url_parts{};
        return e;
    }
    out.scheme = p.scheme;
    out.port = port != 0 ? port : static_cast<std::uint16_t>(https ? 443 : 80);
    out.path = p.path;
    out.query = p.query;
    out.fragment = p.fragment;
    out.has_query = p.has_query;
    out.has_fragment = p.has_fragment;
    return url_error::none;
}

/// Validates an absolute http/https URL (see the decisions at the top of this file).
constexpr url_error check_absolute_url(std::string_view url, std::size_t max_len) noexcept {
    absolute_url_parts p;
    return parse_absolute_url(url, max_len, p);
}

/// RFC 3986 §5.2.4 remove_dot_segments: appends the result for `in` to `out`.
inline void remove_dot_segments(std::string_view in, std::string& out) {
    const std::size_t floor = out.size(); // never remove what was there before
    auto drop_last_segment = [&out, floor]() {
        std::size_t n = out.size();
        while (n > floor && out[n - 1] != '/') --n;
        if (n > floor) --n; // the '/' itself
        out.resize(n);
    };
    while (!in.empty()) {
        if (in.substr(0, 3) == "../") {
            in.remove_prefix(3);
        } else if (in.substr(0, 2) == "./" || in.substr(0, 3) == "/./") { // 5.2.4 A and B: drop "./" / "/."
            in.remove_prefix(2);
        } else if (in == "/.") {
            out.push_back('/');
            in = {};
        } else if (in.substr(0, 4) == "/../") {
            in.remove_prefix(3);
            drop_last_segment();
        } else if (in == "/..") {
            drop_last_segment();
            out.push_back('/');
            in = {};
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            std::size_t n = (in[0] == '/') ? 1 : 0;
            while (n < in.size() && in[n] != '/') ++n;
            out.append(in.data(), n);
            in.remove_prefix(n);
        }
    }
}

/// Pure RFC 3986 §5.2.2 (strict) resolution of `ref` against `base`, recomposed (§5.3) into
/// `out` (assigned). No validation of the result. False (and `out` cleared) only when `base`
/// or `ref` has an invalid scheme prefix (see split_uri).
inline bool resolve_reference(std::string_view base, std::string_view ref, std::string& out) {
    out.clear();
    uri_parts b, r;
    if (!split_uri(base, b) || !split_uri(ref, r)) return false;
    out.reserve(base.size() + ref.size() + 2);

    std::string_view scheme = b.scheme, authority = b.authority, query;
    bool has_scheme = b.has_scheme, has_authority = b.has_authority, has_query = false;
    enum class path_kind { ref_path, base_path, merged } kind = path_kind::ref_path;
    if (r.has_scheme) {
        scheme = r.scheme, has_scheme = true;
        authority = r.authority, has_authority = r.has_authority;
        query = r.query, has_query = r.has_query;
    } else if (r.has_authority) {
        authority = r.authority, has_authority = true;
        query = r.query, has_query = r.has_query;
    } else if (r.path.empty()) {
        kind = path_kind::base_path;
        if (r.has_query) query = r.query, has_query = true;
        else query = b.query, has_query = b.has_query;
    } else {
        kind = r.path[0] == '/' ? path_kind::ref_path : path_kind::merged;
        query = r.query, has_query = r.has_query;
    }

    if (has_scheme) out.append(scheme).push_back(':');
    if (has_authority) out.append("//").append(authority);
    switch (kind) {
    case path_kind::base_path:
        out.append(b.path);
        break;
    case path_kind::ref_path:
        remove_dot_segments(r.path, out);
        break;
    case path_kind::merged: {
        // §5.2.3 merge, then §5.2.4 on the merged path. The merged text is built after the
        // current end of `out` and then dot-removed in place of itself.
        const std::size_t start = out.size();
        if (b.has_authority && b.path.empty()) {
            out.push_back('/');
        } else {
            const std::size_t slash = b.path.rfind('/');
            if (slash != std::string_view::npos) out.append(b.path.substr(0, slash + 1));
        }
        out.append(r.path);
        const std::string merged = out.substr(start);
        out.resize(start);
        remove_dot_segments(merged, out);
        break;
    }
    }
    if (has_query) out.append("?").append(query);
    if (r.has_fragment) out.append("#").append(r.fragment);
    return true;
}

/// Resolves a (cleaned) header URL against the absolute URL of the request that produced the
/// answer, strictly (RFC 3986 §5.2.2), then validates the result with check_absolute_url.
/// `ref` is first refused when empty or when it holds a byte <= 0x20 or 0x7F. On an error
/// other than a failed final check, `out` is cleared; after a failed final check it holds
/// the resolved text. `parts`: on url_error::none, `out` taken apart (else reset).
inline url_error resolve_url(std::string_view base, std::string_view ref, std::size_t max_len,
                             std::string& out, absolute_url_parts& parts) {
    parts = absolute_url_parts{};
    if (ref.empty()) {
        out.clear();
        return url_error::empty;
    }
    if (has_bad_url_byte(ref)) {
        out.clear();
        return url_error::bad_char;
    }
    uri_parts b, r;
    if (!split_uri(ref, r)) {
        out.clear();
        return url_error::malformed;
    }
    if (!split_uri(base, b) || !resolve_reference(base, ref, out)) {
        out.clear();
        return url_error::bad_scheme;
    }
    const url_error e = parse_absolute_url(out, max_len, parts); // == check_absolute_url(out, max_len)
    // A target without an authority whose path became "//..." by dot-segment removal
    // (`https:/.//evil.com`) would re-parse with an authority: it has no host.
    const bool has_authority = r.has_authority || (!r.has_scheme && b.has_authority);
    if (e == url_error::none && !has_authority) {
        parts = absolute_url_parts{};
        return url_error::no_host;
    }
    return e;
}

inline url_error resolve_url(std::string_view base, std::string_view ref, std::size_t max_len,
                             std::string& out) {
    absolute_url_parts parts;
    return resolve_url(base, ref, max_len, out, parts);
}

/// False exactly when split_uri(s) fails: the text before the first ':' that comes before any
/// '/', '?' or '#' is not a valid scheme.
constexpr bool splits_as_uri(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '/' || c == '?' || c == '#') return true;
        if (c == ':') return is_valid_scheme(s.substr(0, i));
    }
    return true;
}

/// resolve_url without the copy in the common case, also taking the result apart.
/// When `ref` is itself a valid absolute http(s) URL (within max_len) whose path holds no "/."
/// (so no dot segment), its strict resolution against any base that splits is `ref` unchanged:
/// then `result` views `ref` and `out` is left alone. Otherwise `result` views `out`, which
/// resolve_url filled. The error is always resolve_url's; on url_error::none `parts` describes
/// `result` (views into it).
inline url_error resolve_url_view(std::string_view base, std::string_view ref, std::size_t max_len,
                                  std::string& out, std::string_view& result, absolute_url_parts& parts) {
    // RFC 3986 5.2.2 with a scheme in the reference: T = R with remove_dot_segments(R.path),
    // which is the identity on a path ("" or "/...") without "." or ".." segments.
    if (parse_absolute_url(ref, max_len, parts) == url_error::none &&
        parts.path.find("/.") == std::string_view::npos && splits_as_uri(base)) {
        result = ref;
        return url_error::none;
    }
    const url_error e = resolve_url(base, ref, max_len, out, parts);
    result = out;
    return e;
}

/// The origin of an absolute URL. Views into the URL, in its own case (compare with iequals).
struct origin {
    std::string_view scheme;
    std::string_view host;
    std::uint16_t port = 0;
};

/// False (and `out` reset) when `absolute_url` is not a valid absolute http(s) URL.
/// No length limit is applied here.
constexpr bool parse_origin(std::string_view absolute_url, origin& out) noexcept {
    absolute_url_parts p;
    if (parse_absolute_url(absolute_url, static_cast<std::size_t>(-1), p) != url_error::none) {
        out = origin{};
        return false;
    }
    out.scheme = p.scheme;
    out.host = p.host;
    out.port = p.port;
    return true;
}

/// Scheme and host compared case-insensitively, ports equal. An empty (unparsed) origin
/// equals nothing, not even another empty one.
constexpr bool same_origin(const origin& a, const origin& b) noexcept {
    return !a.scheme.empty() && !a.host.empty() && a.port == b.port && iequals(a.scheme, b.scheme) &&
           iequals(a.host, b.host);
}

/// An allow-list entry "scheme://host[:port]" (one trailing '/' tolerated; nothing else after
/// the authority, no user-info, no wildcards) against an origin. A malformed entry matches
/// nothing.
constexpr bool origin_matches(const origin& o, std::string_view allow_entry) noexcept {
    absolute_url_parts p;
    if (parse_absolute_url(allow_entry, static_cast<std::size_t>(-1), p) != url_error::none)
        return false;
    if (p.has_query || p.has_fragment || !(p.path.empty() || p.path == "/")) return false;
    const origin e{p.scheme, p.host, p.port};
    return same_origin(o, e);
}

/// Canonical origin text "scheme://host:port", lower case, port always explicit (assigned).
inline void origin_text(const origin& o, std::string& out) {
    out.clear();
    out.reserve(o.scheme.size() + o.host.size() + 9);
    for (char c : o.scheme) out.push_back(ascii_lower(c));
    out.append("://");
    for (char c : o.host) out.push_back(ascii_lower(c));
    out.push_back(':');
    char digits[5];
    std::size_t n = 0;
    unsigned v = o.port;
    do {
        digits[n++] = static_cast<char>('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < sizeof digits);
    while (n > 0) out.push_back(digits[--n]);
}

/// True when `text` == origin_text(o), without building it.
inline bool is_origin_text_of(const origin& o, std::string_view text) noexcept {
    const std::size_t ns = o.scheme.size(), nh = o.host.size();
    if (text.size() < ns + nh + 5) return false; // "://", ':' and at least one digit
    if (!equals_lowered(text.data(), o.scheme.data(), ns)) return false;
    std::size_t i = ns;
    if (text[i] != ':' || text[i + 1] != '/' || text[i + 2] != '/') return false;
    i += 3;
    if (!equals_lowered(text.data() + i, o.host.data(), nh)) return false;
    i += nh;
    if (text[i++] != ':') return false;
    char digits[5] = {};
    std::size_t n = 0;
    unsigned v = o.port;
    do {
        digits[n++] = static_cast<char>('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < sizeof digits);
    if (text.size() - i != n) return false;
    for (; n > 0; ++i)
        if (text[i] != digits[--n]) return false;
    return true;
}

/// The query of `url` (RFC 3986 section 3.4): the text between the first '?' that comes before
/// any '#', and the first '#'. A '?' inside the fragment starts no query. `found` is false when
/// there is no query at all ("x?" has an empty one). The one query reader: every other query
/// function here, and every caller, goes through it.
constexpr std::string_view url_query(std::string_view url, bool& found) noexcept {
    found = false;
    const std::size_t hash = url.find('#');
    const std::string_view head = url.substr(0, hash == std::string_view::npos ? url.size() : hash);
    const std::size_t q = head.find('?');
    if (q == std::string_view::npos) return {};
    found = true;
    return head.substr(q + 1);
}

/// Calls f(component, begin, end) for each '&'-separated component of `url`'s query (url_query),
/// empty components included, with [begin, end) its offsets in `url`; stops when f returns false.
template <class F>
constexpr void for_each_query_component(std::string_view url, F&& f) {
    bool found = false;
    const std::string_view q = url_query(url, found);
    if (!found) return;
    std::size_t pos = static_cast<std::size_t>(q.data() - url.data());
    const std::size_t end = pos + q.size();
    while (pos <= end) {
        std::size_t amp = url.find('&', pos);
        if (amp == std::string_view::npos || amp > end) amp = end;
        if (!f(url.substr(pos, amp - pos), pos, amp)) return;
        pos = amp + 1;
    }
}

/// The name of a query component: the text before its first '=', or all of it.
constexpr std::string_view query_component_name(std::string_view comp) noexcept {
    const std::size_t eq = comp.find('=');
    return comp.substr(0, eq == std::string_view::npos ? comp.size() : eq);
}

/// The raw value of the first query parameter of `url` named `name` (compared exactly), and
/// whether there is one (`found`). A bare `name` has an empty value. False for an empty name.
constexpr std::string_view query_param_value(std::string_view url, std::string_view name, bool& found) noexcept {
    found = false;
    if (name.empty()) return {};
    std::string_view value;
    for_each_query_component(url, [&](std::string_view comp, std::size_t, std::size_t) noexcept {
        if (query_component_name(comp) != name) return true;
        found = true;
        value = comp.size() > name.size() ? comp.substr(name.size() + 1) : std::string_view{};
        return false;
    });
    return value;
}

/// True when a '&'-separated component of the query has the name `name` (the text before its
/// first '=', or the whole component), compared exactly. False for an empty name.
constexpr bool has_query_param(std::string_view url, std::string_view name) noexcept {
    bool found = false;
    (void)query_param_value(url, name, found);
    return found;
}

/// Appends `name=value` to the query of `url`, before any fragment: '?' when there is no
/// query, '&' otherwise, nothing when the query is empty ("x?") or already ends in '&'.
inline void append_query_param(std::string& url, std::string_view name, std::string_view value) {
    bool has_query = false;
    const std::string_view q = url_query(url, has_query);
    const std::size_t hash = url.find('#');
    const std::size_t at = hash == std::string::npos ? url.size() : hash;
    std::string ins;
    ins.reserve(name.size() + value.size() + 2);
    if (!has_query) ins.push_back('?');
    else if (!q.empty() && q.back() != '&') ins.push_back('&'); // a '?' inside the query is data
    ins.append(name).push_back('=');
    ins.append(value);
    url.insert(at, ins);
}

} // namespace azmaps::lro::detail

#undef AZMAPS_LRO_URL_AT_RUNTIME
#undef AZMAPS_LRO_URL_SSE2

#endif
