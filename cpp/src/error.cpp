#include "harvest_connect/error.hpp"

namespace harvest_connect {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "harvest_connect"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::validation_failed: return "invalid value";
      case errc::not_found: return "no such record";
      case errc::duplicate_name: return "the name is taken";
      case errc::key_mismatch: return "the key does not match the store";
      case errc::decryption_failed: return "a sealed value failed to authenticate";
      case errc::authorization_failed: return "the authorization did not complete";
      case errc::token_error: return "the token endpoint refused the request";
      case errc::api_error: return "the Harvest API answered with an error";
      case errc::rate_limited: return "rate limited by the Harvest API";
      case errc::network_error: return "network error";
      case errc::tls_error: return "TLS error";
      case errc::timeout: return "timed out";
      case errc::too_large: return "too large";
      case errc::unsupported: return "unsupported";
      case errc::store_error: return "store error";
      case errc::key_error: return "key error";
      case errc::internal_error: return "internal error";
      case errc::authorization_required: return "the connection must be authorized again";
    }
    return "unknown harvest_connect error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

const char* errc_name(errc e) noexcept {
  switch (e) {
    case errc::validation_failed: return "validation_failed";
    case errc::not_found: return "not_found";
    case errc::duplicate_name: return "duplicate_name";
    case errc::key_mismatch: return "key_mismatch";
    case errc::decryption_failed: return "decryption_failed";
    case errc::authorization_failed: return "authorization_failed";
    case errc::token_error: return "token_error";
    case errc::api_error: return "api_error";
    case errc::rate_limited: return "rate_limited";
    case errc::network_error: return "network_error";
    case errc::tls_error: return "tls_error";
    case errc::timeout: return "timeout";
    case errc::too_large: return "too_large";
    case errc::unsupported: return "unsupported";
    case errc::store_error: return "store_error";
    case errc::key_error: return "key_error";
    case errc::internal_error: return "internal_error";
    case errc::authorization_required: return "authorization_required";
  }
  return "internal_error";
}

}  // namespace harvest_connect
