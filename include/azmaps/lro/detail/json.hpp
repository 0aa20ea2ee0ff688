// azmaps-lro: the library's own strict JSON scanner (RFC 8259) and the OData error parser
// (PROTOCOL.md sections 2, 6, 9, 10.14, 10.15).
//
// Single pass, no allocation, no recursion: nested containers are skipped with an explicit bit
// stack. Strings are scanned eight bytes at a time (SWAR) while they are plain ASCII. Every byte
// sequence is safe: nothing is read past the end of the input, and nesting is bounded by
// `max_depth` (at most `max_supported_depth`).
#ifndef AZMAPS_LRO_DETAIL_JSON_HPP
#define AZMAPS_LRO_DETAIL_JSON_HPP

#include "ascii.hpp"
#include "bits.hpp"
#include "../odata_error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if defined(__GNUC__)
#define AZMAPS_LRO_JSON_INLINE inline __attribute__((always_inline))
#define AZMAPS_LRO_JSON_NOINLINE __attribute__((noinline))
#else
#define AZMAPS_LRO_JSON_INLINE inline
#define AZMAPS_LRO_JSON_NOINLINE
#endif

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define AZMAPS_LRO_JSON_SSE2 1
#else
#define AZMAPS_LRO_JSON_SSE2 0
#endif

namespace azmaps::lro::detail {

enum class json_error : std::uint8_t {
    none = 0,
    empty,      ///< nothing but whitespace
    not_object, ///< a valid JSON text whose top-level value is not an object
    syntax,     ///< grammar error, control character in a string, end of input inside a value
    depth,      ///< nested deeper than max_depth
    bad_utf8,   ///< invalid UTF-8 inside a string (overlong, surrogate, > U+10FFFF, truncated, ...)
    bad_escape, ///< bad \ escape, bad \u hex digits, lone or mis-paired surrogate
    bad_number, ///< number outside the RFC 8259 grammar (leading zero, "1.", "-", ".5", "+1", "1e")
    trailing    ///< non-whitespace after the value
};

constexpr std::string_view to_string(json_error e) noexcept {
    switch (e) {
    case json_error::none: return "none";
    case json_error::empty: return "empty";
    case json_error::not_object: return "not_object";
    case json_error::syntax: return "syntax";
    case json_error::depth: return "depth";
    case json_error::bad_utf8: return "bad_utf8";
    case json_error::bad_escape: return "bad_escape";
    case json_error::bad_number: return "bad_number";
    case json_error::trailing: return "trailing";
    }
    return "unknown";
}

/// Deepest nesting the scanner supports; a larger `max_depth` argument is treated as this.
inline constexpr int max_supported_depth = 4096;

enum class json_kind : std::uint8_t { absent = 0, null, string, other };

struct json_field {
    json_kind kind = json_kind::absent;
    /// string: the bytes between the quotes, escapes NOT decoded; other/null: the value's text.
    std::string_view raw;
    /// string only: raw contains at least one backslash.
    bool escaped = false;
};

/// Top-level fields of a status body. Keys match exactly after unescaping; the last duplicate wins.
struct status_fields {
    json_field status;            ///< "status"
    json_field operation_id;      ///< "operationId"
    json_field created_date_time; ///< "createdDateTime"
    json_field created;           ///< "created"
    json_field resource_location; ///< "resourceLocation"
    json_field error;             ///< "error"
    json_field properties;        ///< "properties" (Azure resources: `properties.provisioningState`)
};

namespace json_impl {

// Internal: a sink refused bytes (buffer full, or a comparison failed). Never returned publicly.
inline constexpr json_error sink_stop = static_cast<json_error>(0xFF);

inline constexpr bool is_ws(unsigned char c) noexcept {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/// Skips a run of whitespace that starts at a whitespace byte (indentation: 16 bytes at a time).
AZMAPS_LRO_JSON_NOINLINE inline void skip_ws_run(const char*& p, const char* end) noexcept {
#if AZMAPS_LRO_JSON_SSE2
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))),
                                        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))));
        const unsigned other = ~static_cast<unsigned>(_mm_movemask_epi8(ws)) & 0xFFFFU;
        if (other != 0) {
            p += lowest_bit(other);
            return;
        }
        p += 16;
    }
#endif
    while (p != end && is_ws(static_cast<unsigned char>(*p))) ++p;
}

AZMAPS_LRO_JSON_INLINE void skip_ws(const char*& p, const char* end) noexcept {
    if (p != end && static_cast<unsigned char>(*p) <= ' ' && is_ws(static_cast<unsigned char>(*p))) {
        ++p;
        if (p != end && static_cast<unsigned char>(*p) <= ' ') skip_ws_run(p, end);
    }
}

inline constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

inline constexpr int hex_value(char c) noexcept {
    return (c >= '0' && c <= '9')   ? c - '0'
           : (c >= 'a' && c <= 'f') ? c - 'a' + 10
           : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                    : -1;
}

/// Reads the four hex digits of a \u escape at p: their value, -1 if a non-hex byte comes
/// first, -2 if the input ends first.
inline long hex4(const char* p, const char* end) noexcept {
    long v = 0;
    for (int i = 0; i < 4; ++i, ++p) {
        if (p == end) return -2;
        const int d = hex_value(*p);
        if (d < 0) return -1;
        v = (v << 4) | d;
    }
    return v;
}

inline constexpr std::uint64_t ones = 0x0101010101010101ULL;
inline constexpr std::uint64_t highs = 0x8080808080808080ULL;

/// Non-zero when any of the 8 bytes is '"', '\\', < 0x20 or >= 0x80. No false positives when
/// all bytes are plain, so a zero result means "8 plain bytes".
inline std::uint64_t special_mask(std::uint64_t x) noexcept {
    const std::uint64_t q = x ^ (ones * 0x22U);
    const std::uint64_t b = x ^ (ones * 0x5CU);
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20U) & ~x) | x) & highs;
}

