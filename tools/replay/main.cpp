// lro-replay: replays test vectors (VECTORS.md) through the azmaps-lro machine.
//
//   lro-replay FILE...          print each step's action as one JSON line
//   lro-replay --check FILE...  compare with each vector's `expect`: PASS/FAIL lines, a summary
//   lro-replay --help
#include "vector.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

void usage(std::FILE* out) {
    std::fputs("usage: lro-replay [--check] FILE...\n"
               "\n"
               "Replays azmaps-lro test vectors (tests/vectors/*.json; format in docs/vectors.md).\n"
               "\n"
               "  lro-replay FILE...          print, for each step, the machine's action as one JSON line\n"
               "                              (with several files, each block starts with '# FILE');\n"
               "                              the files need no \"expect\" list (a raw capture will do)\n"
               "  lro-replay --check FILE...  compare each vector with its \"expect\" list: prints\n"
               "                              'PASS name' or 'FAIL name: step N: expected ... got ...',\n"
               "                              then 'N passed, N failed'\n"
               "  lro-replay --help           this text\n"
               "\n"
               "Exit status: 0 when every file was read (and, with --check, every vector passed);\n"
               "1 on a failed vector or a malformed file; 2 on a usage error.\n",
               out);
}

void put_line(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
}

} // namespace

int main(int argc, char** argv) {
    bool check = false;
    bool options_done = false;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (!options_done && std::strcmp(a, "--") == 0) {
            options_done = true;
        } else if (!options_done && (std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0)) {
            usage(stdout);
            return 0;
        } else if (!options_done && std::strcmp(a, "--check") == 0) {
            check = true;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            std::fprintf(stderr, "lro-replay: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else {
            files.emplace_back(a);
        }
    }
    if (files.empty()) {
        std::fputs("lro-replay: no vector file given\n", stderr);
        usage(stderr);
        return 2;
    }

    int status = 0;
    if (check) {
        std::size_t passed = 0, failed = 0;
        for (const std::string& f : files) {
            const azmaps::lro::vectors::check_result r = azmaps::lro::vectors::check_file(f);
            put_line(r.message);
            (r.passed ? passed : failed) += 1;
        }
        std::printf("%zu passed, %zu failed\n", passed, failed);
        status = failed == 0 ? 0 : 1;
    } else {
        for (const std::string& f : files) {
            const azmaps::lro::vectors::load_result l = azmaps::lro::vectors::load_file(f, azmaps::lro::vectors::expect_required::no);
            if (!l) {
                std::fflush(stdout);
                std::fprintf(stderr, "lro-replay: %s\n", l.error.c_str());
                status = 1;
                continue;
            }
            if (files.size() > 1) put_line("# " + f);
            for (const auto& action : azmaps::lro::vectors::run(*l.vector))
                put_line(azmaps::lro::vectors::to_line(action));
        }
    }
    std::fflush(stdout);
    return status;
}
