#pragma once
// The loopback receiver (RFC 8252 §7.3): a one-shot HTTP server on 127.0.0.1 that waits for
// the provider's redirect to the browser.
//
// It listens on the port of the registered redirect URI (or an ephemeral one when that URI
// names no port, or none is registered), accepts exactly one request on the exact redirect
// path that carries the flow's `state` (expect_state()); any other path gets 404, and a
// request on the path without that state (a local program or a web page may send one first)
// gets a page saying it was ignored: either way it keeps waiting. It hands the accepted
// request's target to the caller, and answers the browser only when the caller says how the authorization ended: a
// small HTML page in plain words, with Cache-Control: no-store, Referrer-Policy: no-referrer,
// no external resource and no secret. Then it closes. It logs nothing, and never a query.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"

namespace harvest_connect::oauth {

inline constexpr std::chrono::seconds default_authorization_timeout{300};
// The path used when the OAuth client registers no redirect URI.
inline constexpr const char* default_redirect_path = "/callback";

// Where the receiver listens and what redirect_uri the request carries.
struct LoopbackEndpoint {
  std::string host;      // "127.0.0.1" or "::1"
  std::uint16_t port;    // 0: ephemeral
  std::string redirect_uri_template;  // the redirect URI; its port filled in once bound
};

// Works out the endpoint from the OAuth client's redirect URI (empty: none registered) and
// an optional port asked for by the caller. errc::validation_failed when the redirect URI is
// not an http URL on a loopback IP address (use the paste flow then), names `localhost`
// (RFC 8252 §8.3: the message says to register http://127.0.0.1:PORT/... instead), or names
// another port than the one asked for.
[[nodiscard]] LoopbackEndpoint loopback_endpoint(std::string_view registered_redirect_uri,
                                                 std::optional<std::uint16_t> port);

class LoopbackReceiver {
 public:
  // Binds at once; errc::network_error naming the port when it is in use.
  explicit LoopbackReceiver(const LoopbackEndpoint& endpoint);
  ~LoopbackReceiver();  // answers a waiting browser (failure) and closes
  LoopbackReceiver(const LoopbackReceiver&) = delete;
  LoopbackReceiver& operator=(const LoopbackReceiver&) = delete;

  // The redirect URI to send, with the bound port.
  [[nodiscard]] const std::string& redirect_uri() const noexcept;
  [[nodiscard]] std::uint16_t port() const noexcept;

  // The state the redirect must carry. Until it is set every request on the path is ignored.
  void expect_state(const crypto::Secret& state);

  // Waits up to `timeout` for the redirect; its origin-form target ("/path?query"), or
  // nullopt when the time passed. Call it in short slices to stay responsive to Ctrl-C.
  [[nodiscard]] std::optional<crypto::Secret> wait(std::chrono::milliseconds timeout);

  // Answers the browser (success or failure, in plain words; `detail` must hold no secret)
  // and closes. Idempotent.
  void finish(bool success, std::string_view detail = {});

  // Requests that reached the server (the callback and any stray ones), for tests.
  [[nodiscard]] std::size_t requests_seen() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The page the browser shows (exposed for tests).
[[nodiscard]] std::string result_page(bool success, std::string_view detail);

}  // namespace harvest_connect::oauth