struct null_sink {
    bool run(const char*, std::size_t) noexcept { return true; }
    bool cp(std::uint32_t) noexcept { return true; }
};

inline std::size_t encode_utf8(std::uint32_t c, char* o) noexcept {
    if (c < 0x80) {
        o[0] = static_cast<char>(c);
        return 1;
    }
    if (c < 0x800) {
        o[0] = static_cast<char>(0xC0U | (c >> 6));
        o[1] = static_cast<char>(0x80U | (c & 0x3FU));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = static_cast<char>(0xE0U | (c >> 12));
        o[1] = static_cast<char>(0x80U | ((c >> 6) & 0x3FU));
        o[2] = static_cast<char>(0x80U | (c & 0x3FU));
        return 3;
    }
    o[0] = static_cast<char>(0xF0U | (c >> 18));
    o[1] = static_cast<char>(0x80U | ((c >> 12) & 0x3FU));
    o[2] = static_cast<char>(0x80U | ((c >> 6) & 0x3FU));
    o[3] = static_cast<char>(0x80U | (c & 0x3FU));
    return 4;
}

struct buffer_sink {
    char* buf;
    std::size_t cap;
    std::size_t n = 0;
    bool run(const char* s, std::size_t len) noexcept {
        if (len == 0) return true;
        if (len > cap - n) return false;
        std::memcpy(buf + n, s, len);
        n += len;
        return true;
    }
    bool cp(std::uint32_t c) noexcept {
        char tmp[4];
        const std::size_t len = encode_utf8(c, tmp);
        return run(tmp, len);
    }
};

/// Compares the decoded bytes with a literal by the one ASCII rule (ascii.hpp iequals_n): the
/// sink only adds the decoding of escapes.
struct iequals_sink {
    const char* lit;
    std::size_t size;
    std::size_t pos = 0;
    bool run(const char* s, std::size_t len) noexcept {
        if (len > size - pos) return false;
        if (!iequals_n(s, lit + pos, len)) return false;
        pos += len;
        return true;
    }
    bool cp(std::uint32_t c) noexcept {
        char tmp[4];
        const std::size_t len = encode_utf8(c, tmp);
        return run(tmp, len);
    }
};

inline constexpr bool is_special(unsigned char c) noexcept {
    return c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
}

/// Index (0..7) of the first special byte in the 8 bytes at p, given special_mask(x) != 0.
inline std::size_t first_special(std::uint64_t mask, const char* p) noexcept {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    // Borrows only create false positives above a true one, so the lowest set bit is exact.
    (void)p;
    return static_cast<std::size_t>(__builtin_ctzll(mask)) >> 3;
#else
    (void)mask;
    std::size_t i = 0;
    while (!is_special(static_cast<unsigned char>(p[i]))) ++i;
    return i;
#endif
}

/// The slow part of a string: *p is '\\', a control byte or a non-ASCII byte (p != end).
/// Validates one escape or one UTF-8 sequence, feeds the sink and advances p past it.
template <bool InDoc, class Sink>
AZMAPS_LRO_JSON_NOINLINE json_error scan_special(const char*& p, const char* end, bool& escaped, Sink& sink) noexcept {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c < 0x20) return json_error::syntax;
    const std::ptrdiff_t avail = end - p;
    if (c == '\\') {
        escaped = true;
        if (avail < 2) return InDoc ? json_error::syntax : json_error::bad_escape;
        std::uint32_t out;
        switch (p[1]) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            const long h = hex4(p + 2, end);
            if (h == -2) return InDoc ? json_error::syntax : json_error::bad_escape;
            if (h < 0) return json_error::bad_escape;
            if (h >= 0xDC00 && h <= 0xDFFF) return json_error::bad_escape; // lone low surrogate
            if (h >= 0xD800 && h <= 0xDBFF) {
                const char* q = p + 6;
                if (q == end) return InDoc ? json_error::syntax : json_error::bad_escape;
                if (*q != '\\') return json_error::bad_escape;
                if (end - q < 2) return InDoc ? json_error::syntax : json_error::bad_escape;
                if (q[1] != 'u') return json_error::bad_escape;
                const long l = hex4(q + 2, end);
                if (l == -2) return InDoc ? json_error::syntax : json_error::bad_escape;
                if (l < 0xDC00 || l > 0xDFFF) return json_error::bad_escape;
                const std::uint32_t cp = 0x10000U + ((static_cast<std::uint32_t>(h) - 0xD800U) << 10) +
                                         (static_cast<std::uint32_t>(l) - 0xDC00U);
                if (!sink.cp(cp)) return sink_stop;
                p += 12;
                return json_error::none;
            }
            if (!sink.cp(static_cast<std::uint32_t>(h))) return sink_stop;
            p += 6;
            return json_error::none;
        }
        default: return json_error::bad_escape;
        }
        if (!sink.cp(out)) return sink_stop;
        p += 2;
        return json_error::none;
    }
    // Non-ASCII: validate one UTF-8 sequence (Unicode Table 3-7).
    std::ptrdiff_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0xC2) return json_error::bad_utf8; // stray continuation or overlong 2-byte lead
    if (c < 0xE0) {
        need = 2;
    } else if (c < 0xF0) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;      // overlong
        else if (c == 0xED) hi = 0x9F; // UTF-16 surrogates
    } else if (c < 0xF5) {
        need = 4;
        if (c == 0xF0) lo = 0x90;      // overlong
        else if (c == 0xF4) hi = 0x8F; // > U+10FFFF
    } else {
        return json_error::bad_utf8;
    }
    for (std::ptrdiff_t i = 1; i < need; ++i) {
        if (i >= avail) return InDoc ? json_error::syntax : json_error::bad_utf8;
        const unsigned char b = static_cast<unsigned char>(p[i]);
        if (b < lo || b > hi) return json_error::bad_utf8;
        lo = 0x80;
        hi = 0xBF;
    }
    if (!sink.run(p, static_cast<std::size_t>(need))) return sink_stop;
    p += need;
    return json_error::none;
}

