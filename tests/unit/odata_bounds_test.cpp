// Bounded memory for every error body: what an OData error keeps is capped (detail/json.hpp:
// 64 details, 64 innererror links, 4096 bytes a string, 64 KiB of strings in all) and marked
// `truncated`, so that a failed answer costs the same small amount of heap whatever the size of
// its body (up to the 64 MiB cap of max_body_bytes) and the number of its details. Heap bytes
// are counted with a replaced global operator new, not guessed.
#include <azmaps/lro.hpp>
#include <azmaps/lro/detail/json.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

// GCC inlines the replaced operator delete into callers and then sees free() on memory that
// came from `new`; here both sides are ours and agree (malloc/free), so silence that warning.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<std::size_t> g_bytes{0};
std::atomic<long> g_count{0};
std::atomic<bool> g_counting{false};
// While counting, a request that would take the total past this fails the process at once (on
// an unbounded parser a 64 MiB body would otherwise ask for gigabytes before any assertion).
constexpr std::size_t hard_cap = std::size_t{256} << 20;

void* counted(std::size_t n) {
    if (g_counting.load(std::memory_order_relaxed)) {
        g_count.fetch_add(1, std::memory_order_relaxed);
        if (g_bytes.fetch_add(n, std::memory_order_relaxed) + n > hard_cap) {
            std::fputs("odata_bounds_test: more than 256 MiB allocated for one answer\n", stderr);
            std::abort();
        }
    }
    return std::malloc(n == 0 ? 1 : n);
}
} // namespace

void* operator new(std::size_t n) {
    if (void* p = counted(n)) return p;
    std::abort();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace lro = azmaps::lro;
namespace d = azmaps::lro::detail;

namespace {

struct counting_scope {
    counting_scope() {
        g_bytes = 0;
        g_count = 0;
        g_counting = true;
    }
    ~counting_scope() { g_counting = false; }
    std::size_t bytes() const { return g_bytes.load(); }
};

lro::time_point at(std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); }

/// `{"error":{...,"details":[item,item,...]}}` (with a status when `status` is not empty),
/// padded with more items up to exactly `size` bytes (the last items may be shorter).
std::string details_body(std::size_t size, const std::string& item, const std::string& status) {
    std::string head = "{";
    if (!status.empty()) head += "\"status\":\"" + status + "\",";
    head += "\"error\":{\"code\":\"TooMany\",\"message\":\"m\",\"details\":[";
    const std::string tail = "]}}";
    std::string body = head;
    body.reserve(size);
    bool first = true;
    while (body.size() + item.size() + 1 + tail.size() <= size) {
        if (!first) body += ',';
        body += item;
        first = false;
    }
    while (body.size() + 3 + tail.size() <= size) body += ",{}";
    while (body.size() + tail.size() < size) body += ' ';
    body += tail;
    return body;
}

/// A failed poll answer (status 200, "Failed") or a failed submit (400) with this body, fed to a
/// machine with these options; the heap bytes the failing step allocated, and the error.
struct failed_step {
    std::size_t bytes = 0;
    lro::odata_error error;
    bool has_error = false;
};

failed_step fail_with(const std::string& body, int how, std::size_t max_body_bytes) {
    lro::options o;
    o.max_body_bytes = max_body_bytes;
    auto op = lro::operation::start("POST", "https://us.atlas.microsoft.com/mapData?api-version=2.0", o);
    EXPECT_TRUE(op.has_value());
    failed_step r;
    if (!op) return r;
    if (how == 200) {
        const lro::header accept[] = {{"Operation-Location", "https://us.atlas.microsoft.com/mapData/operations/1?api-version=2.0"}};
        EXPECT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({202, accept, ""}, at(0))));
    }
    lro::action a = lro::refused{lro::errc::not_expected};
    {
        counting_scope scope;
        a = op->on_response({how == 200 ? 200 : 400, {}, body}, at(1000));
        r.bytes = scope.bytes();
    }
    const auto* f = std::get_if<lro::failed>(&a);
    EXPECT_NE(f, nullptr);
    if (f != nullptr && f->error != nullptr) {
        r.error = *f->error;
        r.has_error = true;
    }
    return r;
}

