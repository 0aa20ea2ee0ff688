// Property 6: the status-body scanner and the OData error parser against nlohmann::json;
// property 7 (JSON part): unescaping round-trips any valid Unicode string.
#include "generators.hpp"

#include "lro_invariants.hpp" // ref::same_error

#include <azmaps/lro/detail/json.hpp>

#include <gtest/gtest.h>

#include <rapidcheck/gtest.h>

using namespace lro_prop;
using nlohmann::json;
namespace d = azmaps::lro::detail;

namespace {

/// Random formatting choices, consumed in a cycle.
struct chooser {
    std::vector<std::uint8_t> bytes;
    std::size_t i = 0;
    std::uint8_t next() { return bytes.empty() ? 0 : bytes[i++ % bytes.size()]; }
};

void ws(std::string& out, chooser& c) {
    static const char spaces[] = {' ', '\t', '\n', '\r'};
    for (int n = 0; n < 3 && c.next() % 5 == 0; ++n) out += spaces[c.next() % 4];
}

void hex4(std::string& out, std::uint32_t v, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    out += "\\u";
    for (int s = 12; s >= 0; s -= 4) out += digits[(v >> s) & 15];
}

/// Decodes UTF-8 (assumed valid) to code points.
std::vector<std::uint32_t> code_points(const std::string& s) {
    std::vector<std::uint32_t> cps;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::uint32_t cp;
        std::size_t n;
        if (c < 0x80) cp = c, n = 1;
        else if (c < 0xE0) cp = c & 0x1F, n = 2;
        else if (c < 0xF0) cp = c & 0x0F, n = 3;
        else cp = c & 0x07, n = 4;
        for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        cps.push_back(cp);
        i += n;
    }
    return cps;
}

/// A JSON string body for valid UTF-8 `s`, escaped at random (never as nlohmann would).
std::string escape(const std::string& s, chooser& c) {
    std::string out;
    for (std::uint32_t cp : code_points(s)) {
        const std::uint8_t r = c.next();
        const bool must = cp < 0x20 || cp == '"' || cp == '\\';
        if (!must && r % 6 != 0) {
            char buf[4];
            out.append(buf, d::json_impl::encode_utf8(cp, buf));
            continue;
        }
        if (r % 3 == 0) {
            switch (cp) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case '/': out += "\\/"; continue;
            case '\b': out += "\\b"; continue;
            case '\f': out += "\\f"; continue;
            case '\n': out += "\\n"; continue;
            case '\r': out += "\\r"; continue;
            case '\t': out += "\\t"; continue;
            default: break;
            }
        }
        if (cp >= 0x10000) {
            const std::uint32_t v = cp - 0x10000;
            hex4(out, 0xD800 + (v >> 10), r & 64);
            hex4(out, 0xDC00 + (v & 0x3FF), r & 128);
        } else {
            hex4(out, cp, r & 64);
        }
    }
    return out;
}

std::string emit(const json& v, chooser& c) {
    std::string out;
    ws(out, c);
    if (v.is_object()) {
        out += '{';
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!first) out += ',';
            first = false;
            ws(out, c);
            out += '"' + escape(it.key(), c) + '"';
            ws(out, c);
            out += ':';
            out += emit(it.value(), c);
        }
        ws(out, c);
        out += '}';
    } else if (v.is_array()) {
        out += '[';
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out += ',';
            out += emit(v[i], c);
        }
        ws(out, c);
        out += ']';
    } else if (v.is_string()) {
        out += '"' + escape(v.get<std::string>(), c) + '"';
    } else {
        out += v.dump();
    }
    ws(out, c);
    return out;
}

bool valid_utf8_json(const json& v) { return dump(v).has_value(); }

