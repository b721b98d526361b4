#include "transport/address_book.hpp"

#include <algorithm>

namespace butter::host {

void AddressBook::add(const NodeId& id, const std::vector<std::string>& endpoints, bool front) {
  if (endpoints.empty()) return;
  auto& book = by_id_.get_or_insert(id, [] { return std::vector<std::string>{}; });
  auto known = [&](const std::vector<std::string>& list, const std::string& e) {
    return std::find(list.begin(), list.end(), e) != list.end();  // at most kMaxEndpointsPerNode long
  };
  if (front) {
    std::vector<std::string> merged;
    for (const auto& e : endpoints)
      if (merged.size() < kMaxEndpointsPerNode && !known(merged, e)) merged.push_back(e);
    for (const auto& e : book)
      if (merged.size() < kMaxEndpointsPerNode && !known(merged, e)) merged.push_back(e);
    book = std::move(merged);
    return;
  }
  // Only the first kMaxEndpointsPerNode of a long list can matter: the book holds no more.
  const std::size_t n = std::min(endpoints.size(), kMaxEndpointsPerNode);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = endpoints[i];
    if (known(book, e)) continue;
    if (book.size() < kMaxEndpointsPerNode)
      book.push_back(e);
    else
      book.back() = e;
  }
}

std::vector<std::string> AddressBook::endpoints(const NodeId& id) {
  if (auto* list = by_id_.find(id)) return *list;
  return {};
}

}  // namespace butter::host
