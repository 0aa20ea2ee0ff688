// Built only with -DAZMAPS_LRO_REQUIRE_ASSERTS=ON (stage 4 of tools/test.sh): that stage must
// run the library with its assertions compiled in, operation.hpp's enter() transition check
// above all. A build type or flag that adds NDEBUG to the stage breaks its build here.
#include <azmaps/lro/operation.hpp>

#include <gtest/gtest.h>

#include <cassert>

#ifdef NDEBUG
#error "AZMAPS_LRO_REQUIRE_ASSERTS: this build defines NDEBUG, so the library's assertions are compiled out"
#endif

namespace {
int fails_assertion(int x) {
    assert(x == 0 && "assertion reached");
    return x;
}
} // namespace

// The assertion is live in a translation unit built with the same flags as every other test.
TEST(BuildConfig, AssertionsAreCompiledIn) {
    EXPECT_EQ(fails_assertion(0), 0);
    EXPECT_DEATH(fails_assertion(1), "assertion reached");
}
