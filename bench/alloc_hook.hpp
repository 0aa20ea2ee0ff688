// Benchmark-only: counts every heap allocation of the process by interposing glibc's malloc
// family (operator new ends up here too). Include in exactly one translation unit per binary.
//
//  - g_allocs: number of successful allocations (malloc, calloc, realloc, aligned forms)
//  - g_live:   bytes currently held, counted as malloc_usable_size + one size word (8 bytes),
//              i.e. what the request really costs in glibc's heap, not what was asked for
//  - g_peak:   high-water mark of g_live since the last reset_peak()
// Single-threaded use only (the benchmarks run one thread).
#ifndef AZMAPS_LRO_BENCH_ALLOC_HOOK_HPP
#define AZMAPS_LRO_BENCH_ALLOC_HOOK_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <malloc.h>

extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace azbench {
inline std::uint64_t g_allocs = 0;
inline std::int64_t g_live = 0;
inline std::int64_t g_peak = 0;

inline std::int64_t chunk_bytes(void* p) noexcept {
    return static_cast<std::int64_t>(malloc_usable_size(p) + sizeof(std::size_t));
}
inline void note_alloc(void* p) noexcept {
    if (p == nullptr) return;
    ++g_allocs;
    g_live += chunk_bytes(p);
    if (g_live > g_peak) g_peak = g_live;
}
inline void note_free(void* p) noexcept {
    if (p != nullptr) g_live -= chunk_bytes(p);
}
inline void reset_peak() noexcept { g_peak = g_live; }
} // namespace azbench

extern "C" {
void* malloc(std::size_t n) noexcept {
    void* p = __libc_malloc(n);
    azbench::note_alloc(p);
    return p;
}
void free(void* p) noexcept {
    azbench::note_free(p);
    __libc_free(p);
}
void* calloc(std::size_t n, std::size_t m) noexcept {
    void* p = __libc_calloc(n, m);
    azbench::note_alloc(p);
    return p;
}
void* realloc(void* old, std::size_t n) noexcept {
    const std::int64_t before = old ? azbench::chunk_bytes(old) : 0;
    void* p = __libc_realloc(old, n);
    if (p != nullptr || n == 0) azbench::g_live -= before;
    azbench::note_alloc(p);
    return p;
}
void* memalign(std::size_t a, std::size_t n) noexcept {
    void* p = __libc_memalign(a, n);
    azbench::note_alloc(p);
    return p;
}
void* aligned_alloc(std::size_t a, std::size_t n) noexcept { return memalign(a, n); }
int posix_memalign(void** out, std::size_t a, std::size_t n) noexcept {
    void* p = memalign(a, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
}

#endif