/// Scans a string body.
/// InDoc = true: p is just after the opening quote; stops after the closing quote; end of input
///   inside the string is `syntax`.
/// InDoc = false: the whole [p, end) is a string body (no quotes); an unescaped '"' is `syntax`,
///   truncated UTF-8 is `bad_utf8`, a truncated escape is `bad_escape`.
/// `escaped` is set when a backslash is seen. Decoded bytes go to the sink.
template <bool InDoc, class Sink>
AZMAPS_LRO_JSON_INLINE json_error scan_string(const char*& p, const char* end, bool& escaped, Sink& sink) noexcept {
    for (;;) {
        // Plain bytes up to the next special one: 16 at a time with SSE2, else 8 with SWAR.
        const char* const run = p;
#if AZMAPS_LRO_JSON_SSE2
        {
            const __m128i quote = _mm_set1_epi8('"');
            const __m128i backslash = _mm_set1_epi8('\\');
            const __m128i space = _mm_set1_epi8(0x20);
            while (end - p >= 16) {
                const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
                const unsigned quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote)));
                // signed compare: bytes >= 0x80 are negative, so they count as "< 0x20" too
                const unsigned others = static_cast<unsigned>(
                    _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, backslash), _mm_cmplt_epi8(x, space))));
                const unsigned bits = quotes | others;
                if (bits != 0) {
                    const std::size_t i = lowest_bit(bits);
                    if (InDoc && (quotes & (bits & (0U - bits))) != 0) {
                        // the closing quote comes first: no need to reload the byte
                        if (!sink.run(run, static_cast<std::size_t>(p + i - run))) return sink_stop;
                        p += i + 1;
                        return json_error::none;
                    }
                    p += i;
                    goto found;
                }
                p += 16;
            }
        }
#endif
        for (;;) {
            if (end - p >= 8) {
                std::uint64_t x;
                std::memcpy(&x, p, 8);
                const std::uint64_t m = special_mask(x);
                if (m != 0) {
                    p += first_special(m, p);
                    break;
                }
                p += 8;
            } else {
                while (p != end && !is_special(static_cast<unsigned char>(*p))) ++p;
                break;
            }
        }
#if AZMAPS_LRO_JSON_SSE2
    found:
#endif
        if (!sink.run(run, static_cast<std::size_t>(p - run))) return sink_stop;
        if (p == end) return InDoc ? json_error::syntax : json_error::none;
        if (*p == '"') {
            if (!InDoc) return json_error::syntax;
            ++p;
            return json_error::none;
        }
        const json_error e = scan_special<InDoc>(p, end, escaped, sink);
        if (e != json_error::none) return e;
    }
}

/// Bit masks of the special bytes ('"', '\\', < 0x20, >= 0x80) of a 64-byte window of the
/// document, computed once and shared by every string that starts inside the window: finding
/// the end of a string is then a shift and a count-trailing-zeros instead of a chain of loads.
/// Past the end of the input the window is padded with NUL bytes, which count as special, so
/// the end of the input is always found as a special position.
struct block_index {
    const char* base = nullptr; ///< start of the window
    std::size_t len = 0;        ///< positions [base, base + len) are described (0: none yet)
    std::uint64_t special = 0;  ///< bit i: base[i] is special (or i is the end of the input)
    std::uint64_t quote = 0;    ///< bit i: base[i] is '"'

    void load(const char* p, const char* end) noexcept {
        base = p;
        const std::size_t avail = static_cast<std::size_t>(end - p);
        const char* src = p;
        char tmp[64];
        if (avail < 64) {
            std::memset(tmp, 0, sizeof tmp);
            if (avail != 0) std::memcpy(tmp, p, avail);
            src = tmp;
            len = avail + 1; // the NUL at `avail` marks the end of the input
        } else {
            len = 64;
        }
#if AZMAPS_LRO_JSON_SSE2
        const __m128i q = _mm_set1_epi8('"');
        const __m128i bs = _mm_set1_epi8('\\');
        const __m128i sp = _mm_set1_epi8(0x20);
        std::uint64_t s = 0, qq = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16 * k));
            const __m128i isq = _mm_cmpeq_epi8(x, q);
            // signed compare: bytes >= 0x80 are negative, so they count as "< 0x20" too
            const __m128i any = _mm_or_si128(isq, _mm_or_si128(_mm_cmpeq_epi8(x, bs), _mm_cmplt_epi8(x, sp)));
            qq |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(isq))) << (16 * k);
            s |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(any))) << (16 * k);
        }
        special = s;
        quote = qq;
#else
        std::uint64_t s = 0, qq = 0;
        for (unsigned i = 0; i < 64; ++i) {
            const unsigned char c = static_cast<unsigned char>(src[i]);
            s |= static_cast<std::uint64_t>(is_special(c)) << i;
            qq |= static_cast<std::uint64_t>(c == '"') << i;
        }
        special = s;
        quote = qq;
#endif
    }
};

/// The document string scanner of the hot path: like scan_string<true> with a null sink, using
/// (and advancing) the shared block index. p is just after the opening quote.
AZMAPS_LRO_JSON_INLINE json_error scan_doc_string(const char*& p, const char* end, bool& escaped,
                                                  block_index& ix) noexcept {
    for (;;) {
        std::size_t off = 0;
        if (ix.base == nullptr || (off = static_cast<std::size_t>(p - ix.base)) >= ix.len) {
            ix.load(p, end);
            off = 0;
        }
        const std::uint64_t m = ix.special >> off;
        if (m == 0) { // only possible in a full window: no special byte up to its end
            p = ix.base + ix.len;
            continue;
        }
        const std::size_t i = off + lowest_bit64(m);
        p = ix.base + i;
        if (((ix.quote >> i) & 1U) != 0) {
            ++p;
            return json_error::none;
        }
        if (p == end) return json_error::syntax;
        null_sink ns;
        const json_error e = scan_special<true>(p, end, escaped, ns);
        if (e != json_error::none) return e;
    }
}

