// The token client against a local server: no redirect followed, the size cap, HTTP and
// OAuth errors as token errors, and a server that echoes a secret gets it redacted.
#include <gtest/gtest.h>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/model/scrubber.hpp"
#include "harvest_connect/http/server.hpp"
#include "harvest_connect/oauth/token_client.hpp"

namespace hc = harvest_connect;
namespace oauth = harvest_connect::oauth;
using hc::crypto::Secret;

namespace {

struct Endpoint {
  explicit Endpoint(hc::http::Handler handler) : server({}, std::move(handler)) {}
  oauth::ClientConfig client() const {
    return {server.base_url() + "/token", "cid", Secret::from_string("CLIENT-SECRET-123"), oauth::ClientAuth::body};
  }
  hc::http::Server server;
};

hc::http::ServerResponse json(int status, std::string body) {
  hc::http::ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

hc::error exchange_fails(const Endpoint& e) {
  hc::http::Client client(oauth::token_client_options());
  auto request = oauth::code_exchange_request(e.client(), Secret::from_string("THE-CODE-456"),
                                              "http://127.0.0.1/callback", Secret::from_string(std::string(43, 'v')));
  try {
    (void)oauth::request_token(client, request, oauth::GrantType::authorization_code, "tests (t@example.com)");
  } catch (const hc::error& err) {
    std::string what = err.what();
    EXPECT_EQ(what.find("THE-CODE-456"), std::string::npos) << what;
    EXPECT_EQ(what.find("CLIENT-SECRET-123"), std::string::npos) << what;
    return err;
  }
  ADD_FAILURE() << "accepted";
  return hc::error(hc::errc::internal_error, "");
}

}  // namespace

TEST(OAuthTokenClient, ExchangesACode) {
  std::string seen;
  Endpoint e([&](const hc::http::ServerRequest& r) {
    seen = r.body;
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
    return json(200, R"({"access_token":"A","refresh_token":"R","token_type":"bearer","expires_in":60})");
  });
  hc::http::Client client(oauth::token_client_options());
  auto request = oauth::code_exchange_request(e.client(), Secret::from_string("C"), "http://127.0.0.1/cb", std::nullopt);
  auto tokens = oauth::request_token(client, request, oauth::GrantType::authorization_code, "tests (t@example.com)");
  EXPECT_EQ(tokens.access_token.reveal_string(), "A");
  EXPECT_NE(seen.find("client_secret=CLIENT-SECRET-123"), std::string::npos);
}

TEST(OAuthTokenClient, RedirectsAreNotFollowed) {
  int hits = 0;
  Endpoint e([&](const hc::http::ServerRequest&) {
    ++hits;
    hc::http::ServerResponse r;
    r.status = 307;
    r.headers.set("Location", "/elsewhere");
    return r;
  });
  auto err = exchange_fails(e);
  EXPECT_EQ(err.kind(), hc::errc::token_error);
  EXPECT_EQ(err.http_status(), 307);
  EXPECT_EQ(hits, 1);
}

TEST(OAuthTokenClient, OversizedAnswersAreTokenErrors) {
  Endpoint e([](const hc::http::ServerRequest&) { return json(200, std::string(oauth::max_token_response_size + 10, ' ')); });
  auto err = exchange_fails(e);
  EXPECT_EQ(err.kind(), hc::errc::token_error);
  EXPECT_NE(std::string(err.what()).find("larger than"), std::string::npos);
}

TEST(OAuthTokenClient, ServerErrorsCarryTheCode) {
  Endpoint e([](const hc::http::ServerRequest&) { return json(401, R"({"error":"invalid_client"})"); });
  auto err = exchange_fails(e);
  EXPECT_EQ(err.server_error(), "invalid_client");
  EXPECT_EQ(err.http_status(), 401);
  Endpoint down([](const hc::http::ServerRequest&) { return json(503, "<html>down</html>"); });
  EXPECT_EQ(exchange_fails(down).http_status(), 503);
}

TEST(OAuthTokenClient, AnEchoedSecretIsRedacted) {
  Endpoint e([](const hc::http::ServerRequest& r) {
    // A careless server repeats the request in its description.
    return json(400, R"({"error":"invalid_grant","error_description":"bad request: )" + r.body + "\"}");
  });
  auto err = exchange_fails(e);
  EXPECT_EQ(err.server_error(), "invalid_grant");
  const std::string what = err.what();
  EXPECT_NE(what.find("[redacted]"), std::string::npos) << what;
  EXPECT_EQ(what.find(std::string(10, 'v')), std::string::npos) << what;  // the PKCE verifier
  EXPECT_NE(what.find("grant_type=authorization_code"), std::string::npos) << what;  // the rest stays
}

TEST(OAuthTokenClient, BasicCredentialsEchoedInAnyEncodingAreRedacted) {
  // The client secret travels only inside the Basic header; the server echoes the header,
  // its decoded secret percent-encoded, hex and base64, and a truncated copy, in its
  // error code, description and an escape sequence.
  Endpoint e([](const hc::http::ServerRequest& r) {
    const std::string header(r.headers.get("Authorization").value_or(""));
    const std::string hex = hc::crypto::hex_encode(std::vector<unsigned char>{'S', 'E', 'C', 'R', 'E', 'T', '-', '1', '2', '3'});
    return json(401, R"({"error":"CLIENT%2DSECRET%2D123","error_description":")" + header + " " + hex +
                         R"( \u001b]0;CLIENT-SECRET-123\u0007 Q0xJRU5ULVNFQ1JFVC0xMjM CLIENT-SECR"})");
  });
  hc::http::Client client(oauth::token_client_options());
  auto config = e.client();
  config.auth = oauth::ClientAuth::basic;
  hc::model::Scrubber connection;
  connection.add(Secret::from_string("SECRET-123"));
  auto request = oauth::refresh_request(config, Secret::from_string("REFRESH-789"));
  try {
    (void)oauth::request_token(client, request, oauth::GrantType::refresh_token, "tests (t@example.com)", connection);
    ADD_FAILURE() << "accepted";
  } catch (const hc::error& err) {
    const std::string what = err.what();
    for (const char* leak : {"CLIENT-SECR", "CLIENT%2DSECRET", "Y2lkOkNMSUVOVC1TRUNSRVQtMTIz", "Q0xJRU5ULVNFQ1JFVC0xMjM",
                             "5345435245542d313233", "\x1b", "\x07"}) {
      EXPECT_EQ(what.find(leak), std::string::npos) << leak << " in " << what;
      EXPECT_EQ(err.server_error().find(leak), std::string::npos) << leak << " in " << err.server_error();
    }
    EXPECT_EQ(err.http_status(), 401);
  }
}
