// The /metrics name of each Metric, in the enum's order. A static_assert checks the order, so a
// Metric added without its name (or a name in the wrong row) fails the build instead of counting
// under another metric's name.
#pragma once
#include "membership_env.hpp"

#include <array>
#include <cstddef>

namespace butter::knownhosts {

struct MetricName {
  Metric metric;
  const char* name;
};

inline constexpr std::array<MetricName, static_cast<std::size_t>(Metric::Count_)> kMetricNames{{
    {Metric::Exchanges, "pex_exchanges_total"},
    {Metric::RecordsAccepted, "pex_records_accepted_total"},
    {Metric::RecordsRefused, "pex_records_refused_total"},
    {Metric::ExchangesShed, "pex_exchanges_shed_total"},
    {Metric::RecordsNews, "pex_records_news_total"},
    {Metric::RecordsUnchecked, "pex_records_unchecked_total"},
    {Metric::RecordsMoved, "pex_records_moved_total"},
    {Metric::FirstContacts, "pex_first_contacts_total"},
    {Metric::NeighbourAsks, "overlay_neighbour_asks_total"},
    {Metric::MembershipBytes, "knownhosts_membership_bytes_total"},
    {Metric::PexBytes, "pex_bytes_total"},  // the /butter/pex/1 part of it
    {Metric::Admitted, "knownhosts_admitted_total"},
    {Metric::Refused, "knownhosts_refused_total"},
    {Metric::RefusedAddress, "knownhosts_refused_address_total"},
    {Metric::RefusedPrefix, "knownhosts_refused_prefix_total"},
    {Metric::Replaced, "knownhosts_replaced_total"},
    {Metric::Evicted, "knownhosts_evicted_total"},
    {Metric::Malformed, "knownhosts_malformed_total"},
    {Metric::Probes, "knownhosts_probes_total"},
    {Metric::NewsPushed, "pex_news_pushed_total"},
    {Metric::V1Fallbacks, "knownhosts_v1_fallbacks_total"},
    {Metric::ForgingSenders, "pex_forging_senders_total"},
}};

constexpr bool metric_names_in_order() {
  for (std::size_t i = 0; i < kMetricNames.size(); ++i)
    if (static_cast<std::size_t>(kMetricNames[i].metric) != i || kMetricNames[i].name == nullptr) return false;
  return true;
}
static_assert(metric_names_in_order(), "kMetricNames: one row per Metric, in the enum's order");

}  // namespace butter::knownhosts