/// RFC 8259 number at p (first byte is '-' or a digit).
inline json_error scan_number(const char*& p, const char* end) noexcept {
    if (*p == '-') {
        ++p;
        if (p == end) return json_error::bad_number;
    }
    if (*p == '0') {
        ++p;
    } else if (*p >= '1' && *p <= '9') {
        ++p;
        while (p != end && is_digit(*p)) ++p;
    } else {
        return json_error::bad_number;
    }
    if (p != end && *p == '.') {
        ++p;
        if (p == end || !is_digit(*p)) return json_error::bad_number;
        while (p != end && is_digit(*p)) ++p;
    }
    if (p != end && (*p == 'e' || *p == 'E')) {
        ++p;
        if (p != end && (*p == '+' || *p == '-')) ++p;
        if (p == end || !is_digit(*p)) return json_error::bad_number;
        while (p != end && is_digit(*p)) ++p;
    }
    if (p != end && (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-'))
        return json_error::bad_number; // "01", "1.2.3", "1e5e5", ...
    return json_error::none;
}

inline bool literal(const char*& p, const char* end, const char* lit, std::size_t n) noexcept {
    if (static_cast<std::size_t>(end - p) < n || std::memcmp(p, lit, n) != 0) return false;
    p += n;
    return true;
}

/// A scalar that is not a string (p at its first byte). Sets `kind` to null or other.
inline json_error scan_scalar(const char*& p, const char* end, json_kind& kind) noexcept {
    kind = json_kind::other;
    switch (*p) {
    case 't': return literal(p, end, "true", 4) ? json_error::none : json_error::syntax;
    case 'f': return literal(p, end, "false", 5) ? json_error::none : json_error::syntax;
    case 'n':
        kind = json_kind::null;
        return literal(p, end, "null", 4) ? json_error::none : json_error::syntax;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return scan_number(p, end);
    case '+': case '.': return json_error::bad_number;
    default: return json_error::syntax;
    }
}

/// Validates and skips one value at p (p != end, p at the first non-whitespace byte).
/// `depth` is the number of containers already open around it. Iterative: the kinds of the
/// open containers live in a bit stack (1 = object).
inline json_error skip_value(const char*& pp, const char* end, int depth, int max_depth, json_kind& kind,
                             block_index& ix) noexcept {
    // Work on a local cursor (kept in a register), written back on every exit.
    const char* p = pp;
    const auto done = [&pp, &p](json_error r) noexcept {
        pp = p;
        return r;
    };
    const char first = *p;
    if (first == '"') {
        kind = json_kind::string;
        ++p;
        bool esc = false;
            return done(scan_doc_string(p, end, esc, ix));
    }
    if (first != '{' && first != '[') return done(scan_scalar(p, end, kind));
    kind = json_kind::other;
    if (max_depth > max_supported_depth) max_depth = max_supported_depth;
    if (depth < 0) depth = 0;
    // Bit i of the stack is the kind of the (i+1)-th container opened here. Each word is first
    // written by assignment when its first level is pushed, so nothing uninitialized is read.
    std::uint64_t stack[max_supported_depth / 64];
    int level = 0;
    bool in_object = false;
    json_error e;
    json_kind k;
    bool esc;

open: // *p is '{' or '['
    if (depth >= max_depth) return done(json_error::depth);
    ++depth;
    in_object = (*p == '{');
    {
        const std::uint64_t bit = static_cast<std::uint64_t>(in_object) << (level & 63);
        if ((level & 63) == 0) stack[level >> 6] = bit;
        else stack[level >> 6] = (stack[level >> 6] & ~(std::uint64_t{1} << (level & 63))) | bit;
    }
    ++level;
    ++p;
    skip_ws(p, end);
    if (p == end) return done(json_error::syntax);
    if (in_object) {
        if (*p == '}') goto close;
        goto key;
    }
    if (*p == ']') goto close;
    goto value;

key: // p at what must be a key
    if (*p != '"') return done(json_error::syntax);
    ++p;
    esc = false;
    e = scan_doc_string(p, end, esc, ix);
    if (e != json_error::none) return done(e);
    skip_ws(p, end);
    if (p == end || *p != ':') return done(json_error::syntax);
    ++p;
    skip_ws(p, end);
    if (p == end) return done(json_error::syntax);
    // fall through

value: // p at the first byte of a value, p != end
    if (*p == '{' || *p == '[') goto open;
    if (*p == '"') {
        ++p;
        esc = false;
        e = scan_doc_string(p, end, esc, ix);
    } else {
        e = scan_scalar(p, end, k);
    }
    if (e != json_error::none) return done(e);

after_value:
    skip_ws(p, end);
    if (p == end) return done(json_error::syntax);
    if (in_object) {
        if (*p == ',') {
            ++p;
            skip_ws(p, end);
            if (p == end) return done(json_error::syntax);
            goto key;
        }
        if (*p == '}') goto close;
        return done(json_error::syntax);
    }
    if (*p == ',') {
        ++p;
        skip_ws(p, end);
        if (p == end) return done(json_error::syntax);
        goto value;
    }
    if (*p == ']') goto close;
    return done(json_error::syntax);

close: // *p is the closing bracket matching the innermost open container
    ++p;
    --depth;
    --level;
    if (level == 0) return done(json_error::none);
    in_object = ((stack[(level - 1) >> 6] >> ((level - 1) & 63)) & 1U) != 0;
    goto after_value;
}

inline json_error skip_value(const char*& p, const char* end, int depth, int max_depth, json_kind& kind) noexcept {
    block_index ix;
    return skip_value(p, end, depth, max_depth, kind, ix);
}

/// Validates a whole JSON text of any top-level type.
inline json_error validate_text(const char* p, const char* end, int max_depth, char& first) noexcept {
    skip_ws(p, end);
    if (p == end) return json_error::empty;
    first = *p;
    json_kind k;
    const json_error e = skip_value(p, end, 0, max_depth, k);
    if (e != json_error::none) return e;
    skip_ws(p, end);
    if (p != end) return json_error::trailing;
    return json_error::none;
}

/// Validates a JSON text that must be an object.
inline json_error validate_object_text(std::string_view text, int max_depth) noexcept {
    if (text.empty()) return json_error::empty;
    char first = 0;
    const json_error e = validate_text(text.data(), text.data() + text.size(), max_depth, first);
    if (e != json_error::none) return e;
    return first == '{' ? json_error::none : json_error::not_object;
}

inline json_field* match_status_key(const char* k, std::size_t n, status_fields& out) noexcept {
    switch (n) {
    case 5: return std::memcmp(k, "error", 5) == 0 ? &out.error : nullptr;
    case 6: return std::memcmp(k, "status", 6) == 0 ? &out.status : nullptr;
    case 7: return std::memcmp(k, "created", 7) == 0 ? &out.created : nullptr;
    case 10: return std::memcmp(k, "properties", 10) == 0 ? &out.properties : nullptr;
    case 11: return std::memcmp(k, "operationId", 11) == 0 ? &out.operation_id : nullptr;
    case 15: return std::memcmp(k, "createdDateTime", 15) == 0 ? &out.created_date_time : nullptr;
    case 16: return std::memcmp(k, "resourceLocation", 16) == 0 ? &out.resource_location : nullptr;
    default: return nullptr;
    }
}

/// Decoded view of a key (into buf when escaped); an empty view when it does not fit.
template <std::size_t N>
inline std::string_view decoded_key(std::string_view raw, bool escaped, char (&buf)[N]) noexcept {
    if (!escaped) return raw;
    const char* p = raw.data();
    buffer_sink s{buf, N};
    bool esc = false;
    if (scan_string<false>(p, raw.data() + raw.size(), esc, s) != json_error::none) return {};
    return std::string_view(buf, s.n);
}

/// Skips one value of a text already validated (p != end, at the value's first byte) without
/// validating it again: containers by bracket counting (16 bytes at a time with SSE2),
/// strings with scan_string. Sets `kind` as skip_value does. Never reads past `end`; false
/// when the text turns out not to be valid after all (then p is unspecified, within bounds).
inline bool skip_valid_value(const char*& p, const char* end, json_kind& kind) noexcept {
    null_sink ns;
    bool esc = false;
    const char c = *p;
    if (c == '"') {
        kind = json_kind::string;
        ++p;
        return scan_string<true>(p, end, esc, ns) == json_error::none;
    }
    if (c != '{' && c != '[') { // a literal or a number: up to the next delimiter
        kind = c == 'n' ? json_kind::null : json_kind::other;
        while (p != end && *p != ',' && *p != '}' && *p != ']' && !is_ws(static_cast<unsigned char>(*p))) ++p;
        return true;
    }
    kind = json_kind::other;
    std::size_t depth = 0;
    while (p != end) {
#if AZMAPS_LRO_JSON_SSE2
        // to the next '"', '[', ']', '{' or '}' ('[' | 0x20 == '{', ']' | 0x20 == '}')
        const __m128i quote = _mm_set1_epi8('"'), open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}'),
                      fold = _mm_set1_epi8(0x20);
        while (end - p >= 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const __m128i xf = _mm_or_si128(x, fold);
            const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_or_si128(_mm_cmpeq_epi8(xf, open), _mm_cmpeq_epi8(xf, close)))));
            if (m != 0) {
                p += lowest_bit(m);
                break;
            }
            p += 16;
        }
        if (p == end) return false;