/// The expected OData error (PROTOCOL.md 6, 10.15) of an "error" value, from nlohmann.
std::optional<lro::odata_error> reference_error(const json& e) {
    if (!e.is_object()) return std::nullopt;
    auto str = [](const json& o, const char* k) {
        const auto it = o.find(k);
        return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    // FAMILY.md 4.5: a numeric code is kept as its JSON text (compared with ref::same_error()).
    auto code = [&](const json& o) {
        const auto it = o.find("code");
        return it != o.end() && it->is_number() ? it->dump() : str(o, "code");
    };
    lro::odata_error r;
    r.code = code(e);
    r.message = str(e, "message");
    r.target = str(e, "target");
    if (const auto it = e.find("details"); it != e.end()) {
        auto one = [&](const json& x) {
            if (x.is_object()) r.details.push_back({code(x), str(x, "message"), str(x, "target")});
        };
        if (it->is_object()) one(*it);
        else if (it->is_array())
            for (const json& x : *it) one(x);
    }
    const json* inner = e.contains("innererror") ? &e["innererror"] : nullptr;
    for (int links = 0; links < d::max_innererror_links && inner && inner->is_object(); ++links) {
        if (const auto it = inner->find("code"); it != inner->end() && it->is_string()) r.innererror.push_back(it->get<std::string>());
        inner = inner->contains("innererror") ? &(*inner)["innererror"] : nullptr;
    }
    return r;
}

int depth_of(const json& v) {
    if (!v.is_structured()) return 0;
    int m = 0;
    for (const json& x : v) m = std::max(m, depth_of(x));
    return m + 1;
}

} // namespace

// P6: for generated JSON objects (with duplicate keys and random escaping and whitespace),
// scan_status_body extracts the same fields as nlohmann, and parse_error_body the same error.
RC_GTEST_PROP(JsonProperty, ScannerAgreesWithNlohmann, ()) {
    const json base = *gen_status_object();
    if (!valid_utf8_json(base)) RC_DISCARD("invalid UTF-8 in a generated string");
    // Top-level members as a list, so that keys may repeat (the last one wins).
    std::vector<std::pair<std::string, json>> members;
    for (auto it = base.begin(); it != base.end(); ++it) members.emplace_back(it.key(), it.value());
    const auto dups = *rc::gen::container<std::vector<std::pair<int, json>>>(
        rc::gen::pair(rc::gen::inRange(0, 6), rc::gen::map(gen_json_text_string(), [](std::string s) { return json(s); })));
    static const char* const keys[] = {"status", "operationId", "created", "createdDateTime", "resourceLocation", "error"};
    for (const auto& [k, v] : dups)
        if (valid_utf8_json(v)) members.insert(members.begin() + static_cast<std::ptrdiff_t>(members.size() / 2), {keys[k], v});
    chooser c{*rc::gen::arbitrary<std::vector<std::uint8_t>>()};
    std::string text;
    ws(text, c);
    text += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) text += ',';
        ws(text, c);
        text += '"' + escape(members[i].first, c) + '"';
        ws(text, c);
        text += ':' + emit(members[i].second, c);
    }
    text += '}';
    ws(text, c);
    RC_LOG() << text << "\n";

    // nlohmann agrees that it is this value.
    const json parsed = json::parse(text);
    d::status_fields f;
    RC_ASSERT(d::scan_status_body(text, f) == d::json_error::none);
    auto check = [&](const char* key, const d::json_field& field) {
        if (!parsed.contains(key)) {
            RC_ASSERT(field.kind == d::json_kind::absent);
            return;
        }
        const json& want = parsed[key];
        if (want.is_null()) {
            RC_ASSERT(field.kind == d::json_kind::null);
        } else if (want.is_string()) {
            RC_ASSERT(field.kind == d::json_kind::string);
            std::string got;
            RC_ASSERT(d::unescape_json_string(field.raw, got));
            RC_ASSERT(got == want.get<std::string>());
        } else {
            RC_ASSERT(field.kind == d::json_kind::other);
            RC_ASSERT(json::parse(field.raw) == want);
        }
    };
    check("status", f.status);
    check("operationId", f.operation_id);
    check("created", f.created);
    check("createdDateTime", f.created_date_time);
    check("resourceLocation", f.resource_location);
    check("error", f.error);

    lro::odata_error err;
    bool has = false;
    RC_ASSERT(d::parse_error_body(text, err, has) == d::json_error::none);
    const auto want = parsed.contains("error") ? reference_error(parsed["error"]) : std::nullopt;
    RC_ASSERT(has == want.has_value());
    if (want) RC_ASSERT(azmaps_lro_check::ref::same_error(err, *want));
}

