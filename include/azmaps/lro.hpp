// azmaps-lro: a sans-I/O client for Azure Maps Creator long-running operations (v1 and v2).
//
// The library never does I/O, never reads a clock, never sleeps, never throws and has no
// globals or randomness of its own: the caller feeds what it saw (status code, headers, body,
// transport errors, its monotonic `now`) and gets back the next action (send this request
// after N ms, fetch the resource, succeeded / failed / canceled). Pair it with any HTTP stack.
//
//   #include <azmaps/lro.hpp>
//   auto op = azmaps::lro::operation::start("POST", url, opts);   // then send the submit
//   auto next = op->on_response({status, headers, body}, now);     // one action per input
#ifndef AZMAPS_LRO_HPP
#define AZMAPS_LRO_HPP

#include "lro/action.hpp"
#include "lro/version.hpp"
#include "lro/errc.hpp"
#include "lro/observation.hpp"
#include "lro/odata_error.hpp"
#include "lro/operation.hpp"
#include "lro/options.hpp"
#include "lro/outcome.hpp"
#include "lro/policy.hpp"
#include "lro/response.hpp"
#include "lro/result.hpp"

#endif
