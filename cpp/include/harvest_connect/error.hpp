#pragma once
// The one error enum of harvest_connect, its std::error_category, and the exception that
// every public call throws. Messages say what happened and what to do next; they never
// hold a secret (callers build them from non-secret facts only).

#include <optional>
#include <string>
#include <system_error>

namespace harvest_connect {

enum class errc {
  // A value given by the caller is invalid; the message names the field.
  validation_failed = 1,
  // A named record (OAuth client, connection) does not exist.
  not_found,
  // A record with that name exists already (names compare case-insensitively).
  duplicate_name,
  // The master key given does not match the one that wrapped the store's data key.
  key_mismatch,
  // A sealed value failed to authenticate (tampered, truncated, or moved to another field),
  // or a store row failed its integrity check (row_mac: changed outside harvest-connect).
  decryption_failed,
  // The OAuth authorization did not complete (declined, wrong state, wrong account...).
  authorization_failed,
  // The token endpoint refused or gave a malformed answer.
  token_error,
  // The Harvest API answered with an error status.
  api_error,
  // The Harvest API answered 429 and the deadline left no time to wait.
  rate_limited,
  // Name resolution, connection refused or reset, a protocol error on the wire.
  network_error,
  // The TLS handshake or certificate verification failed.
  tls_error,
  // A connect, read, write or whole-request deadline passed.
  timeout,
  // A response, header or input exceeded a size cap.
  too_large,
  // A feature or parameter this build does not support (e.g. a GCM IV that is not 96 bits).
  unsupported,
  // The store file could not be read or written (permissions, disk, corruption).
  store_error,
  // A key or key file could not be loaded (missing, unreadable, wrong permissions, bad base64).
  key_error,
  // The operating system or OpenSSL failed where it should not (e.g. no randomness).
  internal_error,
  // The connection must be authorized again before it can call the API: it was never
  // authorized, its refresh token was refused (invalid_grant: expired or revoked, also when
  // a 401 led to that refresh), or it has no refresh token left to renew an expired access
  // token. (Last, so that the values above keep their numbers.)
  authorization_required,
};

[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;
// The stable name of an error value ("validation_failed", ...), used by the bindings.
[[nodiscard]] const char* errc_name(errc e) noexcept;

// The exception every public call throws. Extra details are optional and never secret:
// the HTTP status and (redacted) body of an API answer, the OAuth error code.
class error : public std::system_error {
 public:
  error(errc code, const std::string& message) : std::system_error(make_error_code(code), message), message_(message) {}
  error(errc code, const std::string& message, int http_status, std::string body = {},
        std::string server_error = {}, std::optional<double> retry_after = std::nullopt)
      : std::system_error(make_error_code(code), message),
        message_(message),
        http_status_(http_status),
        body_(std::move(body)),
        server_error_(std::move(server_error)),
        retry_after_(retry_after) {}

  // The message alone (std::system_error would append the category's text).
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }
  [[nodiscard]] errc kind() const noexcept { return static_cast<errc>(code().value()); }
  // The HTTP status of the answer that caused it, 0 when none.
  [[nodiscard]] int http_status() const noexcept { return http_status_; }
  // The answer's body, scrubbed (model/scrubber.hpp: no secret in any encoding, no control
  // character) and at most 4 KiB; empty when none.
  [[nodiscard]] const std::string& body() const noexcept { return body_; }
  // The server's error code (e.g. OAuth's "invalid_grant"), empty when none.
  [[nodiscard]] const std::string& server_error() const noexcept { return server_error_; }
  // Seconds the server asked us to wait (Retry-After), when it said.
  [[nodiscard]] std::optional<double> retry_after() const noexcept { return retry_after_; }

 private:
  std::string message_;
  int http_status_ = 0;
  std::string body_;
  std::string server_error_;
  std::optional<double> retry_after_;
};

}  // namespace harvest_connect

template <>
struct std::is_error_code_enum<harvest_connect::errc> : std::true_type {};
