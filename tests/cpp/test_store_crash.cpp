// Crash consistency: a child process writes to the store and is killed with SIGKILL at a
// random moment, again and again. After every kill the store must open with the right key,
// every sealed field must open (verify() == []), and every record must be one complete
// version: the one before the interrupted transaction or the one after it, never a mix and
// never older than what was committed before.
//
// HARVEST_CONNECT_CRASH_ITERATIONS overrides the number of kills per scenario (default 200).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "store_test_support.hpp"

namespace {

using namespace store_test;
using hc::store::Store;

int iterations() {
  const char* env = std::getenv("HARVEST_CONNECT_CRASH_ITERATIONS");
  return env ? std::atoi(env) : 200;
}

class CrashFixture : public StoreTest {
 protected:
  // Runs `work` in a child forever and kills it with SIGKILL. The child must not stop on its
  // own. Half of the kills come after a random delay from the fork (0-25 ms, 0-100 ms on
  // PostgreSQL): from before the store is open until a few transactions in. The other half
  // come after the same random delay from the child's first commit (`committed()`), so that
  // kills land among transactions however slow the machine is: under a sanitizer on a loaded
  // machine, opening the store alone can take longer than the whole delay, and a CI run once
  // saw 200 kills without one commit.
  void kill_during(const std::function<void()>& work, std::mt19937& rng) {
    // PostgreSQL: connecting (SCRAM) and every statement are round trips to the server, so
    // the window that reaches a few transactions in is longer.
    std::uniform_int_distribution<int> delay_us(0, backend == Backend::postgres ? 100000 : 25000);
    const bool after_first_commit = std::bernoulli_distribution(0.5)(rng);
    int progress[2];
    ASSERT_EQ(::pipe2(progress, O_CLOEXEC), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(progress[0]);
      progress_fd = progress[1];
      try {
        for (;;) work();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "crash child: %s\n", e.what());
        ::_exit(3);
      }
    }
    ::close(progress[1]);
    bool child_committed = true;
    if (after_first_commit) {
      // One byte, or end of file if the child died first; waitpid below says how it ended.
      pollfd ready{progress[0], POLLIN, 0};
      char byte = 0;
      child_committed = ::poll(&ready, 1, 120000) == 1 && ::read(progress[0], &byte, 1) == 1;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    const pid_t waited = ::waitpid(pid, &status, 0);
    // Closed only now: a child that commits while nobody reads must not die of SIGPIPE.
    ::close(progress[0]);
    ASSERT_EQ(waited, pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer stopped on its own (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
    ASSERT_TRUE(child_committed) << "the writer committed nothing in 120 s";
  }

  // Called by a writer in the child after each transaction it commits: the first call tells
  // the parent, which may be waiting for it (see kill_during); later calls cost nothing.
  void committed() {
    if (progress_fd < 0) return;
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(progress_fd, &byte, 1);
    ::close(progress_fd);
    progress_fd = -1;
  }

  static std::string text(const Secret& s) { return std::string(s.reveal_string()); }
  std::mt19937 rng{std::random_device{}()};

 private:
  int progress_fd = -1;  // the child's end of the pipe to the parent, until the first commit
};

// On PostgreSQL the killed child's session ends with it: the server rolls back its open
// transaction and releases the store's write lock.
using CrashTest = OverBackends<CrashFixture>;
INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, both_backends, backend_name);

// (a) Writing connections: each generation g updates five records (account ID and
// User-Agent together, one transaction each), creates one new connection and deletes the
// previous generation's.
TEST_P(CrashTest, KilledWhileWritingConnectionsLeavesWholeRecords) {
  constexpr int records = 5;
  auto account_for = [](int r, long g) { return std::to_string((r + 1) * 1000000L + g); };
  auto agent_for = [](long g) { return "CrashTest " + std::to_string(g) + " (crash@example.com)"; };
  {
    Store s = open(key);
    s.create_oauth_client(client("client"));
    for (int r = 0; r < records; ++r) {
      auto c = connection("r" + std::to_string(r), "client", account_for(r, 0));
      c.user_agent = agent_for(0);
      s.create_connection(std::move(c));
    }
  }
  std::map<std::string, long> seen;  // the generation of each record after the last check
  auto writer = [&] {
    Store s = open(key);
    for (;;) {
      long g = 0;
      for (const auto& c : s.connections()) g = std::max(g, std::stol(c.user_agent->substr(10)));
      ++g;
      for (int r = 0; r < records; ++r) {
        hc::model::ConnectionChanges ch;
        ch.account_id = Secret::from_string(account_for(r, g));
        ch.user_agent = agent_for(g);
        s.update_connection("r" + std::to_string(r), std::move(ch));
        committed();
      }
      auto c = connection("new" + std::to_string(g), "client", account_for(9, g));
      c.user_agent = agent_for(g);
      s.create_connection(std::move(c));
      try {
        s.delete_connection("new" + std::to_string(g - 1));
      } catch (const hc::error& e) {
        if (e.kind() != hc::errc::not_found) throw;
      }
    }
  };
  for (int i = 0; i < iterations(); ++i) {
    kill_during(writer, rng);
    if (HasFatalFailure()) return;
    Store s = open(key);
    ASSERT_TRUE(s.verify().empty()) << "after kill " << i;
    for (const auto& c : s.connections()) {
      const long g = std::stol(c.user_agent->substr(10));
      const auto creds = s.credentials(c.name);
      if (c.name[0] == 'r') {
        const int r = c.name[1] - '0';
        ASSERT_EQ(text(creds.account_id), account_for(r, g)) << c.name << " is a mix of two versions";
        ASSERT_GE(g, seen[c.name]) << c.name << " went back to an older version";
      } else {
        ASSERT_EQ(c.name, "new" + std::to_string(g));
        ASSERT_EQ(text(creds.account_id), account_for(9, g));
      }
      seen[c.name] = g;
    }
    for (int r = 0; r < records; ++r) ASSERT_TRUE(seen.count("r" + std::to_string(r)));
  }
  std::printf("[ crash    ] %d kills; %ld generations committed in all\n", iterations(), seen["r0"]);
  EXPECT_GT(seen["r0"], 0) << "nothing was ever committed: the kills came too early to test anything";
}

// (b) Committing token refreshes, through with_token_lock (as the token source does) and
// save_tokens: access token, refresh token and expiry always belong to one refresh.
TEST_P(CrashTest, KilledWhileCommittingTokenRefreshKeepsOneRefresh) {
  {
    Store s = open(key);
    s.create_oauth_client(client("client"));
    s.create_connection(connection("work", "client", "123456"));
    s.save_tokens("work", {Secret::from_string("at-0"), Secret::from_string("rt-0"), 0});
  }
  auto writer = [&] {
    Store s = open(key);
    for (bool lock = true;; lock = !lock) {
      if (lock) {
        s.with_token_lock("work", [](const hc::store::TokenState& st) -> std::optional<hc::store::TokenUpdate> {
          const long n = std::stol(std::string(st.access_token->reveal_string().substr(3))) + 1;
          return hc::store::TokenUpdate{Secret::from_string("at-" + std::to_string(n)),
                                        Secret::from_string("rt-" + std::to_string(n)), n};
        });
      } else {
        const long n = *s.connection("work").token_expires_at + 1;
        s.save_tokens("work", {Secret::from_string("at-" + std::to_string(n)),
                               Secret::from_string("rt-" + std::to_string(n)), n});
      }
      committed();
    }
  };
  long last = 0;
  for (int i = 0; i < iterations(); ++i) {
    kill_during(writer, rng);
    if (HasFatalFailure()) return;
    Store s = open(key);
    ASSERT_TRUE(s.verify().empty()) << "after kill " << i;
    const auto creds = s.credentials("work");
    const long n = *creds.connection.token_expires_at;
    ASSERT_EQ(text(*creds.access_token), "at-" + std::to_string(n));
    ASSERT_EQ(text(*creds.refresh_token), "rt-" + std::to_string(n)) << "tokens of two refreshes mixed";
    ASSERT_EQ(creds.connection.status, hc::model::ConnectionStatus::authorized);
    ASSERT_GE(n, last) << "a committed refresh was lost";
    last = n;
  }
  std::printf("[ crash    ] %d kills; %ld refreshes committed in all\n", iterations(), last);
  EXPECT_GT(last, 0) << "no refresh was ever committed: the kills came too early to test anything";
}

// (c) Rotating keys: the child alternates the master key between two keys the test knows,
// re-sealing every field under a new data key after each rotation.
TEST_P(CrashTest, KilledWhileRotatingKeysOpensWithOldOrNewKey) {
  const MasterKey keys[2] = {MasterKey::generate(), MasterKey::generate()};
  {
    Store s = open(keys[0]);
    s.create_oauth_client(client("client", "client-secret-crash"));
    for (int r = 0; r < 3; ++r) s.create_connection(connection("c" + std::to_string(r), "client", "4242" + std::to_string(r)));
    s.save_tokens("c0", {Secret::from_string("access-crash"), Secret::from_string("refresh-crash"), 99});
  }
  auto open_with_either = [&](int* which) -> Store {
    for (int k = 0; k < 2; ++k) {
      try {
        Store s = open(keys[k]);
        if (which) *which = k;
        return s;
      } catch (const hc::error& e) {
        if (e.kind() != hc::errc::key_mismatch) throw;
      }
    }
    throw hc::error(hc::errc::key_mismatch, "the store opens with neither key");
  };
  auto writer = [&] {
    int k = 0;
    Store s = open_with_either(&k);
    for (;;) {
      k = 1 - k;
      s.rotate_key(keys[k]);
      committed();
      s.rotate_data_key();
    }
  };
  int rotations_seen = 0, last_key = 0;
  for (int i = 0; i < iterations(); ++i) {
    kill_during(writer, rng);
    if (HasFatalFailure()) return;
    int k = -1;
    Store s = open_with_either(&k);
    ASSERT_EQ(s.key_id(), keys[k].id());
    ASSERT_TRUE(s.verify().empty()) << "after kill " << i;
    const auto creds = s.credentials("c0");
    ASSERT_EQ(text(*creds.client_secret), "client-secret-crash");
    ASSERT_EQ(text(creds.account_id), "42420");
    ASSERT_EQ(text(*creds.access_token), "access-crash");
    ASSERT_EQ(text(*creds.refresh_token), "refresh-crash");
    for (int r = 1; r < 3; ++r) ASSERT_EQ(text(s.credentials("c" + std::to_string(r)).account_id), "4242" + std::to_string(r));
    rotations_seen += k != last_key;
    last_key = k;
  }
  std::printf("[ crash    ] %d kills; the committed master key changed across %d of them\n", iterations(),
              rotations_seen);
  EXPECT_GT(rotations_seen, 0) << "no rotation was ever committed: the kills came too early to test anything";
}

}  // namespace
