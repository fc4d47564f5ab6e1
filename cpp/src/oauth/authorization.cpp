#include "harvest_connect/oauth/authorization.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <string>

#include "harvest_connect/error.hpp"
#include "harvest_connect/oauth/account_check.hpp"
#include "harvest_connect/oauth/authorization_request.hpp"
#include "harvest_connect/oauth/callback.hpp"
#include "harvest_connect/oauth/connection_secrets.hpp"
#include "harvest_connect/oauth/token_client.hpp"

namespace harvest_connect::oauth {
namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& message) { throw error(errc::authorization_failed, message); }

// The store every call of this file works on; a null pointer is the caller's mistake.
store::Store& checked(const std::shared_ptr<store::Store>& store, const char* call) {
  if (!store) throw error(errc::validation_failed, std::string(call) + ": no store (pass the one Store::open_shared gave)");
  return *store;
}

// What a flow needs from the store, secrets included.
struct Context {
  store::ConnectionCredentials credentials;
  ClientConfig client;
  std::string authorize_url;
  std::string user_agent;
};

Context load(store::Store& store, std::string_view name) {
  Context ctx{store.credentials(name), {}, {}, {}};
  const auto& connection = ctx.credentials.connection;
  if (connection.auth != model::AuthMethod::oauth || !ctx.credentials.oauth_client ||
      !ctx.credentials.client_secret)
    throw error(errc::validation_failed,
                "connection '" + connection.name +
                    "' uses a personal access token, which needs no authorization; use it as it is, or create a "
                    "connection with an OAuth client to authorize one");
  const auto& oauth_client = *ctx.credentials.oauth_client;
  ctx.client.token_url = oauth_client.resolved_token_url(connection.id_url);
  ctx.client.client_id = oauth_client.client_id;
  ctx.client.client_secret = *ctx.credentials.client_secret;
  ctx.client.auth =
      oauth_client.client_credentials == model::ClientCredentials::basic ? ClientAuth::basic : ClientAuth::body;
  ctx.authorize_url = oauth_client.resolved_authorize_url(connection.id_url);
  ctx.user_agent = connection.effective_user_agent();
  return ctx;
}

AuthorizationParams request_params(const Context& ctx, std::string redirect_uri) {
  const auto& oauth_client = *ctx.credentials.oauth_client;
  AuthorizationParams params;
  params.authorize_url = ctx.authorize_url;
  params.client_id = oauth_client.client_id;
  params.redirect_uri = std::move(redirect_uri);
  params.scope = oauth_client.scope;
  params.pkce = oauth_client.pkce;
  return params;
}

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// GET {id_url}/api/v2/accounts with the new token: does it list the account for Harvest?
void check_accounts_list(const Context& ctx, const crypto::Secret& access_token, const http::ClientOptions& options,
                         const GrantedScope& scope) {
  http::Client client(options);
  http::Request request;
  request.method = "GET";
  request.target = ctx.credentials.connection.id_url + "/api/v2/accounts";
  std::string bearer = "Bearer " + std::string(access_token.reveal_string());
  request.headers.set("Authorization", bearer);
  wipe(bearer);
  request.headers.set("User-Agent", ctx.user_agent);
  request.headers.set("Accept", "application/json");
  http::Response response;
  try {
    response = client.send(request);
  } catch (...) {
    request.headers.set("Authorization", std::string(64, '\0'));
    throw;
  }
  request.headers.set("Authorization", std::string(64, '\0'));
  if (response.status != 200) {
    wipe(response.body);
    fail("the identity service did not list the accounts the user granted (HTTP " + std::to_string(response.status) +
         " from /api/v2/accounts), so the connection's account could not be checked; no token was kept. Check "
         "the connection's id_url and authorize again");
  }
  std::size_t listed = 0;
  bool found = false;
  try {
    found = accounts_include(response.body, ctx.credentials.account_id, &listed);
  } catch (...) {
    wipe(response.body);
    throw;
  }
  wipe(response.body);
  if (!found)
    throw_account_not_granted(scope.describe() + "; the account list shows " +
                              std::to_string(listed) + " Harvest account" + (listed == 1 ? "" : "s"));
}

