#pragma once
// Core dumps off while secrets are held. A core file (or a debugger attached by another
// process of the same user) would hold every decrypted token and the data key, so opening
// a store turns both off for the rest of the process:
//
//   setrlimit(RLIMIT_CORE, 0)        no core file (the soft limit; the hard one is kept)
//   prctl(PR_SET_DUMPABLE, 0)        not dumpable: no core even with a core pattern pipe,
//                                    and no ptrace attach or /proc/PID/mem by other processes
//
// The switch: HARVEST_CONNECT_ALLOW_CORE_DUMPS=1 in the environment leaves both as they are
// (for debugging a crash; the core file then holds secrets).

namespace harvest_connect::crypto {

inline constexpr const char* allow_core_dumps_env_var = "HARVEST_CONNECT_ALLOW_CORE_DUMPS";

// Turns core dumps off unless the environment allows them. Idempotent, thread-safe, never
// throws; returns true when core dumps are off afterwards.
bool disable_core_dumps() noexcept;

// True when this process can neither write a core file nor be dumped.
[[nodiscard]] bool core_dumps_disabled() noexcept;

}  // namespace harvest_connect::crypto