lro::odata_error parse(const std::string& text, int max_depth = 64) {
    lro::odata_error e;
    EXPECT_EQ(d::parse_odata_error(text, e, max_depth), d::json_error::none) << text.substr(0, 200);
    return e;
}

std::string n_details(std::size_t n, const std::string& item) {
    std::string s = "{\"details\":[";
    for (std::size_t i = 0; i < n; ++i) s += (i ? "," : "") + item;
    return s + "]}";
}

std::string inner_chain(int links) {
    std::string s = "{\"code\":\"outer\"";
    for (int i = 0; i < links; ++i) s += ",\"innererror\":{\"code\":\"c" + std::to_string(i) + "\"";
    for (int i = 0; i < links; ++i) s += "}";
    return s + "}";
}

std::size_t kept_bytes(const lro::odata_error& e) {
    std::size_t n = e.code.size() + e.message.size() + e.target.size();
    for (const auto& x : e.details) n += x.code.size() + x.message.size() + x.target.size();
    for (const auto& c : e.innererror) n += c.size();
    return n;
}

} // namespace

TEST(ODataBounds, CapsAreWhatTheDecisionsSay) {
    EXPECT_EQ(d::max_odata_details, 64u);
    EXPECT_EQ(d::max_innererror_links, 64);
    EXPECT_EQ(d::max_odata_string_bytes, 4096u);
    EXPECT_EQ(d::max_odata_total_bytes, 65536u);
}

TEST(ODataBounds, DetailsCappedAt64) {
    const auto e64 = parse(n_details(64, R"({"code":"x"})"));
    EXPECT_EQ(e64.details.size(), 64u);
    EXPECT_FALSE(e64.truncated);
    const auto e65 = parse(n_details(65, R"({"code":"x"})"));
    ASSERT_EQ(e65.details.size(), 64u);
    EXPECT_TRUE(e65.truncated);
    EXPECT_EQ(e65.details[63].code, "x");
    // only objects are details: 64 objects among other values are not a truncation
    std::string mixed = "{\"details\":[1,\"s\",null";
    for (int i = 0; i < 64; ++i) mixed += ",{},[{}]";
    mixed += ",true]}";
    const auto em = parse(mixed);
    EXPECT_EQ(em.details.size(), 64u);
    EXPECT_FALSE(em.truncated);
    // the first 64, in order
    std::string numbered = "{\"details\":[";
    for (int i = 0; i < 100; ++i) numbered += (i ? ",{\"code\":\"" : "{\"code\":\"") + std::to_string(i) + "\"}";
    const auto en = parse(numbered + "]}");
    ASSERT_EQ(en.details.size(), 64u);
    for (int i = 0; i < 64; ++i) EXPECT_EQ(en.details[static_cast<std::size_t>(i)].code, std::to_string(i));
    EXPECT_TRUE(en.truncated);
}

TEST(ODataBounds, InnererrorChainCappedAt64) {
    const auto e64 = parse(inner_chain(64), 200);
    EXPECT_EQ(e64.innererror.size(), 64u);
    EXPECT_FALSE(e64.truncated);
    const auto e65 = parse(inner_chain(65), 200);
    ASSERT_EQ(e65.innererror.size(), 64u);
    EXPECT_EQ(e65.innererror.back(), "c63");
    EXPECT_TRUE(e65.truncated);
}