#endif
        const char b = *p;
        if (b == '"') {
            ++p;
            if (scan_string<true>(p, end, esc, ns) != json_error::none) return false;
            continue;
        }
        ++p;
        if (b == '{' || b == '[') {
            ++depth;
        } else if (b == '}' || b == ']') {
            if (depth == 0) return false;
            if (--depth == 0) return true;
        }
    }
    return false;
}

/// Iterates the members of a validated object text (may have surrounding whitespace).
/// f(std::string_view key_raw, bool key_escaped, const json_field& value).
template <class F>
inline void for_each_member(std::string_view obj, F&& f) noexcept(noexcept(f(std::string_view{}, false, json_field{}))) {
    const char* p = obj.data();
    const char* const end = p + obj.size();
    skip_ws(p, end);
    if (p == end || *p != '{') return;
    ++p;
    skip_ws(p, end);
    if (p == end || *p == '}') return;
    null_sink ns;
    for (;;) {
        if (*p != '"') return;
        ++p;
        const char* kb = p;
        bool kesc = false;
        if (scan_string<true>(p, end, kesc, ns) != json_error::none) return;
        const std::string_view key(kb, static_cast<std::size_t>(p - 1 - kb));
        skip_ws(p, end);
        if (p == end || *p != ':') return;
        ++p;
        skip_ws(p, end);
        if (p == end) return;
        json_field v;
        const char* vb = p;
        if (*p == '"') {
            ++p;
            bool vesc = false;
            if (scan_string<true>(p, end, vesc, ns) != json_error::none) return;
            v.kind = json_kind::string;
            v.raw = std::string_view(vb + 1, static_cast<std::size_t>(p - 1 - (vb + 1)));
            v.escaped = vesc;
        } else {
            json_kind k;
            if (!skip_valid_value(p, end, k)) return;
            v.kind = k;
            v.raw = std::string_view(vb, static_cast<std::size_t>(p - vb));
        }
        f(key, kesc, v);
        skip_ws(p, end);
        if (p == end || *p != ',') return;
        ++p;
        skip_ws(p, end);
        if (p == end) return;
    }
}

