#pragma once
// The consumer's own use of Boost.JSON (own_boost_json.cpp), apart from the engine's.
#include <string_view>

namespace consumer {
// The "hours" of one time entry's JSON text.
double hours_of(std::string_view record);
}  // namespace consumer
