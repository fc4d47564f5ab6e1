#pragma once
// "Save and authorize": the OAuth 2.0 authorization-code flow for a stored connection.
//
//   Loopback flow (the browser runs on this computer):
//     oauth::authorize(store, "work", {.launcher = open_in_browser});
//   or step by step, so that a caller can stay responsive (Python polls in short slices):
//     oauth::LoopbackAuthorization flow(store, "work", options);
//     launch(flow.url());
//     while (!flow.poll(100ms)) {}
//   Paste flow (remote notebooks, SSH sessions):
//     auto url = oauth::authorization_url(store, "work");   // show it to the user
//     oauth::complete_authorization(store, "work", pasted_redirect);
//
// Every path checks the state (constant time), the redirect URI, error=, the code, then
// exchanges the code with the same redirect_uri (and the PKCE verifier), checks that the
// granted accounts include the connection's account, and only then commits the tokens
// (sealed) and the status "authorized". Any failure, a timeout or a cancellation leaves the
// connection exactly as it was: the tokens it had, its status.
//
// Errors: errc::authorization_failed (declined, wrong state, wrong account, ...),
// errc::token_error (the token endpoint refused), errc::timeout (no redirect in time),
// errc::network_error (the port is in use, the provider unreachable), errc::not_found,
// errc::validation_failed (a connection with a personal access token, a redirect URI the
// loopback flow cannot serve).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/crypto/secret.hpp"
#include "harvest_connect/http/client.hpp"
#include "harvest_connect/model/connection.hpp"
#include "harvest_connect/oauth/loopback_receiver.hpp"
#include "harvest_connect/store/store.hpp"

namespace harvest_connect::oauth {

// Opens the user's browser at `url` (it holds the state: hand it to the browser only, never
// to a log). Returns false when no browser could be opened.
using BrowserLauncher = std::function<bool(const crypto::Secret& url)>;

struct AuthorizeOptions {
  // Empty: no browser is opened; `on_url` (or the caller) shows the URL instead.
  BrowserLauncher launcher;
  // Called once the receiver listens, with the URL to open (e.g. to print it).
  std::function<void(const crypto::Secret& url)> on_url;
  std::optional<std::uint16_t> port;  // default: the registered redirect URI's, else a free one
  std::chrono::milliseconds timeout = default_authorization_timeout;
  // Polled about every 100 ms while waiting; true stops the flow (errc::timeout is not
  // raised: a cancelled flow throws AuthorizationCancelled). Nothing is changed.
  std::function<bool()> cancelled;
  // For the token endpoint and the accounts list (e.g. a CA bundle for a test server).
  http::ClientOptions client_options;
};

// Thrown when AuthorizeOptions::cancelled said so (e.g. Ctrl-C).
class AuthorizationCancelled : public std::exception {
 public:
  [[nodiscard]] const char* what() const noexcept override {
    return "the authorization was cancelled; nothing was changed";
  }
};

class LoopbackAuthorization {
 public:
  // Prepares the request and starts the receiver (errc::network_error naming the port when
  // it is in use).
  LoopbackAuthorization(std::shared_ptr<store::Store> store, std::string_view connection_name, const AuthorizeOptions& options);
  ~LoopbackAuthorization();
  LoopbackAuthorization(const LoopbackAuthorization&) = delete;
  LoopbackAuthorization& operator=(const LoopbackAuthorization&) = delete;

  [[nodiscard]] const crypto::Secret& url() const noexcept;  // holds the state
  [[nodiscard]] const std::string& redirect_uri() const noexcept;
  [[nodiscard]] std::uint16_t port() const noexcept;

  // Waits up to `slice` for the redirect. false: not yet. true: the connection is authorized
  // (the browser has been told). Throws on failure (the browser is told too), and
  // errc::timeout once the flow's timeout has passed.
  bool poll(std::chrono::milliseconds slice);
  // Completes the flow with the address the browser was redirected to, pasted by the user
  // (for a browser that cannot reach this computer's loopback), with the same checks.
  void complete_pasted(std::string_view redirected_url);
  // Stops waiting; the browser, if it comes, is told that the program stopped. Idempotent.
  void cancel() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The whole loopback flow; returns the authorized connection.
model::Connection authorize(std::shared_ptr<store::Store> store, std::string_view connection_name,
                            const AuthorizeOptions& options = {});

// Paste flow, step 1: a new pending authorization (stored sealed, single use, expires after
// store::pending_authorization_lifetime) and the URL to open. The redirect URI is the OAuth
// client's, or http://127.0.0.1/callback when it registers none.
[[nodiscard]] crypto::Secret authorization_url(std::shared_ptr<store::Store> store, std::string_view connection_name);

// Paste flow, step 2: the URL the browser was redirected to (its address bar), with the same
// checks as the loopback flow. Returns the authorized connection.
model::Connection complete_authorization(std::shared_ptr<store::Store> store, std::string_view connection_name,
                                         std::string_view redirected_url,
                                         const http::ClientOptions& client_options = {});

// Forgets the tokens (status not_authorized); first revokes them when the OAuth client has a
// revoke URL. Returns whether a revocation was sent and accepted; a failed revocation does
// not stop the tokens from being forgotten.
bool disconnect(std::shared_ptr<store::Store> store, std::string_view connection_name,
                const http::ClientOptions& client_options = {});

}  // namespace harvest_connect::oauth