/// Iterates the elements of a validated array text. f(const json_field&) with kind other/null
/// (raw = value text) or string (raw = body), returning false to stop.
template <class F>
inline void for_each_element(std::string_view arr, F&& f) {
    const char* p = arr.data();
    const char* const end = p + arr.size();
    if (p == end || *p != '[') return;
    ++p;
    skip_ws(p, end);
    if (p == end || *p == ']') return;
    for (;;) {
        json_field v;
        const char* vb = p;
        json_kind k;
        if (!skip_valid_value(p, end, k)) return;
        v.kind = k;
        if (k == json_kind::string) {
            v.raw = std::string_view(vb + 1, static_cast<std::size_t>(p - 2 - vb));
            v.escaped = std::memchr(v.raw.data(), '\\', v.raw.size()) != nullptr;
        } else {
            v.raw = std::string_view(vb, static_cast<std::size_t>(p - vb));
        }
        if (!f(v)) return;
        skip_ws(p, end);
        if (p == end || *p != ',') return;
        ++p;
        skip_ws(p, end);
        if (p == end) return;
    }
}

inline bool key_is(std::string_view raw, bool escaped, std::string_view lit) noexcept {
    char buf[32];
    const std::string_view k = decoded_key(raw, escaped, buf);
    return k.size() == lit.size() && !lit.empty() && std::memcmp(k.data(), lit.data(), lit.size()) == 0;
}

} // namespace json_impl

/// Scans a complete JSON text that must be an object, validating everything (RFC 8259, strict),
/// and records the top-level fields the machine reads. `out` is reset first; on error it may
/// hold partial results. A `max_depth` above `max_supported_depth` acts as that value.
inline json_error scan_status_body(std::string_view body, status_fields& out, int max_depth = 64) noexcept {
    using namespace json_impl;
    // Field by field: one aggregate assignment compiles to a slow `rep stos` on some targets.
    for (json_field* f : {&out.status, &out.operation_id, &out.created_date_time, &out.created,
                          &out.resource_location, &out.error, &out.properties}) {
        f->kind = json_kind::absent;
        f->raw = std::string_view();
        f->escaped = false;
    }
    if (body.empty()) return json_error::empty;
    const char* p = body.data();
    const char* const end = p + body.size();
    block_index ix;
    skip_ws(p, end);
    if (p == end) return json_error::empty;
    if (*p != '{') {
        char first = 0;
        const json_error e = validate_text(p, end, max_depth, first);
        return e != json_error::none ? e : json_error::not_object;
    }
    if (max_depth < 1) return json_error::depth;
    ++p;
    skip_ws(p, end);
    if (p == end) return json_error::syntax;
    if (*p != '}') {
        for (;;) {
            if (*p != '"') return json_error::syntax;
            ++p;
            const char* const kb = p;
            bool kesc = false;
            json_error e = scan_doc_string(p, end, kesc, ix);
            if (e != json_error::none) return e;
            json_field* f;
            if (!kesc) {
                f = match_status_key(kb, static_cast<std::size_t>(p - 1 - kb), out);
            } else {
                char buf[16];
                const std::string_view k =
                    decoded_key(std::string_view(kb, static_cast<std::size_t>(p - 1 - kb)), true, buf);
                f = k.empty() ? nullptr : match_status_key(k.data(), k.size(), out);
            }
            skip_ws(p, end);
            if (p == end || *p != ':') return json_error::syntax;
            ++p;
            skip_ws(p, end);
            if (p == end) return json_error::syntax;
            const char* const vb = p;
            const char c = *p;
            if (c == '"') {
                ++p;
                bool vesc = false;
                e = scan_doc_string(p, end, vesc, ix);
                if (e != json_error::none) return e;
                if (f != nullptr) {
                    f->kind = json_kind::string;
                    f->raw = std::string_view(vb + 1, static_cast<std::size_t>(p - 1 - (vb + 1)));
                    f->escaped = vesc;
                }
            } else {
                json_kind k;
                if (c == '{' || c == '[') e = skip_value(p, end, 1, max_depth, k, ix);
                else e = scan_scalar(p, end, k);
                if (e != json_error::none) return e;
                if (f != nullptr) {
                    f->kind = k;
                    f->raw = std::string_view(vb, static_cast<std::size_t>(p - vb));
                    f->escaped = false;
                }
            }
            skip_ws(p, end);
            if (p == end) return json_error::syntax;
            if (*p == ',') {
                ++p;
                skip_ws(p, end);
                if (p == end) return json_error::syntax;
                continue;
            }
            if (*p == '}') break;
            return json_error::syntax;
        }
    }
    ++p; // the closing '}'
    skip_ws(p, end);
    return p == end ? json_error::none : json_error::trailing;
}

/// Decodes a JSON string body (the bytes between the quotes) into buf without allocating.
/// Returns the decoded length, or SIZE_MAX when raw is not a valid string body or the result
/// does not fit in cap bytes. The decoded text is never longer than raw.
inline std::size_t unescape_json_string(std::string_view raw, char* buf, std::size_t cap) noexcept {
    if (raw.empty()) return 0;
    if (buf == nullptr) cap = 0;
    const char* p = raw.data();
    json_impl::buffer_sink s{buf, cap};
    bool esc = false;
    if (json_impl::scan_string<false>(p, raw.data() + raw.size(), esc, s) != json_error::none)
        return SIZE_MAX;
    return s.n;
}

/// Decodes a JSON string body into `out` (assigned). False, with `out` unspecified, when raw is
/// not a valid string body.
inline bool unescape_json_string(std::string_view raw, std::string& out) {
    out.resize(raw.size());
    const std::size_t n = unescape_json_string(raw, out.empty() ? nullptr : &out[0], out.size());
    if (n == SIZE_MAX) {
        out.clear();
        return false;
    }
    out.resize(n);
    return true;
}

