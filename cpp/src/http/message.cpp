#include "harvest_connect/http/message.hpp"

#include <algorithm>

#include "http/detail/text.hpp"

namespace harvest_connect::http {
namespace {

// Field names are ASCII tokens (RFC 9110 5.1): an ASCII-only comparison is exactly right
// and, unlike a locale-aware one, is the same on every machine.
bool same_name(std::string_view a, std::string_view b) { return detail::iequals(a, b); }

}  // namespace

void Headers::set(std::string_view name, std::string_view value) {
  auto it = std::find_if(fields_.begin(), fields_.end(), [&](const field& f) { return same_name(f.first, name); });
  if (it == fields_.end()) {
    fields_.emplace_back(std::string(name), std::string(value));
    return;
  }
  // Keep the first field's position so that the order a caller built stays stable.
  it->second.assign(value);
  fields_.erase(std::remove_if(std::next(it), fields_.end(), [&](const field& f) { return same_name(f.first, name); }),
                fields_.end());
}

void Headers::add(std::string_view name, std::string_view value) {
  fields_.emplace_back(std::string(name), std::string(value));
}

void Headers::erase(std::string_view name) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const field& f) { return same_name(f.first, name); }),
                fields_.end());
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (same_name(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

}  // namespace harvest_connect::http