namespace {

// The oracle's known departures from RFC 8259, handled explicitly rather than discarded:
//  1. nlohmann's lexer reads a NUL byte where a token may start as the end of its input, so it
//     accepts a complete value followed by NUL and anything ("{...}\0x"). RFC 8259 allows only
//     whitespace after the value: the scanner must say `trailing`.
//  2. nlohmann skips a UTF-8 byte order mark before the value; RFC 8259 8.1 says a parser MAY
//     ignore it, PROTOCOL.md's bodies never carry one: the scanner refuses it (not `none`).
//  3. nlohmann accepts any depth; the scanner refuses objects nested deeper than 64 (`depth`).
//  4. nlohmann refuses a number beyond the range of a double (its error 406, e.g. 1e999);
//     RFC 8259's grammar allows it and the scanner, which keeps no number, accepts it. Such a
//     text says nothing about the rest of the oracle's verdict: the case is discarded.
// Returns the scanner's expected verdict for `text`: none, or the one error it must give, or
// nullopt when any error will do.
/// Did nlohmann stop at a number it cannot hold (quirk 4)?
bool number_overflow(const std::string& text) {
    struct probe : nlohmann::json_sax<json> {
        bool overflow = false;
        bool null() override { return true; }
        bool boolean(bool) override { return true; }
        bool number_integer(json::number_integer_t) override { return true; }
        bool number_unsigned(json::number_unsigned_t) override { return true; }
        bool number_float(json::number_float_t, const std::string&) override { return true; }
        bool string(std::string&) override { return true; }
        bool binary(json::binary_t&) override { return true; }
        bool start_object(std::size_t) override { return true; }
        bool key(std::string&) override { return true; }
        bool end_object() override { return true; }
        bool start_array(std::size_t) override { return true; }
        bool end_array() override { return true; }
        bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
            overflow = ex.id == 406;
            return false;
        }
    } p;
    json::sax_parse(text, &p);
    return p.overflow;
}

std::optional<d::json_error> expected_verdict(const std::string& text) {
    const std::size_t nul = text.find('\0');
    if (nul != std::string::npos && json::accept(text)) {
        // Quirk 1: nlohmann stopped at the NUL; what it read must itself be a whole value.
        const std::string prefix = text.substr(0, nul);
        RC_ASSERT(json::accept(prefix));
        const json v = json::parse(prefix);
        if (v.is_object() && depth_of(v) <= 64) return d::json_error::trailing;
        return std::nullopt;
    }
    if (text.rfind("\xEF\xBB\xBF", 0) == 0 && json::accept(text)) return std::nullopt; // quirk 2
    if (!json::accept(text)) {
        if (number_overflow(text)) RC_DISCARD("nlohmann refuses a number beyond a double (quirk 4)");
        return std::nullopt;
    }
    const json v = json::parse(text);
    if (!v.is_object()) return d::json_error::not_object;
    if (depth_of(v) > 64) return d::json_error::depth; // quirk 3
    return d::json_error::none;
}

void check_verdict(const std::string& text) {
    d::status_fields f;
    const d::json_error e = d::scan_status_body(text, f);
    RC_LOG() << text << " -> " << d::to_string(e) << "\n";
    const auto want = expected_verdict(text);
    if (want) RC_ASSERT(e == *want);
    else RC_ASSERT(e != d::json_error::none);
}

} // namespace

// P6: on damaged texts the scanner accepts exactly what nlohmann accepts (objects of depth
// <= 64), apart from the oracle's quirks above, and returns a value or an error for any bytes
// (sanitizers check "never UB").
RC_GTEST_PROP(JsonProperty, ValidityAgreesWithNlohmannOnDamagedText, ()) {
    const json base = *gen_status_object();
    const auto text0 = dump(base);
    if (!text0) RC_DISCARD("invalid UTF-8 in a generated string");
    check_verdict(*gen_mutated(*text0));
}

