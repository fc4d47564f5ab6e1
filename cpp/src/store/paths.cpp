#include <cstdlib>

#include "harvest_connect/error.hpp"
#include "harvest_connect/store/location.hpp"
#include "harvest_connect/store/options.hpp"

namespace harvest_connect::store {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// XDG base directories: the variable when it holds an absolute path, else ~/<fallback>.
fs::path xdg_dir(const char* var, const char* fallback) {
  if (std::string v = env(var); !v.empty() && fs::path(v).is_absolute()) return fs::path(v) / "harvest-connect";
  std::string home = env("HOME");
  if (home.empty())
    throw error(errc::store_error, std::string("cannot find a place for the store: neither ") + var +
                                       " nor HOME is set; set HARVEST_CONNECT_HOME or give a path");
  return fs::path(home) / fallback / "harvest-connect";
}

}  // namespace

fs::path default_store_path() {
  if (std::string h = env(home_env_var); !h.empty()) return fs::path(h) / "store.db";
  return xdg_dir("XDG_DATA_HOME", ".local/share") / "store.db";
}

std::string default_store_location() {
  if (std::string s = env(store_env_var); !s.empty()) return s;
  return default_store_path().string();
}

fs::path default_key_file_path() {
  if (std::string h = env(home_env_var); !h.empty()) return fs::path(h) / "master.key";
  return xdg_dir("XDG_CONFIG_HOME", ".config") / "master.key";
}

}  // namespace harvest_connect::store
