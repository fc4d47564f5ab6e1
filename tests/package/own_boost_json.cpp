// The consumer's own copy of Boost.JSON: its src.hpp compiled here, as a program that uses
// Boost.JSON header-only-style does. The engine uses Boost.JSON too; linking both must work
// (no duplicate symbol) and each must keep working.
#include <boost/json/src.hpp>

#include "own_boost_json.hpp"

namespace consumer {

double hours_of(std::string_view record) {
  const boost::json::value entry = boost::json::parse(record);
  return entry.at("hours").to_number<double>();
}

}  // namespace consumer
