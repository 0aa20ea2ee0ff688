// Properties of the whole machine over generated exchanges (realistic and hostile).
// The per-input invariants (P1 bounds, P2 terminal, P3 URLs/origins, P4 delays, P8 failures,
// token secrecy) live in fuzz/lro_invariants.hpp, shared with fuzz_machine.
#include "generators.hpp"

#include <gtest/gtest.h>

#include <rapidcheck/gtest.h>

using namespace lro_prop;
using azmaps_lro_check::checker;
using azmaps_lro_check::owned_action;
using azmaps_lro_check::owned_observation;

namespace {

struct run_result {
    std::vector<owned_action> actions;
    std::string violation;
    std::size_t accepted = 0;
};

/// Feeds `steps` to `m` (started with `method`/`url` under `o`), checking every invariant.
run_result drive(lro::operation& m, const lro::options& o, const std::string& url, const std::vector<step>& steps,
                 std::int64_t now_ms = 1'000'000) {
    run_result out;
    checker chk(o, "POST", url, secret);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        now_ms = next_now(steps[i], now_ms, m);
        const std::string err = with_step(steps[i], now_ms, [&](const azmaps_lro_check::input& in) {
            chk.before(m);
            const lro::action a = azmaps_lro_check::feed(m, in);
            out.actions.push_back(owned_action::of(a));
            return chk.step(m, in, a);
        });
        if (!err.empty()) {
            out.violation = "input " + std::to_string(i) + " (" + describe(steps[i]) + "): " + err;
            return out;
        }
    }
    out.accepted = chk.accepted();
    return out;
}

lro::operation start(const std::string& url, const lro::options& o) {
    auto r = lro::operation::start("POST", url, o);
    RC_ASSERT(r.has_value());
    return std::move(*r);
}

} // namespace

// P1-P4, P8: every input of any sequence keeps the invariants.
RC_GTEST_PROP(MachineProperty, InvariantsHoldOnAnyExchange, ()) {
    const lro::options o = *gen_options();
    const std::string url = *gen_submit_url();
    const auto steps = *gen_exchange();
    lro::operation m = start(url, o);
    const run_result r = drive(m, o, url, steps);
    if (!r.violation.empty()) RC_FAIL(r.violation);
    RC_CLASSIFY(lro::is_terminal(m.current_phase()), "ended");
    std::string tag(lro::to_string(m.current_phase()));
    if (auto out = m.outcome(); out && std::holds_alternative<lro::failed>(*out))
        tag += std::string(" ") + std::string(lro::to_string(std::get<lro::failed>(*out).reason)) + " " + std::string(std::get<lro::failed>(*out).detail.substr(0, 40));
    RC_TAG(tag);
}

// P1: with max_polls set, a machine fed answers that never finish (Running, 5xx, garbage,
// transport errors) at any times ends within 2E + max_polls accepted inputs.
RC_GTEST_PROP(MachineProperty, MaxPollsBoundsEveryExchange, ()) {
    lro::options o = *gen_options();
    o.max_polls = *rc::gen::inRange<std::uint32_t>(0, 20);
    const std::string url = *gen_submit_url();
    const unsigned e = o.max_consecutive_errors < 1 ? 1u : static_cast<unsigned>(o.max_consecutive_errors);
    const std::size_t bound = 2 * e + *o.max_polls;
    auto steps = *rc::gen::container<std::vector<step>>(
        bound + 1, rc::gen::weightedOneOf<step>({{4, gen_realistic_step()}, {1, gen_step()}}));
    for (step& s : steps)
        if (s.what == step::kind::cancel) s.what = step::kind::transport_error;
    for (step& s : steps)
        if (s.time_mode == 2) s.time_mode = 4; // no refused inputs: each one counts
    lro::operation m = start(url, o);
    const run_result r = drive(m, o, url, steps);
    if (!r.violation.empty()) RC_FAIL(r.violation);
    RC_ASSERT(lro::is_terminal(m.current_phase()));
}