TEST(ODataBounds, StringsCutAt4096BytesOnACharacterBoundary) {
    const std::string a4096(4096, 'a');
    auto e = parse("{\"message\":\"" + a4096 + "\"}");
    EXPECT_EQ(e.message, a4096);
    EXPECT_FALSE(e.truncated);
    e = parse("{\"message\":\"" + a4096 + "b\"}");
    EXPECT_EQ(e.message, a4096);
    EXPECT_TRUE(e.truncated);
    // a 2-byte character across the cut is dropped whole
    const std::string a4095(4095, 'a');
    e = parse("{\"code\":\"" + a4095 + "\xC3\xA9\"}");
    EXPECT_EQ(e.code, a4095);
    EXPECT_TRUE(e.truncated);
    // a 4-byte character (escaped as a surrogate pair) across the cut, in a detail
    e = parse("{\"details\":{\"target\":\"" + std::string(4094, 'a') + "\\ud83d\\ude00z\"}}");
    ASSERT_EQ(e.details.size(), 1u);
    EXPECT_EQ(e.details[0].target, std::string(4094, 'a'));
    EXPECT_TRUE(e.truncated);
    // escaped text: the cut counts decoded bytes (2049 x U+00E9 = 4098 bytes -> 2048 of them)
    std::string esc, want;
    for (int i = 0; i < 2049; ++i) esc += "\\u00e9";
    for (int i = 0; i < 2048; ++i) want += "\xC3\xA9";
    e = parse("{\"message\":\"x" + esc + "\"}");
    EXPECT_EQ(e.message, "x" + want.substr(0, 4094)); // 'x' + 2047 characters: 4095 bytes
    EXPECT_TRUE(e.truncated);
    e = parse("{\"message\":\"" + esc.substr(0, 6 * 2048) + "\"}");
    EXPECT_EQ(e.message, want); // exactly 4096 decoded bytes: nothing cut
    EXPECT_FALSE(e.truncated);
    // innererror codes too
    e = parse("{\"innererror\":{\"code\":\"" + a4096 + "cc\"}}");
    ASSERT_EQ(e.innererror.size(), 1u);
    EXPECT_EQ(e.innererror[0], a4096);
    EXPECT_TRUE(e.truncated);
}

TEST(ODataBounds, AllStringsTogetherAtMost64KiB) {
    // 64 details of three 4000-byte strings: 768,000 bytes offered, 65,536 kept.
    const std::string s4000(4000, 'q');
    const std::string item = "{\"code\":\"" + s4000 + "\",\"message\":\"" + s4000 + "\",\"target\":\"" + s4000 + "\"}";
    const auto e = parse(n_details(64, item));
    EXPECT_EQ(e.details.size(), 64u);
    EXPECT_EQ(kept_bytes(e), d::max_odata_total_bytes);
    EXPECT_TRUE(e.truncated);
    // document order: the first 16 strings whole, the 17th cut to what is left, then empties
    for (std::size_t i = 0; i < 16; ++i) {
        const auto& x = e.details[i / 3];
        const std::string& s = i % 3 == 0 ? x.code : i % 3 == 1 ? x.message : x.target;
        EXPECT_EQ(s, s4000) << i;
    }
    EXPECT_EQ(e.details[5].message, std::string(65536 - 16 * 4000, 'q'));
    EXPECT_TRUE(e.details[5].target.empty());
    EXPECT_TRUE(e.details[6].code.empty());
    EXPECT_TRUE(e.details[63].target.empty());
}

TEST(ODataBounds, TruncatedTakesPartInEqualityAndIsReset) {
    lro::odata_error a, b;
    b.truncated = true;
    EXPECT_NE(a, b);
    b.truncated = false;
    EXPECT_EQ(a, b);
    lro::odata_error e = parse(n_details(65, "{}"));
    ASSERT_TRUE(e.truncated);
    ASSERT_EQ(d::parse_odata_error(R"({"code":"x"})", e), d::json_error::none);
    EXPECT_FALSE(e.truncated);
    bool has = false;
    e.truncated = true;
    ASSERT_EQ(d::parse_error_body(R"({"error":{"code":"x"}})", e, has), d::json_error::none);
    EXPECT_TRUE(has);
    EXPECT_FALSE(e.truncated);
    e.truncated = true;
    ASSERT_EQ(d::parse_error_body("{}", e, has), d::json_error::none);
    EXPECT_FALSE(has);
    EXPECT_FALSE(e.truncated);
}

