// A main() for the fuzz harnesses without libFuzzer (GCC, or clang without -fsanitize=fuzzer),
// like fmt's FMT_FUZZ_LINKMAIN: it replays files and directories (recursively) through
// LLVMFuzzerTestOneInput, so that the committed corpus runs as an ordinary CTest test.
// Usage: <target>_replay PATH...   (also reads stdin when given "-"; AFL++ can drive it with @@)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
void run_bytes(const std::string& bytes) {
    // A copy in its own heap block, so that ASan sees a read past the end.
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
}

bool run_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) {
        std::cerr << "cannot read " << p << "\n";
        return false;
    }
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    run_bytes(bytes);
    return true;
}
} // namespace

int main(int argc, char** argv) {
    std::size_t files = 0;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-") {
            const std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
            run_bytes(bytes);
            ++files;
            continue;
        }
        std::error_code ec;
        const std::filesystem::path p(arg);
        if (std::filesystem::is_directory(p, ec)) {
            std::vector<std::filesystem::path> entries;
            for (const auto& e : std::filesystem::recursive_directory_iterator(p, ec))
                if (e.is_regular_file()) entries.push_back(e.path());
            std::sort(entries.begin(), entries.end());
            for (const auto& e : entries) {
                ok = run_file(e) && ok;
                ++files;
            }
        } else {
            ok = run_file(p) && ok;
            ++files;
        }
    }
    // Always one empty input too: every harness must take it.
    run_bytes(std::string());
    std::printf("replayed %zu inputs\n", files);
    return ok ? 0 : 1;
}