// The quirks as fixed examples (the first is the case that failed about 1 run in 30).
TEST(JsonProperty, OracleQuirksAreHandled) {
    using namespace std::string_literals;
    const auto verdict = [](const std::string& t) {
        d::status_fields f;
        return d::scan_status_body(t, f);
    };
    const std::string nul_after = R"({"operationId":"c587574e","status":""})"s + '\0';
    ASSERT_TRUE(json::accept(nul_after)); // the oracle's quirk, still there
    EXPECT_EQ(verdict(nul_after), d::json_error::trailing);
    EXPECT_EQ(verdict(R"({"status":"Running"})"s + '\0' + "garbage"), d::json_error::trailing);
    EXPECT_EQ(verdict(R"({"status":"Running"} )"s + '\0'), d::json_error::trailing);
    EXPECT_NE(verdict(R"({"status":)"s + '\0' + R"("Running"})"), d::json_error::none);
    EXPECT_NE(verdict("\xEF\xBB\xBF{\"status\":\"Running\"}"), d::json_error::none);
    // nlohmann accepts any depth; the scanner refuses 65 levels before it sees the array is no
    // object (PROTOCOL.md 10.14: deeper than 64 is bad).
    EXPECT_EQ(verdict(std::string(65, '[') + std::string(65, ']')), d::json_error::depth);
    std::string deep = "{\"a\":";
    for (int i = 0; i < 64; ++i) deep += '[';
    for (int i = 0; i < 64; ++i) deep += ']';
    deep += '}';
    EXPECT_EQ(verdict(deep), d::json_error::depth);
    EXPECT_FALSE(json::accept(R"({"status":"Running","n":1e999})")); // quirk 4, still there
    EXPECT_EQ(verdict(R"({"status":"Running","n":1e999})"), d::json_error::none);
    EXPECT_EQ(verdict(R"({"status":"Running","n":-1e999})"), d::json_error::none);
}

// Any bytes: a value or an error, never a crash (run under ASan/UBSan by stage 4 of tools/test.sh).
RC_GTEST_PROP(JsonProperty, AnyBytesGiveAValueOrAnError, (const std::string& bytes)) {
    d::status_fields f;
    const d::json_error e = d::scan_status_body(bytes, f);
    lro::odata_error err;
    bool has = false;
    const d::json_error pe = d::parse_error_body(bytes, err, has);
    RC_ASSERT((e == d::json_error::none) == (pe == d::json_error::none));
    // The bytes as the inside of a JSON string: they decode exactly when nlohmann reads the
    // quoted text as a string (no quirk applies inside a string: NUL is a control character).
    std::string s;
    const bool ok = d::unescape_json_string(bytes, s);
    const std::string quoted = "\"" + bytes + "\"";
    RC_ASSERT(ok == json::accept(quoted));
    if (ok) RC_ASSERT(json::parse(quoted).get<std::string>() == s);
}

// P7: unescaping round-trips any valid Unicode string, however it was escaped.
RC_GTEST_PROP(JsonProperty, UnescapeRoundTrips, ()) {
    const auto cps = *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::weightedOneOf<std::uint32_t>({
        {4, rc::gen::inRange<std::uint32_t>(0, 0x80)},
        {2, rc::gen::inRange<std::uint32_t>(0x80, 0xD800)},
        {1, rc::gen::inRange<std::uint32_t>(0xE000, 0x10000)},
        {2, rc::gen::inRange<std::uint32_t>(0x10000, 0x110000)},
    }));
    std::string want;
    for (std::uint32_t cp : cps) {
        char buf[4];
        want.append(buf, d::json_impl::encode_utf8(cp, buf));
    }
    chooser c{*rc::gen::arbitrary<std::vector<std::uint8_t>>()};
    const std::string raw = escape(want, c);
    RC_LOG() << raw << "\n";
    std::string got;
    RC_ASSERT(d::unescape_json_string(raw, got));
    RC_ASSERT(got == want);
    std::vector<char> buf(raw.size() + 1);
    RC_ASSERT(d::unescape_json_string(raw, buf.data(), buf.size()) == want.size());
    RC_ASSERT(std::string(buf.data(), want.size()) == want);
    // The same text, as nlohmann reads it.
    RC_ASSERT(json::parse("\"" + raw + "\"").get<std::string>() == want);
    // Too small a buffer is refused, never overrun.
    if (!want.empty()) RC_ASSERT(d::unescape_json_string(raw, buf.data(), want.size() - 1) == SIZE_MAX);
}
