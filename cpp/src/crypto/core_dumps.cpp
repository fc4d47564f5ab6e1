#include "harvest_connect/crypto/core_dumps.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

namespace harvest_connect::crypto {

bool disable_core_dumps() noexcept {
  const char* allow = std::getenv(allow_core_dumps_env_var);
  if (allow && std::strcmp(allow, "1") == 0) return core_dumps_disabled();
  rlimit limit{};
  if (::getrlimit(RLIMIT_CORE, &limit) == 0 && limit.rlim_cur != 0) {
    limit.rlim_cur = 0;
    (void)::setrlimit(RLIMIT_CORE, &limit);
  }
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return core_dumps_disabled();
}

bool core_dumps_disabled() noexcept {
  rlimit limit{};
  const bool no_core_file = ::getrlimit(RLIMIT_CORE, &limit) == 0 && limit.rlim_cur == 0;
  return no_core_file && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
}

}  // namespace harvest_connect::crypto
