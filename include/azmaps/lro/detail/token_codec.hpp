// azmaps-lro: the byte-level codec of resume tokens: varints, CRC-32, base64url.
#ifndef AZMAPS_LRO_DETAIL_TOKEN_CODEC_HPP
#define AZMAPS_LRO_DETAIL_TOKEN_CODEC_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace azmaps::lro::detail {

/// CRC-32 (IEEE, reflected), bitwise: tokens are small and this keeps the header table-free.
inline std::uint32_t crc32(std::string_view data) noexcept {
    std::uint32_t c = 0xFFFFFFFFu;
    for (const char ch : data) {
        c ^= static_cast<unsigned char>(ch);
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

inline void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

inline void put_bytes(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s.data(), s.size());
}

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

inline void put_u64(std::string& out, std::uint64_t v) {
    for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

/// Reads what the writers above wrote; every read is bounds-checked and sticky on failure.
class token_reader {
public:
    explicit token_reader(std::string_view data) noexcept : data_(data) {}

    bool ok() const noexcept { return ok_; }
    bool at_end() const noexcept { return pos_ == data_.size(); }
    std::size_t position() const noexcept { return pos_; }

    std::uint64_t varint() noexcept {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= data_.size()) return fail();
            const auto b = static_cast<unsigned char>(data_[pos_++]);
            v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        return fail();
    }

    std::uint8_t u8() noexcept {
        if (pos_ >= data_.size()) return static_cast<std::uint8_t>(fail());
        return static_cast<unsigned char>(data_[pos_++]);
    }

    std::uint32_t u32() noexcept {
        if (data_.size() - pos_ < 4) return static_cast<std::uint32_t>(fail());
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(data_[pos_++])) << (8 * k);
        return v;
    }

    std::uint64_t u64() noexcept {
        if (data_.size() - pos_ < 8) return fail();
        std::uint64_t v = 0;
        for (int k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(data_[pos_++])) << (8 * k);
        return v;
    }

    std::string_view bytes() noexcept {
        const std::uint64_t n = varint();
        if (!ok_ || n > data_.size() - pos_) {
            fail();
            return {};
        }
        std::string_view s = data_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }

private:
    std::uint64_t fail() noexcept {
        ok_ = false;
        pos_ = data_.size();
        return 0;
    }
    std::string_view data_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

constexpr char base64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 section 5): safe in URLs, shells and file names.
inline void base64url_encode(std::string_view in, std::string& out) {
    std::size_t i = 0;
    const auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k])); };
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        for (int s = 18; s >= 0; s -= 6) out.push_back(base64url_alphabet[(v >> s) & 63]);
    }
    const std::size_t rest = in.size() - i;
    if (rest == 1) {
        const std::uint32_t v = at(i) << 16;
        out.push_back(base64url_alphabet[(v >> 18) & 63]);
        out.push_back(base64url_alphabet[(v >> 12) & 63]);
    } else if (rest == 2) {
        const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
        out.push_back(base64url_alphabet[(v >> 18) & 63]);
        out.push_back(base64url_alphabet[(v >> 12) & 63]);
        out.push_back(base64url_alphabet[(v >> 6) & 63]);
    }
}

constexpr int base64url_value(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? c - 'A'
         : (c >= 'a' && c <= 'z') ? c - 'a' + 26
         : (c >= '0' && c <= '9') ? c - '0' + 52
         : c == '-' ? 62 : c == '_' ? 63 : -1;
}

/// Strict: no padding, no whitespace, no non-zero trailing bits. False on any other byte.
inline bool base64url_decode(std::string_view in, std::string& out) {
    if (in.size() % 4 == 1) return false;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        const int v = base64url_value(c);
        if (v < 0) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return (acc & ((1u << bits) - 1u)) == 0; // canonical: leftover bits are zero
}

} // namespace azmaps::lro::detail

#endif