// P1: with a timeout and min_poll_interval > 0, a driver that honours every delay against a
// server that never finishes ends within timeout / min + 3 inputs; every request is scheduled
// no later than the deadline, and the first input after the deadline ends the operation.
RC_GTEST_PROP(MachineProperty, TimeoutBoundsAnHonestDriver, ()) {
    lro::options o;
    o.min_poll_interval = milliseconds(*rc::gen::inRange<std::int64_t>(1, 5000));
    o.max_poll_interval = o.min_poll_interval + milliseconds(*rc::gen::inRange<std::int64_t>(0, 60000));
    o.timeout = milliseconds(*rc::gen::inRange<std::int64_t>(0, 600000));
    o.max_consecutive_errors = *rc::gen::inRange(1, 1000);
    const std::string url = *gen_submit_url();
    const std::size_t bound = static_cast<std::size_t>(o.timeout->count() / o.min_poll_interval.count()) + 3;
    const auto pool = *rc::gen::nonEmpty(gen_exchange());
    lro::operation m = start(url, o);
    checker chk(o, "POST", url, secret);
    std::int64_t now = 1'000'000;
    std::size_t i = 0;
    for (; i <= bound && !lro::is_terminal(m.current_phase()); ++i) {
        step s = pool[i % pool.size()];
        if (s.what == step::kind::cancel) s.what = step::kind::transport_error;
        s.time_mode = 0; // honour the delay exactly
        s.dt_ms = 0;
        now = next_now(s, now, m);
        const std::string err = with_step(s, now, [&](const azmaps_lro_check::input& in) {
            chk.before(m);
            const lro::action a = azmaps_lro_check::feed(m, in);
            return chk.step(m, in, a);
        });
        if (!err.empty()) RC_FAIL("input " + std::to_string(i) + " (" + describe(s) + "): " + err);
    }
    RC_LOG() << "inputs: " << i << ", bound " << bound << "\n";
    RC_ASSERT(lro::is_terminal(m.current_phase()));
}

// P2: after a terminal action every input is refused{terminal}, and observe()/outcome() stay.
RC_GTEST_PROP(MachineProperty, NothingAfterTheEnd, ()) {
    const lro::options o = *gen_options();
    const std::string url = *gen_submit_url();
    const auto steps = *gen_exchange();
    lro::operation m = start(url, o);
    drive(m, o, url, steps);
    if (!lro::is_terminal(m.current_phase())) (void)m.cancel(lro::time_point(milliseconds(9'000'000'000'000)));
    RC_ASSERT(lro::is_terminal(m.current_phase()));
    const owned_observation obs = owned_observation::of(m.observe());
    const owned_action end = owned_action::of(*m.outcome());
    const auto more = *rc::gen::container<std::vector<step>>(gen_step());
    std::int64_t now = 0;
    for (const step& s : more) {
        now += s.dt_ms;
        const owned_action a = with_step(s, now % 9'000'000'000'000, [&](const azmaps_lro_check::input& in) {
            return owned_action::of(azmaps_lro_check::feed(m, in));
        });
        RC_ASSERT(a.kind == 4);
        RC_ASSERT(a.code == lro::errc::terminal);
        RC_ASSERT(owned_observation::of(m.observe()) == obs);
        RC_ASSERT(owned_action::of(*m.outcome()).same_as(end));
        RC_ASSERT(!m.pending_request().has_value());
        RC_ASSERT(!m.save().has_value() || end.reason == lro::failure_reason::timed_out);
    }
}

// Determinism: the same inputs give the same actions (a copy of the machine too).
RC_GTEST_PROP(MachineProperty, Deterministic, ()) {
    const lro::options o = *gen_options();
    const std::string url = *gen_submit_url();
    const auto steps = *gen_exchange();
    lro::operation a = start(url, o);
    lro::operation b = start(url, o);
    const run_result ra = drive(a, o, url, steps);
    const run_result rb = drive(b, o, url, steps);
    RC_ASSERT(ra.actions.size() == rb.actions.size());
    for (std::size_t i = 0; i < ra.actions.size(); ++i) RC_ASSERT(ra.actions[i].same_as(rb.actions[i]));
    RC_ASSERT(owned_observation::of(a.observe()) == owned_observation::of(b.observe()));
}

