#include "harvest_connect/harvest/connection_test.hpp"

#include <boost/json.hpp>

#include "harvest_connect/error.hpp"

namespace harvest_connect::harvest {

namespace json = boost::json;

TestResult ping(const HarvestClient& client) {
  TestResult result;
  try {
    const ApiResponse answer = client.request("GET", "/users/me");
    result.ok = true;
    result.status_code = answer.status;
    json::error_code ec;
    const json::value me = json::parse(answer.body, ec);
    if (!ec && me.is_object()) {
      std::string name;
      for (const char* key : {"first_name", "last_name"}) {
        if (const auto* v = me.get_object().if_contains(key); v && v->is_string() && !v->get_string().empty()) {
          if (!name.empty()) name += ' ';
          name += std::string(v->get_string());
        }
      }
      if (!name.empty()) result.user = name;
    }
    result.message = result.user ? "connected as " + *result.user : "connected";
  } catch (const error& e) {
    result.ok = false;
    result.status_code = e.http_status();
    result.message = e.what();
  }
  return result;
}

}  // namespace harvest_connect::harvest
