# What keeps make test's build trees small (docs/development.md, "How long make test takes").
#
# The fuzz tree (HARVEST_CONNECT_FUZZ) links only the libFuzzer targets and make_seeds, and
# they pull 31 of the engine's objects out of the static library; the network client and
# server (Asio/Beast coroutines), the emulator and the OAuth and Harvest clients are never
# linked there but were 80% of its compile time (http/server.cpp and http/client.cpp alone
# over half). So the fuzz tree's library leaves them out. Should a fuzz target come to need
# one of them, its link fails naming the missing symbol: take that file out of this list.
# New engine files are compiled in the fuzz tree until listed here.
if(HARVEST_CONNECT_FUZZ)
  get_target_property(harvest_connect_fuzz_sources harvest_connect SOURCES)
  list(FILTER harvest_connect_fuzz_sources EXCLUDE REGEX
    "/cpp/src/(testing/[^/]+|http/(client|server|proxy|message)|oauth/(authorization|authorization_request|loopback_receiver|token_client|token_request|connection_secrets|pkce)|harvest/(arrow_stream|client|connection_client|connection_test|export|http_transport|paginator|rate_limiter|retry_policy|store_token_source|token_expiry|unauthorized))\\.cpp$")
  set_property(TARGET harvest_connect PROPERTY SOURCES ${harvest_connect_fuzz_sources})
  unset(harvest_connect_fuzz_sources)
endif()
