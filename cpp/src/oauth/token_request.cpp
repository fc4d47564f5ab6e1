#include "harvest_connect/oauth/token_request.hpp"

#include <openssl/crypto.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "harvest_connect/crypto/encoding.hpp"
#include "oauth/detail/url_check.hpp"

namespace harvest_connect::oauth {
namespace {

// Builds "k=v&k=v" straight into a Secret-sized buffer.
class FormBuilder {
 public:
  void add(std::string_view key, std::string_view value) { fields_.emplace_back(form_encode(key), form_encode(value)); }
  [[nodiscard]] crypto::Secret finish() const {
    std::size_t size = 0;
    for (const auto& [k, v] : fields_) size += k.size() + v.size() + 2;
    if (size) --size;
    crypto::Secret out(size);
    auto* p = out.mutable_bytes().data();
    bool first = true;
    for (const auto& [k, v] : fields_) {
      if (!first) *p++ = '&';
      first = false;
      for (unsigned char c : k.reveal()) *p++ = c;
      *p++ = '=';
      for (unsigned char c : v.reveal()) *p++ = c;
    }
    return out;
  }

 private:
  std::vector<std::pair<crypto::Secret, crypto::Secret>> fields_;
};

TokenRequest start(const ClientConfig& client, FormBuilder& form) {
  (void)detail::parse_http_url("token_url", client.token_url);
  TokenRequest request;
  request.url = client.token_url;
  request.headers.emplace_back("Content-Type", crypto::Secret::from_string("application/x-www-form-urlencoded"));
  request.headers.emplace_back("Accept", crypto::Secret::from_string("application/json"));
  if (client.auth == ClientAuth::basic) {
    crypto::Secret id = form_encode(client.client_id);
    crypto::Secret secret = form_encode(client.client_secret.reveal_string());
    crypto::Secret joined(id.size() + 1 + secret.size());
    auto* p = joined.mutable_bytes().data();
    for (unsigned char c : id.reveal()) *p++ = c;
    *p++ = ':';
    for (unsigned char c : secret.reveal()) *p++ = c;
    crypto::Secret encoded = crypto::base64_encode_secret(joined);
    crypto::Secret header(6 + encoded.size());
    p = header.mutable_bytes().data();
    for (char c : std::string_view("Basic ")) *p++ = static_cast<unsigned char>(c);
    for (unsigned char c : encoded.reveal()) *p++ = c;
    request.headers.emplace_back("Authorization", std::move(header));
  } else {
    form.add("client_id", client.client_id);
    form.add("client_secret", client.client_secret.reveal_string());
  }
  return request;
}

}  // namespace

crypto::Secret form_encode(std::string_view value) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = false;
  std::size_t size = boost::urls::encoded_size(value, boost::urls::unreserved_chars, opts);
  crypto::Secret out(size);
  if (size)
    (void)boost::urls::encode(reinterpret_cast<char*>(out.mutable_bytes().data()), size, value,
                              boost::urls::unreserved_chars, opts);
  return out;
}

TokenRequest code_exchange_request(const ClientConfig& client, const crypto::Secret& code,
                                   std::string_view redirect_uri, const std::optional<crypto::Secret>& code_verifier) {
  FormBuilder form;
  form.add("grant_type", "authorization_code");
  form.add("code", code.reveal_string());
  form.add("redirect_uri", redirect_uri);
  if (code_verifier) form.add("code_verifier", code_verifier->reveal_string());
  TokenRequest request = start(client, form);
  request.body = form.finish();
  return request;
}

TokenRequest refresh_request(const ClientConfig& client, const crypto::Secret& refresh_token) {
  FormBuilder form;
  form.add("grant_type", "refresh_token");
  form.add("refresh_token", refresh_token.reveal_string());
  TokenRequest request = start(client, form);
  request.body = form.finish();
  return request;
}

TokenRequest revocation_request(const ClientConfig& client, const crypto::Secret& token,
                                std::string_view token_type_hint) {
  FormBuilder form;
  form.add("token", token.reveal_string());
  form.add("token_type_hint", token_type_hint);
  TokenRequest request = start(client, form);
  request.body = form.finish();
  return request;
}

}  // namespace harvest_connect::oauth