/// True when f is a string whose decoded value equals ascii_literal by iequals (ascii.hpp): the
/// same rule as every other case-insensitive comparison, applied after decoding the escapes.
/// Escapes are decoded on the fly; an invalid string body never matches. Does not allocate.
AZMAPS_LRO_JSON_INLINE bool json_string_iequals(const json_field& f, std::string_view ascii_literal) noexcept {
    if (f.kind != json_kind::string) return false;
    if (!f.escaped) return iequals(f.raw, ascii_literal); // the bytes are the value
    const char* p = f.raw.data();
    json_impl::iequals_sink s{ascii_literal.data(), ascii_literal.size()};
    bool esc = false;
    if (json_impl::scan_string<false>(p, f.raw.data() + f.raw.size(), esc, s) != json_error::none)
        return false;
    return s.pos == ascii_literal.size();
}

/// Caps on what an OData error keeps (docs/decisions.md), so that a failed answer costs a bounded
/// amount of memory whatever the size of its body and the number of its details. Whatever a cap
/// cuts sets `odata_error::truncated`.
/// At most this many `details` entries are kept (the first ones, in order).
inline constexpr std::size_t max_odata_details = 64;
/// Maximum number of `innererror` objects followed.
inline constexpr int max_innererror_links = 64;
/// Every kept string (code, message, target, each detail's, each inner code) is cut to at most
/// this many bytes, at a UTF-8 character boundary.
inline constexpr std::size_t max_odata_string_bytes = 4096;
/// All kept strings together hold at most this many bytes; once it is spent, later strings (in
/// this order: code, message, target, the details in order, the inner codes) are cut short or
/// left empty.
inline constexpr std::size_t max_odata_total_bytes = std::size_t{64} * 1024;

namespace json_impl {

/// The length of the longest prefix of p[0, n) that ends at a UTF-8 character boundary, when
/// p[0, n) is a prefix of valid UTF-8.
inline std::size_t utf8_boundary(const char* p, std::size_t n) noexcept {
    std::size_t j = n;
    while (j > 0 && n - j < 3 && (static_cast<unsigned char>(p[j - 1]) & 0xC0U) == 0x80U) --j;
    if (j == 0) return 0;
    const auto lead = static_cast<unsigned char>(p[j - 1]);
    const std::size_t need = lead < 0x80U ? 1 : lead < 0xE0U ? 2 : lead < 0xF0U ? 3 : 4;
    return n - (j - 1) >= need ? n : j - 1;
}

/// A sink that keeps the first `cap` decoded bytes and then refuses (cut = true).
struct prefix_sink {
    char* buf;
    std::size_t cap;
    std::size_t n = 0;
    bool cut = false;
    bool run(const char* s, std::size_t len) noexcept {
        const std::size_t room = cap - n;
        if (len > room) {
            if (room != 0) std::memcpy(buf + n, s, room);
            n = cap;
            cut = true;
            return false;
        }
        if (len != 0) std::memcpy(buf + n, s, len);
        n += len;
        return true;
    }
    bool cp(std::uint32_t c) noexcept {
        char tmp[4];
        const std::size_t len = encode_utf8(c, tmp);
        return run(tmp, len);
    }
};

/// What is left of max_odata_total_bytes while one error is read, and whether a cap cut.
struct odata_budget {
    std::size_t left = max_odata_total_bytes;
    bool truncated = false;
};

/// Assigns a string field's decoded value to dst, cut to the caps (one allocation of the kept
/// size at most); anything else (absent, null, other) clears it.
inline void assign_field(const json_field& f, std::string& dst, odata_budget& budget) {
    dst.clear();
    if (f.kind != json_kind::string || f.raw.empty()) return;
    const std::size_t limit = budget.left < max_odata_string_bytes ? budget.left : max_odata_string_bytes;
    if (!f.escaped) { // valid UTF-8 (validated with the body): the bytes are the value
        std::size_t n = f.raw.size();
        if (n > limit) {
            n = utf8_boundary(f.raw.data(), limit);
            budget.truncated = true;
        }
        dst.assign(f.raw.data(), n);
    } else {
        char buf[max_odata_string_bytes];
        prefix_sink sink{buf, limit};
        const char* p = f.raw.data();
        bool esc = false;
        const json_error e = scan_string<false>(p, f.raw.data() + f.raw.size(), esc, sink);
        if (e != json_error::none && e != sink_stop) return; // not a valid string body: empty
        std::size_t n = sink.n;
        if (sink.cut) {
            n = utf8_boundary(buf, n);
            budget.truncated = true;
        }
        dst.assign(buf, n);
    }
    budget.left -= dst.size();
}

/// An OData `code`: a string's decoded value, or a number's JSON text (FAMILY.md 4.5: services
/// send `"code": 500`); anything else clears it.
inline void assign_code(const json_field& f, std::string& dst, odata_budget& budget) {
    if (f.kind == json_kind::other && !f.raw.empty() && (f.raw.front() == '-' || is_digit(f.raw.front()))) {
        // ASCII text: a plain cut is a character boundary
        const std::size_t limit = budget.left < max_odata_string_bytes ? budget.left : max_odata_string_bytes;
        const std::size_t n = f.raw.size() < limit ? f.raw.size() : limit;
        if (n < f.raw.size()) budget.truncated = true;
        dst.assign(f.raw.data(), n);
        budget.left -= n;
        return;
    }
    assign_field(f, dst, budget);
}

/// code / message / target of one validated OData (detail) object; last duplicate wins.
struct odata_strings {
    json_field code, message, target;
};

inline void read_odata_strings(std::string_view key, bool kesc, const json_field& v, odata_strings& s) noexcept {
    if (key_is(key, kesc, "code")) s.code = v;
    else if (key_is(key, kesc, "message")) s.message = v;
    else if (key_is(key, kesc, "target")) s.target = v;
}

inline bool is_object_field(const json_field& f) noexcept {
    return f.kind == json_kind::other && !f.raw.empty() && f.raw.front() == '{';
}

/// Keeps one `details` entry when it is an object. False (and budget.truncated) when
/// max_odata_details are already kept: the caller stops there.
inline bool push_detail(const json_field& v, std::vector<odata_detail>& out, odata_budget& budget) {
    if (!is_object_field(v)) return true;
    if (out.size() >= max_odata_details) {
        budget.truncated = true;
        return false;
    }
    odata_strings s;
    for_each_member(v.raw, [&](std::string_view k, bool kesc, const json_field& f) noexcept {
        read_odata_strings(k, kesc, f, s);
    });
    odata_detail d;
    assign_code(s.code, d.code, budget);
    assign_field(s.message, d.message, budget);
    assign_field(s.target, d.target, budget);
    out.push_back(std::move(d));
    return true;
}

} // namespace json_impl

