#pragma once
// Settings of the Harvest emulator: where it listens, how much seeded data it holds, how its
// OAuth service and rate limits behave, and the faults a test asks it to inject.

#include <chrono>
#include <cstdint>
#include <string>

namespace harvest_connect::testing {

// Sizes of the deterministic seeded data set. The same seed and sizes give the same records.
struct DataOptions {
  std::uint64_t seed = 42;
  unsigned users = 10;
  unsigned clients = 20;
  unsigned projects = 50;
  unsigned tasks = 12;
  std::size_t time_entries = 1000;
};

// Per-token request limits; Harvest's are 100 / 15 s in general and 100 / 15 min for reports.
struct RateLimitOptions {
  bool enabled = true;  // false for benchmarks
  unsigned general_limit = 100;
  std::chrono::milliseconds general_window{15'000};
  unsigned reports_limit = 100;
  std::chrono::milliseconds reports_window{15 * 60'000};
};

struct OAuthOptions {
  std::chrono::seconds access_token_lifetime{1'209'600};  // 14 days
  std::chrono::seconds code_lifetime{600};
  // true: each refresh returns a new refresh token and the old one stops working;
  // false: the same refresh token is returned and stays valid.
  bool rotate_refresh_tokens = true;
  // When not empty: the JSON number sent as expires_in in token answers, verbatim (e.g.
  // "18446744073709551615"), to test clients against absurd lifetimes. The tokens still
  // expire after access_token_lifetime.
  std::string expires_in_json;
};

struct EmulatorOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port
  bool tls = true;         // HTTPS with a CA generated at start; false: plain HTTP (loopback only)
  unsigned threads = 2;
  DataOptions data;
  RateLimitOptions rate_limits;
  OAuthOptions oauth;
  // Time entries always accept `cursor`; with this set, the first page already answers in
  // cursor mode (links.next carries cursor=..., page/next_page/previous_page are null after it).
  bool cursor_pagination = false;
  // Most entries kept in the request log (the oldest are dropped).
  std::size_t request_log_limit = 10'000;
  // Indent the API's JSON answers (as some servers and proxies do), so that clients are
  // tested against insignificant whitespace.
  bool indent_json = false;
};

// Faults for the next requests whose path starts with `path_prefix` ("" = every request).
// Counts ("next N") are used up first; rates are drawn from a seeded generator, so a test
// run is repeatable.
struct Faults {
  std::string path_prefix;
  std::chrono::milliseconds latency{0};       // added to every matching request
  std::chrono::milliseconds page_latency{0};  // added to every matching paginated list page
  unsigned drop_next = 0;                     // close the connection without answering
  double drop_rate = 0.0;
  unsigned error_next = 0;  // answer error_status
  double error_rate = 0.0;
  int error_status = 500;  // a 5xx, or 429
  unsigned retry_after_seconds = 0;  // sent with the error answers when > 0
  // When not empty: sent verbatim as Retry-After with the error answers (e.g. a huge number);
  // it replaces retry_after_seconds.
  std::string retry_after_header;
  // Error answers with an empty text/html body, as real Harvest sends its 429s.
  bool bare_errors = false;
  unsigned truncate_next = 0;        // send headers and half the body, then close
  double truncate_rate = 0.0;
};

}  // namespace harvest_connect::testing