// P5: resume(save(m)) behaves like m on any continuation, relative to the time of resume.
RC_GTEST_PROP(MachineProperty, ResumeBehavesIdentically, ()) {
    const lro::options o = *gen_options();
    const std::string url = *gen_submit_url();
    // A prefix that gets the submit accepted, then anything.
    std::vector<step> prefix;
    step accepted;
    accepted.status = 202;
    accepted.headers = {{"Operation-Location", "https://atlas.microsoft.com/mapData/operations/1?api-version=2.0"}};
    prefix.push_back(accepted);
    const auto more = *gen_exchange(20, 0);
    prefix.insert(prefix.end(), more.begin(), more.end());
    {
        lro::operation check = start(url, o);
        const run_result r = drive(check, o, url, prefix);
        if (!r.violation.empty()) RC_FAIL(r.violation);
    }
    // Save at the last point where the machine was live (polling or fetching).
    std::optional<lro::operation> live;
    std::int64_t now = 1'000'000, last_accepted = now, live_at = now;
    std::size_t live_after = 0;
    {
        lro::operation replay = start(url, o);
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            now = next_now(prefix[i], now, replay);
            const bool ok = with_step(prefix[i], now, [&](const azmaps_lro_check::input& in) {
                return !std::holds_alternative<lro::refused>(azmaps_lro_check::feed(replay, in));
            });
            if (ok) last_accepted = now;
            if (replay.current_phase() == lro::phase::polling || replay.current_phase() == lro::phase::fetching) {
                live = replay;
                live_at = last_accepted;
                live_after = i + 1;
            }
        }
    }
    if (!live) RC_DISCARD("never live");
    lro::operation& m = *live;
    const auto token = m.save();
    RC_ASSERT(token.has_value());
    RC_ASSERT(token->rfind("azlro1.", 0) == 0);
    RC_ASSERT(token->find(secret) == std::string::npos);
    last_accepted = live_at;
    const std::int64_t shift = *rc::gen::inRange<std::int64_t>(-1'000'000'000, 1'000'000'000'000);
    auto resumed = lro::operation::resume(*token, o, lro::time_point(milliseconds(last_accepted + shift)), url);
    if (!resumed) RC_FAIL("resume(save(m)) refused: " + std::string(lro::to_string(resumed.error())));
    lro::operation& t = *resumed;
    RC_ASSERT(owned_observation::of(m.observe()) == owned_observation::of(t.observe()));
    RC_ASSERT(t.save().value() == *token);
    std::vector<step> continuation(prefix.begin() + static_cast<std::ptrdiff_t>(live_after), prefix.end());
    const auto more_steps = *gen_exchange();
    continuation.insert(continuation.end(), more_steps.begin(), more_steps.end());
    now = last_accepted;
    for (const step& s : continuation) {
        now = next_now(s, now, m);
        const owned_action a = with_step(s, now, [&](const azmaps_lro_check::input& in) {
            return owned_action::of(azmaps_lro_check::feed(m, in));
        });
        const owned_action b = with_step(s, now + shift, [&](const azmaps_lro_check::input& in) {
            return owned_action::of(azmaps_lro_check::feed(t, in));
        });
        RC_LOG() << describe(s) << " -> " << a.describe() << " / " << b.describe() << "\n";
        RC_ASSERT(a.same_as(b, milliseconds(shift)));
        RC_ASSERT(owned_observation::of(m.observe()) == owned_observation::of(t.observe()));
    }
}

