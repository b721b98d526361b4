// Query limits.
#include "limits.hpp"

#include <algorithm>

namespace butter::dbfs {

const char* refusal_name(Refusal r) {
  switch (r) {
    case Refusal::None:
      return "none";
    case Refusal::Ttl:
      return "ttl over the maximum";
    case Refusal::Terms:
      return "too many terms";
    case Refusal::TermLength:
      return "term too long";
    case Refusal::Size:
      return "query too large";
    case Refusal::MaxResults:
      return "too many results asked";
  }
  return "?";
}

Refusal check_query(const Limits& lim, const Query& q, std::size_t wire_bytes) {
  if (q.ttl > lim.max_ttl) return Refusal::Ttl;
  if (wire_bytes > lim.max_query_bytes) return Refusal::Size;
  if (q.terms.size() > lim.max_terms) return Refusal::Terms;
  for (const auto& t : q.terms)
    if (t.size() > lim.max_term_len) return Refusal::TermLength;
  if (q.max_results > lim.max_results) return Refusal::MaxResults;
  return Refusal::None;
}

}  // namespace butter::dbfs