// After the redirect passed its checks: the account check on the scope, the code exchange,
// the account list when the scope does not name accounts, then the commit.
model::Connection complete(store::Store& store, const Context& ctx, const AuthorizationGrant& grant,
                           const std::string& redirect_uri, const std::optional<crypto::Secret>& verifier,
                           const http::ClientOptions& client_options) {
  GrantedScope scope;
  AccountGrant verdict = AccountGrant::check_accounts;  // no scope said: ask the account list
  if (grant.scope) {
    scope = parse_scope(*grant.scope, ctx.credentials.account_id);
    verdict = account_grant(scope);
    if (verdict == AccountGrant::not_granted) throw_account_not_granted(scope.describe());
  }
  http::Client client(token_client_options(client_options));
  TokenRequest request = code_exchange_request(ctx.client, grant.code, redirect_uri, verifier);
  TokenResponse tokens = request_token(client, request, GrantType::authorization_code, ctx.user_agent,
                                       connection_secrets(ctx.credentials));
  if (verdict == AccountGrant::check_accounts) {
    if (!grant.scope && tokens.scope) {
      scope = parse_scope(*tokens.scope, ctx.credentials.account_id);
      if (account_grant(scope) == AccountGrant::granted) verdict = AccountGrant::granted;
    }
    if (verdict != AccountGrant::granted) check_accounts_list(ctx, tokens.access_token, client_options, scope);
  }
  store::TokenUpdate update;
  update.access_token = std::move(tokens.access_token);
  update.refresh_token = std::move(tokens.refresh_token);
  if (tokens.expires_in) update.expires_at = static_cast<std::int64_t>(std::time(nullptr)) + *tokens.expires_in;
  store.save_tokens(ctx.credentials.connection.name, std::move(update));
  return store.connection(ctx.credentials.connection.name);
}

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(ms).count();
  return std::to_string(s) + " second" + (s == 1 ? "" : "s");
}

}  // namespace

struct LoopbackAuthorization::impl {
  std::shared_ptr<store::Store> owner;  // kept alive for the flow's lifetime
  store::Store& store;
  Context ctx;
  std::unique_ptr<LoopbackReceiver> receiver;
  AuthorizationRequest request;
  http::ClientOptions client_options;
  std::chrono::milliseconds timeout;
  clock::time_point deadline;
  bool done = false;
  bool succeeded = false;
};

LoopbackAuthorization::LoopbackAuthorization(std::shared_ptr<store::Store> store_ptr, std::string_view connection_name,
                                             const AuthorizeOptions& options)
    : impl_(new impl{store_ptr, checked(store_ptr, "LoopbackAuthorization"),
                     load(checked(store_ptr, "LoopbackAuthorization"), connection_name), nullptr, {},
                     options.client_options, options.timeout, {}}) {
  const auto& registered = impl_->ctx.credentials.oauth_client->redirect_uri;
  impl_->receiver = std::make_unique<LoopbackReceiver>(loopback_endpoint(registered.value_or(""), options.port));
  impl_->request = make_authorization_request(request_params(impl_->ctx, impl_->receiver->redirect_uri()));
  impl_->receiver->expect_state(impl_->request.state);
  impl_->deadline = clock::now() + options.timeout;
}

LoopbackAuthorization::~LoopbackAuthorization() = default;

const crypto::Secret& LoopbackAuthorization::url() const noexcept { return impl_->request.url; }
const std::string& LoopbackAuthorization::redirect_uri() const noexcept { return impl_->receiver->redirect_uri(); }
std::uint16_t LoopbackAuthorization::port() const noexcept { return impl_->receiver->port(); }

