// Core dumps are off once a store is open (crypto/core_dumps.hpp), unless
// HARVEST_CONNECT_ALLOW_CORE_DUMPS=1. Each case runs in a forked child: the switch is
// process-wide and one-way.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "harvest_connect/crypto/core_dumps.hpp"
#include "store_test_support.hpp"

namespace {

using namespace store_test;
using hc::store::Store;

// Runs `body` in a child; returns its exit code (0 = all checks held).
int in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

int allow_dumps() {
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  rlimit current{};
  ::getrlimit(RLIMIT_CORE, &current);
  unlimited.rlim_max = current.rlim_max;
  unlimited.rlim_cur = current.rlim_max;
  if (::setrlimit(RLIMIT_CORE, &unlimited) != 0) return 10;
  if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) return 11;
  return 0;
}

using CoreDumpTest = StoreTest;

TEST_F(CoreDumpTest, OpeningAStoreTurnsCoreDumpsOff) {
  EXPECT_EQ(in_child([&] {
              ::unsetenv(hc::crypto::allow_core_dumps_env_var);
              if (int rc = allow_dumps()) return rc;
              Store s = open(key);
              rlimit limit{};
              ::getrlimit(RLIMIT_CORE, &limit);
              if (limit.rlim_cur != 0) return 1;
              if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return 2;
              return hc::crypto::core_dumps_disabled() ? 0 : 3;
            }),
            0);
}

TEST_F(CoreDumpTest, TheEnvironmentSwitchLeavesThemOn) {
  EXPECT_EQ(in_child([&] {
              ::setenv(hc::crypto::allow_core_dumps_env_var, "1", 1);
              if (int rc = allow_dumps()) return rc;
              rlimit before{}, after{};
              ::getrlimit(RLIMIT_CORE, &before);
              Store s = open(key);
              ::getrlimit(RLIMIT_CORE, &after);
              if (after.rlim_cur != before.rlim_cur) return 1;
              return ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 ? 0 : 2;
            }),
            0);
}

TEST_F(CoreDumpTest, AnyOtherValueOfTheSwitchStillTurnsThemOff) {
  EXPECT_EQ(in_child([&] {
              ::setenv(hc::crypto::allow_core_dumps_env_var, "yes please", 1);
              if (int rc = allow_dumps()) return rc;
              Store s = open(key);
              return hc::crypto::core_dumps_disabled() ? 0 : 1;
            }),
            0);
}

}  // namespace
