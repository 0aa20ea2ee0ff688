// azmaps-lro: forward declarations, for headers that only name the types.
#ifndef AZMAPS_LRO_FWD_HPP
#define AZMAPS_LRO_FWD_HPP

namespace azmaps::lro {
struct options;
struct header;
class header_span;
struct response_view;
struct odata_error;
struct odata_detail;
struct observation;
struct creator_policy;
template <class Policy>
class basic_operation;
using operation = basic_operation<creator_policy>;
} // namespace azmaps::lro

#endif