/// Assigns `bytes` to `dst` cut to max_odata_string_bytes (before a UTF-8 character the cut
/// would split), setting `truncated` when it cuts: for a string an error takes from elsewhere
/// than its JSON body (the `x-ms-error-code` header), so that it obeys the same cap.
inline void assign_capped(std::string& dst, std::string_view bytes, bool& truncated) {
    std::size_t n = bytes.size();
    if (n > max_odata_string_bytes) {
        n = max_odata_string_bytes;
        // back over at most 3 continuation bytes to the lead byte of a character the cut splits
        std::size_t k = n;
        while (k > 0 && n - k < 3 && (static_cast<unsigned char>(bytes[k]) & 0xC0U) == 0x80U) --k;
        if ((static_cast<unsigned char>(bytes[k]) & 0xC0U) != 0x80U) n = k;
        truncated = true;
    }
    dst.assign(bytes.data(), n);
}

namespace json_impl {

inline void reset_odata_error(odata_error& out) noexcept {
    out.code.clear();
    out.message.clear();
    out.target.clear();
    out.details.clear();
    out.innererror.clear();
    out.truncated = false;
}

} // namespace json_impl

/// Parses an OData error object's text into `out` (reset first). The text is validated like a
/// body (max_depth budgets the error object itself, the object being 1) and must be an object.
namespace json_impl {
inline void read_odata_error(std::string_view object_text, odata_error& out);
} // namespace json_impl

inline json_error parse_odata_error(std::string_view object_text, odata_error& out, int max_depth = 64) {
    using namespace json_impl;
    reset_odata_error(out);
    const json_error e = validate_object_text(object_text, max_depth);
    if (e != json_error::none) return e;
    read_odata_error(object_text, out);
    return json_error::none;
}

/// The reading half of parse_odata_error: `object_text` is a valid JSON object (validated
/// within the caller's depth budget) and `out` is reset.
inline void json_impl::read_odata_error(std::string_view object_text, odata_error& out) {
    odata_budget budget;
    odata_strings s;
    json_field details, inner;
    for_each_member(object_text, [&](std::string_view k, bool kesc, const json_field& v) noexcept {
        if (key_is(k, kesc, "details")) details = v;
        else if (key_is(k, kesc, "innererror")) inner = v;
        else read_odata_strings(k, kesc, v, s);
    });
    assign_code(s.code, out.code, budget);
    assign_field(s.message, out.message, budget);
    assign_field(s.target, out.target, budget);

    if (details.kind == json_kind::other && !details.raw.empty()) {
        if (details.raw.front() == '{') {
            push_detail(details, out.details, budget);
        } else if (details.raw.front() == '[') {
            for_each_element(details.raw, [&](const json_field& v) { return push_detail(v, out.details, budget); });
        }
    }

    for (int links = 0; links < max_innererror_links && is_object_field(inner); ++links) {
        json_field code, next;
        for_each_member(inner.raw, [&](std::string_view k, bool kesc, const json_field& v) noexcept {
            if (key_is(k, kesc, "code")) code = v;
            else if (key_is(k, kesc, "innererror")) next = v;
        });
        if (code.kind == json_kind::string) {
            out.innererror.emplace_back();
            assign_field(code, out.innererror.back(), budget);
        }
        inner = next;
    }
    if (is_object_field(inner)) budget.truncated = true; // a link beyond max_innererror_links
    out.truncated = budget.truncated;
}

inline json_error parse_error_field(const status_fields& f, odata_error& out, bool& has_error, int max_depth = 64);

/// For the body of an HTTP failure: validates it like scan_status_body and, when its top-level
/// "error" member (last one wins) is an object, parses that into `out` and sets has_error.
inline json_error parse_error_body(std::string_view body, odata_error& out, bool& has_error, int max_depth = 64) {
    has_error = false;
    json_impl::reset_odata_error(out);
    status_fields f;
    const json_error e = scan_status_body(body, f, max_depth);
    if (e != json_error::none) return e;
    return parse_error_field(f, out, has_error, max_depth);
}

/// The second half of parse_error_body, for a body already scanned (without error) by
/// scan_status_body with the same max_depth: parses its "error" member, if an object (`out`
/// is left as it is when there is none: pass a reset one). Saves the second scan of the body.
inline json_error parse_error_field(const status_fields& f, odata_error& out, bool& has_error, int max_depth) {
    has_error = false;
    if (!json_impl::is_object_field(f.error)) return json_error::none;
    // Already validated as part of the body (at depth 2, with the same max_depth, so within
    // the object's own budget of one less): parse_odata_error would validate it again, and
    // could not fail.
    (void)max_depth;
    json_impl::reset_odata_error(out);
    json_impl::read_odata_error(f.error.raw, out);
    has_error = true;
    return json_error::none;
}

} // namespace azmaps::lro::detail

#undef AZMAPS_LRO_JSON_SSE2
#undef AZMAPS_LRO_JSON_INLINE
#undef AZMAPS_LRO_JSON_NOINLINE

#endif