bool LoopbackAuthorization::poll(std::chrono::milliseconds slice) {
  auto& s = *impl_;
  if (s.done) {
    if (s.succeeded) return true;
    fail("this authorization has already ended; start a new one");
  }
  auto now = clock::now();
  if (now >= s.deadline) {
    s.done = true;
    s.receiver->finish(false, "The program stopped waiting after " + seconds_text(s.timeout) + ".");
    throw error(errc::timeout, "no answer from the browser reached " + s.receiver->redirect_uri() + " within " +
                                   seconds_text(s.timeout) +
                                   "; nothing was changed. Authorize again and finish signing in within that time, "
                                   "or use a longer timeout");
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(s.deadline - now);
  std::optional<crypto::Secret> target = s.receiver->wait(std::min(slice, left));
  if (!target) return false;
  s.done = true;
  try {
    CallbackParams callback = parse_callback(target->reveal_string());
    target->clear();
    AuthorizationGrant grant = check_callback(callback, s.receiver->redirect_uri(), s.request.state);
    (void)complete(s.store, s.ctx, grant, s.receiver->redirect_uri(), s.request.code_verifier, s.client_options);
  } catch (const error& e) {
    s.receiver->finish(false, e.what());
    throw;
  } catch (...) {
    s.receiver->finish(false, "An unexpected error stopped the authorization.");
    throw;
  }
  s.succeeded = true;
  s.receiver->finish(true);
  return true;
}

void LoopbackAuthorization::complete_pasted(std::string_view redirected_url) {
  auto& s = *impl_;
  if (s.done) fail("this authorization has already ended; start a new one");
  s.done = true;
  try {
    CallbackParams callback = parse_callback(trim(redirected_url));
    AuthorizationGrant grant = check_callback(callback, s.receiver->redirect_uri(), s.request.state);
    (void)complete(s.store, s.ctx, grant, s.receiver->redirect_uri(), s.request.code_verifier, s.client_options);
  } catch (...) {
    s.receiver->finish(false, "The authorization was completed elsewhere and failed.");
    throw;
  }
  s.succeeded = true;
  s.receiver->finish(true, "The authorization was completed with the pasted address.");
}

void LoopbackAuthorization::cancel() noexcept {
  if (impl_->done) return;
  impl_->done = true;
  impl_->receiver->finish(false, "The program stopped waiting (cancelled).");
}

model::Connection authorize(std::shared_ptr<store::Store> store_ptr, std::string_view connection_name,
                            const AuthorizeOptions& options) {
  store::Store& store = checked(store_ptr, "authorize");
  LoopbackAuthorization flow(store_ptr, connection_name, options);
  bool opened = options.launcher && options.launcher(flow.url());
  if (!opened && options.on_url) options.on_url(flow.url());
  for (;;) {
    if (options.cancelled && options.cancelled()) {
      flow.cancel();
      throw AuthorizationCancelled();
    }
    if (flow.poll(std::chrono::milliseconds(100))) break;
  }
  return store.connection(connection_name);
}

crypto::Secret authorization_url(std::shared_ptr<store::Store> store_ptr, std::string_view connection_name) {
  store::Store& store = checked(store_ptr, "authorization_url");
  Context ctx = load(store, connection_name);
  const auto& registered = ctx.credentials.oauth_client->redirect_uri;
  std::string redirect = registered && !registered->empty() ? *registered : std::string("http://127.0.0.1/callback");
  AuthorizationRequest request = make_authorization_request(request_params(ctx, redirect));
  store.create_pending_authorization(ctx.credentials.connection.name, request.state, request.code_verifier,
                                     request.redirect_uri);
  return std::move(request.url);
}

model::Connection complete_authorization(std::shared_ptr<store::Store> store_ptr, std::string_view connection_name,
                                         std::string_view redirected_url, const http::ClientOptions& client_options) {
  store::Store& store = checked(store_ptr, "complete_authorization");
  Context ctx = load(store, connection_name);
  CallbackParams callback = parse_callback(trim(redirected_url));
  if (!callback.state || callback.state->empty()) {
    if (callback.error)
      fail("the provider reported an error (" + *callback.error +
           ") but without the state of a pending authorization, so it cannot be trusted; nothing was changed. "
           "Start again with authorization_url()");
    fail("the pasted URL carries no state, so it cannot be matched to a pending authorization: paste the whole "
         "address the browser was sent to, or start again with authorization_url()");
  }
  std::optional<store::PendingAuthorization> pending = store.take_pending_authorization(*callback.state);
  if (!pending)
    fail("the pasted URL does not belong to a pending authorization: it was already used, it expired (a pending "
         "authorization lasts " +
         std::to_string(store::pending_authorization_lifetime.count() / 60) +
         " minutes), or it comes from another request; nothing was changed. Start again with authorization_url()");
  if (pending->connection != ctx.credentials.connection.name)
    fail("the pasted URL belongs to an authorization of another connection; nothing was changed. Complete it "
         "with that connection, or start again with authorization_url()");
  AuthorizationGrant grant = check_callback(callback, pending->redirect_uri, *callback.state);
  return complete(store, ctx, grant, pending->redirect_uri, pending->code_verifier, client_options);
}

bool disconnect(std::shared_ptr<store::Store> store_ptr, std::string_view connection_name,
                const http::ClientOptions& client_options) {
  store::Store& store = checked(store_ptr, "disconnect");
  store::ConnectionCredentials credentials = store.credentials(connection_name);
  bool revoked = false;
  const auto& oauth_client = credentials.oauth_client;
  if (credentials.connection.auth == model::AuthMethod::oauth && oauth_client && oauth_client->revoke_url &&
      !oauth_client->revoke_url->empty() && credentials.client_secret &&
      (credentials.refresh_token || credentials.access_token)) {
    ClientConfig config;
    config.client_id = oauth_client->client_id;
    config.client_secret = *credentials.client_secret;
    config.auth =
        oauth_client->client_credentials == model::ClientCredentials::basic ? ClientAuth::basic : ClientAuth::body;
    try {
      http::Client client(token_client_options(client_options));
      std::string ua = credentials.connection.effective_user_agent();
      // Revoking the refresh token revokes its access tokens too (RFC 7009 §2.1); the
      // access token goes as well for servers that do not.
      if (credentials.refresh_token)
        revoke_token(client, config, *oauth_client->revoke_url, *credentials.refresh_token, "refresh_token", ua);
      if (credentials.access_token)
        revoke_token(client, config, *oauth_client->revoke_url, *credentials.access_token, "access_token", ua);
      revoked = true;
    } catch (const error&) {
      revoked = false;  // forget them here anyway
    }
  }
  store.clear_tokens(connection_name);
  return revoked;
}

}  // namespace harvest_connect::oauth
