// The diagram in docs/state-machine.md, the table in transitions.hpp and the machine agree.
#include <azmaps/lro.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace lro = azmaps::lro;
using edge = std::pair<std::string, std::string>;

namespace {

std::set<edge> diagram_edges() {
    std::ifstream in(std::string(AZMAPS_LRO_SOURCE_DIR) + "/docs/state-machine.md");
    EXPECT_TRUE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    const auto begin = doc.find("```mermaid");
    const auto end = doc.find("```", begin + 3);
    EXPECT_NE(begin, std::string::npos);
    const std::string diagram = doc.substr(begin, end - begin);
    std::set<edge> edges;
    const std::regex line(R"(^\s*(\w+) --> (\w+))");
    std::istringstream lines(diagram);
    for (std::string l; std::getline(lines, l);) {
        std::smatch m;
        if (std::regex_search(l, m, line)) edges.emplace(m[1], m[2]);
    }
    return edges;
}

std::set<edge> table_edges() {
    std::set<edge> edges;
    for (const auto& t : lro::phase_transitions)
        edges.emplace(std::string(lro::to_string(t.from)), std::string(lro::to_string(t.to)));
    return edges;
}

} // namespace

TEST(Transitions, DiagramMatchesTheTable) {
    const auto d = diagram_edges();
    const auto t = table_edges();
    EXPECT_EQ(d.size(), t.size());
    for (const auto& e : t) EXPECT_TRUE(d.count(e)) << "diagram lacks " << e.first << " --> " << e.second;
    for (const auto& e : d) EXPECT_TRUE(t.count(e)) << "table lacks " << e.first << " --> " << e.second;
}

// A deterministic random walk over every kind of input: every phase change the machine makes
// must be a listed edge, and every listed edge must be taken at least once.
TEST(Transitions, MachineOnlyTakesListedEdgesAndTakesThemAll) {
    std::uint64_t seed = 12345;
    auto next = [&](std::uint64_t n) { return lro::detail::splitmix64_next(seed) % n; };
    const std::vector<lro::header> header_sets[] = {
        {},
        {{"Operation-Location", "/ops/1"}},
        {{"Location", "/ops/2"}},
        {{"Resource-Location", "/res/1"}},
        {{"Operation-Location", "https://elsewhere.example/x"}},
        {{"Retry-After", "3"}},
    };
    const std::string bodies[] = {R"({"status":"Running"})", R"({"status":"Succeeded"})", R"({"status":"Failed"})",
                                  R"({"status":"Canceled"})", "garbage", ""};
    const int codes[] = {200, 201, 202, 400, 404, 429, 500, 503};
    std::set<edge> taken;
    for (int run = 0; run < 3000; ++run) {
        lro::options o;
        o.resubmit_on_ambiguous = next(2) == 0;
        o.fetch_resource = next(3) != 0;
        o.max_polls = static_cast<std::uint32_t>(1 + next(6));
        auto op = lro::operation::start("POST", "https://h.example/submit", o);
        ASSERT_TRUE(op.has_value());
        std::int64_t now = 0;
        for (int step = 0; step < 20 && !op->done(); ++step) {
            const lro::phase before = op->current_phase();
            now += static_cast<std::int64_t>(next(5000));
            const auto t = lro::time_point(std::chrono::milliseconds(now));
            switch (next(10)) {
            case 0: (void)op->cancel(t); break;
            case 1: (void)op->on_transport_error(lro::transport_error::connection_reset, t); break;
            default: {
                const auto& h = header_sets[next(6)];
                (void)op->on_response({codes[next(8)], h, bodies[next(6)]}, t);
            }
            }
            const lro::phase after = op->current_phase();
            ASSERT_TRUE(lro::is_listed_transition(before, after))
                << lro::to_string(before) << " --> " << lro::to_string(after);
            taken.emplace(std::string(lro::to_string(before)), std::string(lro::to_string(after)));
        }
    }
    for (const auto& e : table_edges()) EXPECT_TRUE(taken.count(e)) << "never took " << e.first << " --> " << e.second;
}