// P5: any corruption of a token is refused with an errc, never crashes.
RC_GTEST_PROP(MachineProperty, CorruptTokensAreRefused, ()) {
    const lro::options o = *gen_options();
    lro::operation m = start("https://atlas.microsoft.com/mapData/upload?api-version=2.0", o);
    const lro::header hs[] = {{"Operation-Location", "https://atlas.microsoft.com/mapData/operations/1"}};
    (void)m.on_response(lro::response_view{202, hs, ""}, lro::time_point(milliseconds(1000)));
    const auto ok = m.save();
    if (!ok) RC_DISCARD("the options refused the monitor");
    std::string token = *ok;
    const int kind = *rc::gen::inRange(0, 6);
    const std::size_t pos = *rc::gen::inRange<std::size_t>(0, token.size());
    switch (kind) {
    case 0: { // one bit flip
        const int bit = *rc::gen::inRange(0, 8);
        if (pos == token.size()) RC_DISCARD("no byte there");
        token[pos] = static_cast<char>(token[pos] ^ (1 << bit));
        break;
    }
    case 1: // truncation
        token.resize(pos < token.size() ? pos : token.size() - 1);
        break;
    case 2: // insertion
        token.insert(token.begin() + static_cast<std::ptrdiff_t>(pos), *rc::gen::arbitrary<char>());
        break;
    case 3: // another version number
        token.replace(5, 1, std::to_string(*rc::gen::suchThat(rc::gen::inRange(0, 1000000), [](int v) { return v != 1; })));
        break;
    case 4: // a leading zero in the version number ("azlro01.")
        token.insert(5, "0");
        break;
    default: { // a few random byte changes
        const auto edits = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::pair<std::size_t, char>>>(
            rc::gen::pair(rc::gen::inRange<std::size_t>(0, token.size()), rc::gen::arbitrary<char>())));
        for (const auto& [p, c] : edits)
            if (p < token.size()) token[p] = c;
        if (token == *ok) RC_DISCARD("unchanged");
        break;
    }
    }
    RC_TAG(kind);
    const auto r = lro::operation::resume(token, o, lro::time_point(milliseconds(5000)), "https://atlas.microsoft.com");
    RC_LOG() << token << "\n";
    RC_ASSERT(!r.has_value());
    const lro::errc e = r.error();
    RC_ASSERT(e == lro::errc::token_corrupt || e == lro::errc::token_truncated || e == lro::errc::token_unsupported ||
              e == lro::errc::token_origin_refused);
}

// P8 with an independent reference: a failed answer keeps the HTTP status, the error code and
// message the server sent (body, else x-ms-error-code).
RC_GTEST_PROP(MachineProperty, FailedKeepsWhatTheServerSaid, ()) {
    const std::string code = *rc::gen::map(gen_json_text_string(), [](std::string s) { return s; });
    const std::string message = *gen_json_text_string();
    const int where = *rc::gen::inRange(0, 4);
    const bool header_code = *rc::gen::arbitrary<bool>();
    nlohmann::json error = {{"code", code}, {"message", message}};
    nlohmann::json body = {{"error", error}};
    if (where == 2) body["status"] = *rc::gen::element<std::string>("Failed", "failed", "FAILED");
    const auto text = dump(body);
    if (!text) RC_DISCARD("not dumpable");
    lro::options o;
    o.max_consecutive_errors = 1;
    lro::operation m = start("https://atlas.microsoft.com/mapData/upload", o);
    const lro::time_point t0{milliseconds(1000)};
    int status = 400;
    if (where >= 1) {
        const lro::header hs[] = {{"Operation-Location", "/mapData/operations/1"}};
        RC_ASSERT(std::holds_alternative<lro::send_request>(m.on_response(lro::response_view{202, hs, ""}, t0)));
        status = where == 1 ? *rc::gen::element(401, 403, 404, 410, 418, 500, 503) : where == 2 ? 200 : 429;
    }
    std::vector<lro::header> hs;
    if (header_code) hs.push_back({"x-ms-error-code", "HeaderCode"});
    const lro::action a = m.on_response(lro::response_view{status, lro::header_span(hs), *text}, t0 + std::chrono::seconds(1));
    const auto* f = std::get_if<lro::failed>(&a);
    RC_ASSERT(f != nullptr);
    RC_ASSERT(f->http_status == status);
    RC_ASSERT(f->error != nullptr);
    const bool valid = azmaps_lro_check::owned_action::of(a).has_error; // same thing, owned
    RC_ASSERT(valid);
    const std::string want_code = code.empty() && header_code ? "HeaderCode" : code;
    // Strings that are not valid UTF-8 never reach a body nlohmann can dump, so all unescape.
    RC_ASSERT(f->error->code == want_code);
    RC_ASSERT(f->error->message == message);
}
