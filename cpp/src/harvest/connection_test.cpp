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
    // The user's name is the server's text too: it reaches the terminal.
    if (result.user) result.user = client.scrub(*result.user);
    result.message = result.user ? "connected as " + *result.user : "connected";
  } catch (const error& e) {
    result.ok = false;
    result.status_code = e.http_status();
    result.kind = errc_name(e.kind());
    // Scrubbed again here: the message may come from the token source (a refresh), and it
    // becomes the connection's last_error, stored in plaintext.
    result.message = client.scrub(e.what());
  }
  return result;
}

}  // namespace harvest_connect::harvest