// The heap a failed answer costs: bounded, and the same for 1 MiB and for 64 MiB of details.
TEST(ODataBounds, FailedAnswerHeapIndependentOfBodySize) {
    const std::size_t bound = 2 * d::max_odata_total_bytes; // 128 KiB
    const std::size_t mib = std::size_t{1} << 20, cap = std::size_t{64} << 20;
    for (int how : {200, 400}) {
        const std::string status = how == 200 ? "Failed" : "";
        // ~350,000 empty details in 1 MiB (the default max_body_bytes)
        const failed_step small = fail_with(details_body(mib, "{}", status), how, mib);
        ASSERT_TRUE(small.has_error) << how;
        EXPECT_EQ(small.error.details.size(), 64u);
        EXPECT_TRUE(small.error.truncated);
        EXPECT_EQ(small.error.code, "TooMany");
        EXPECT_LE(small.bytes, bound) << how;
        // ~22 million in 64 MiB (the cap of max_body_bytes): not one byte more
        const failed_step big = fail_with(details_body(cap, "{}", status), how, cap);
        ASSERT_TRUE(big.has_error) << how;
        EXPECT_EQ(big.error, small.error);
        EXPECT_EQ(big.bytes, small.bytes) << how;
        std::printf("status %d: the failing step allocated %zu heap bytes for 1 MiB and %zu for 64 MiB of details\n", how,
                    small.bytes, big.bytes);
    }
}

// The worst shape: every detail carries long strings (escaped ones too), up to 64 MiB.
TEST(ODataBounds, FailedAnswerHeapBoundedWithLongStrings) {
    const std::size_t bound = 2 * d::max_odata_total_bytes;
    const std::size_t cap = std::size_t{64} << 20;
    const std::string plain(6000, 'p');
    std::string escaped;
    for (int i = 0; i < 1500; ++i) escaped += "\\u00e9"; // 9000 bytes of text, 3000 decoded
    const std::string item = "{\"code\":\"" + plain + "\",\"message\":\"" + escaped + "\",\"target\":\"" + plain + "\"}";
    for (std::size_t size : {std::size_t{1} << 20, cap}) {
        for (int how : {200, 400}) {
            const failed_step r = fail_with(details_body(size, item, how == 200 ? "Failed" : ""), how, cap);
            ASSERT_TRUE(r.has_error);
            EXPECT_TRUE(r.error.truncated);
            EXPECT_EQ(r.error.details.size(), 64u);
            EXPECT_LE(kept_bytes(r.error), d::max_odata_total_bytes);
            EXPECT_LE(r.bytes, bound) << size << " " << how;
        }
    }
}

// One message that fills a 64 MiB body costs its 4096-byte cap, not 64 MiB.
TEST(ODataBounds, OneHugeMessageCostsAtMostItsCap) {
    const std::size_t cap = std::size_t{64} << 20;
    const std::string body = "{\"status\":\"Failed\",\"error\":{\"code\":\"Big\",\"message\":\"" +
                             std::string(cap - 100, 'm') + "\"}}";
    const failed_step r = fail_with(body, 200, cap);
    ASSERT_TRUE(r.has_error);
    EXPECT_EQ(r.error.message.size(), d::max_odata_string_bytes);
    EXPECT_TRUE(r.error.truncated);
    EXPECT_LE(r.bytes, 2 * d::max_odata_total_bytes);
}

// The cap for a code taken from the x-ms-error-code header (any bytes): the same 4096 bytes.
TEST(ODataBounds, AssignCappedForHeaderStrings) {
    std::string dst;
    bool truncated = false;
    d::assign_capped(dst, std::string(4096, 'h'), truncated);
    EXPECT_EQ(dst, std::string(4096, 'h'));
    EXPECT_FALSE(truncated);
    d::assign_capped(dst, std::string(100000, 'h'), truncated);
    EXPECT_EQ(dst, std::string(4096, 'h'));
    EXPECT_TRUE(truncated);
    truncated = false;
    d::assign_capped(dst, std::string(4094, 'h') + "\xE2\x82\xAC", truncated); // U+20AC across the cut
    EXPECT_EQ(dst, std::string(4094, 'h'));
    EXPECT_TRUE(truncated);
    truncated = false;
    d::assign_capped(dst, std::string(4096, 'h') + "\xE2\x82\xAC", truncated); // cut just before it
    EXPECT_EQ(dst, std::string(4096, 'h'));
    EXPECT_TRUE(truncated);
    truncated = false;
    d::assign_capped(dst, std::string(4090, 'h') + std::string(10, '\x80'), truncated); // not UTF-8: a plain cut
    EXPECT_EQ(dst.size(), 4096u);
    EXPECT_TRUE(truncated);
}
