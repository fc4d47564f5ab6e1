#include "harvest_connect/model/connection.hpp"

#include <cstdlib>

#include "harvest_connect/error.hpp"
#include "harvest_connect/model/harvest.hpp"
#include "harvest_connect/version.hpp"

namespace harvest_connect::model {

std::string_view to_string(ConnectionStatus s) noexcept {
  switch (s) {
    case ConnectionStatus::authorized:
      return "authorized";
    case ConnectionStatus::offline:
      return "offline";
    default:
      return "not_authorized";
  }
}

std::string_view to_string(AuthMethod m) noexcept {
  return m == AuthMethod::oauth ? "oauth" : "personal_access_token";
}

ConnectionStatus connection_status_from_string(std::string_view text) {
  if (text == "not_authorized") return ConnectionStatus::not_authorized;
  if (text == "authorized") return ConnectionStatus::authorized;
  if (text == "offline") return ConnectionStatus::offline;
  throw error(errc::validation_failed, "status: must be not_authorized, authorized or offline");
}

std::string default_user_agent() {
  std::string ua = std::string("harvest-connect/") + version;
  const char* contact = std::getenv(harvest::contact_env_var);
  std::string c = contact ? contact : "";
  // Only a plausible, printable contact; anything else would make a malformed header.
  bool ok = !c.empty() && c.size() <= 200 && c.find_first_of("()\r\n") == std::string::npos;
  for (char ch : c) ok = ok && static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f;
  return ua + (ok ? " (" + c + ")" : " (+https://pypi.org/project/harvest-connect/)");
}

std::string Connection::effective_user_agent() const {
  return user_agent && !user_agent->empty() ? *user_agent : default_user_agent();
}

}  // namespace harvest_connect::model
