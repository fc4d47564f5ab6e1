#include "harvest_connect/oauth/loopback_receiver.hpp"

#include <openssl/crypto.h>

#include <boost/url.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/server.hpp"
#include "crypto/detail/constant_time.hpp"
#include "http/detail/text.hpp"
#include "oauth/detail/url_check.hpp"

namespace harvest_connect::oauth {
namespace {

// How long a browser's request waits for the flow to finish before it is told to look at the
// program instead (the token exchange normally takes well under a second).
constexpr std::chrono::seconds answer_wait{120};

using http::detail::html_escape;

http::ServerResponse page(int status, std::string body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Pragma", "no-cache");
  r.headers.set("Referrer-Policy", "no-referrer");
  r.headers.set("X-Content-Type-Options", "nosniff");
  r.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  r.body = std::move(body);
  r.close = true;
  return r;
}

bool is_loopback_host(const boost::urls::url_view& url, std::string& bind_host) {
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
      if (url.host_ipv4_address().is_loopback()) {
        bind_host = url.host_ipv4_address().to_string();
        return true;
      }
      return false;
    case boost::urls::host_type::ipv6:
      if (url.host_ipv6_address().is_loopback()) {
        bind_host = "::1";
        return true;
      }
      return false;
    default:
      return false;
  }
}

// Whether the URL names the host `localhost` (any case, with or without the final dot).
bool names_localhost(const boost::urls::url_view& url) {
  if (url.host_type() != boost::urls::host_type::name) return false;
  std::string host = url.host();
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host == "localhost" || host == "localhost.";
}

std::string ignored_page();

// What the server's handler shares with the waiting caller.
struct CallbackSlot {
  std::mutex mutex;
  std::condition_variable arrived;   // the callback came
  std::condition_variable answered;  // the flow finished
  std::optional<crypto::Secret> target;
  bool got_callback = false;
  bool finished = false;
  bool success = false;
  std::string detail;
  std::string path;
  std::size_t requests = 0;
  bool handler_returned = false;
  std::condition_variable returned;  // the callback's handler has its answer

  // The state the callback must carry (set once the authorization request exists); until
  // then no request can match.
  std::optional<crypto::Secret> expected_state;

  // Whether the target's query carries exactly one `state`, equal to the expected one
  // (constant time).
  bool state_matches(const boost::urls::url_view& target) const {
    if (!expected_state) return false;
    auto params = target.params();
    if (params.count("state") != 1) return false;
    std::string state = (*params.find("state")).value;
    const auto expected = expected_state->reveal_string();
    const bool equal = crypto::detail::constant_time_equal(state, expected);
    OPENSSL_cleanse(state.data(), state.size());
    return equal;
  }

  http::ServerResponse handle(const http::ServerRequest& request) {
    std::unique_lock lock(mutex);
    ++requests;
    std::string_view t = request.target;
    auto parsed = boost::urls::parse_origin_form(t);
    std::string request_path = parsed ? std::string(parsed->path()) : std::string();
    if (request_path.empty()) request_path = "/";
    if (request.method != "GET" || !parsed || request_path != path)
      return page(404, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title>"
                       "</head><body><p>Not found.</p></body></html>\n");
    if (got_callback || finished)
      return page(400, result_page(false, "This authorization has already received its answer; this request was "
                                          "ignored."));
    // Any local program, or any web page open in the browser, can send a request here
    // before the provider's redirect does. Only the request that carries this flow's state
    // ends it; any other is answered and ignored, and the receiver keeps waiting.
    if (!state_matches(*parsed)) return page(400, ignored_page());
    got_callback = true;
    target = crypto::Secret::from_string(request.target);
    arrived.notify_all();
    http::ServerResponse answer = answered.wait_for(lock, answer_wait, [&] { return finished; })
                                      ? page(success ? 200 : 400, result_page(success, detail))
                                      : page(504, result_page(false, "The program did not finish in time."));
    handler_returned = true;
    returned.notify_all();
    return answer;
  }
};

std::string ignored_page() {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Request ignored</title>"
         "<style>body{font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em}</style></head><body>"
         "<h1>Request ignored</h1><p>This request does not belong to the authorization in progress, so it was "
         "ignored. harvest-connect is still waiting for Harvest's answer: finish signing in in the tab that "
         "harvest-connect opened.</p></body></html>\n";
}

}  // namespace

std::string result_page(bool success, std::string_view detail) {
  std::string title = success ? "Authorization complete" : "Authorization failed";
  std::string text = success ? "harvest-connect is now connected to Harvest. You can close this tab and go back to "
                               "your program."
                             : "harvest-connect could not complete the authorization. Nothing was changed. Go back "
                               "to your program for what to do next.";
  std::string body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title +
                     "</title><style>body{font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em}"
                     "</style></head><body><h1>" +
                     title + "</h1><p>" + text + "</p>";
  if (!detail.empty()) body += "<p>" + html_escape(detail) + "</p>";
  body += "</body></html>\n";
  return body;
}

LoopbackEndpoint loopback_endpoint(std::string_view registered, std::optional<std::uint16_t> port) {
  LoopbackEndpoint out;
  if (registered.empty()) {
    out.host = "127.0.0.1";
    out.port = port.value_or(0);
    out.redirect_uri_template = std::string("http://127.0.0.1") + default_redirect_path;
    return out;
  }
  boost::urls::url url = detail::parse_http_url("redirect_uri", registered);
  if (url.scheme_id() == boost::urls::scheme::http && names_localhost(url)) {
    // RFC 8252 §8.3: a loopback redirect should name the IP address, not `localhost`.
    // Browsers resolve `localhost` to ::1 first, where another local user's program may
    // listen and receive the code, and a name can be re-pointed on the way. Listening on both
    // 127.0.0.1 and ::1 would still leave machines where ::1 cannot be bound (or is taken)
    // and the browser's choice unknown; registering 127.0.0.1 at Harvest costs nothing, so
    // the receiver refuses the name and says what to register instead.
    boost::urls::url suggestion = url;
    suggestion.set_host_ipv4(boost::urls::ipv4_address::loopback());
    suggestion.remove_query();
    if (suggestion.path().empty()) suggestion.set_path(default_redirect_path);
    throw error(errc::validation_failed,
                "redirect_uri: the OAuth client's redirect URI names localhost, which a browser may resolve to "
                "another address (::1) than the one the receiver listens on; RFC 8252 §8.3 asks for the loopback "
                "IP address instead. Register " +
                    std::string(suggestion.buffer()) +
                    " as the Redirect URL of your app at Harvest and give the OAuth client the same redirect_uri, "
                    "or use the paste flow");
  }
  if (url.scheme_id() != boost::urls::scheme::http || !is_loopback_host(url, out.host))
    throw error(errc::validation_failed,
                "redirect_uri: the OAuth client's redirect URI is not an http URL on this computer (127.0.0.1 "
                "or [::1]), so the browser cannot come back to this program directly; use the paste "
                "flow instead (authorization_url() and complete_authorization())");
  if (url.has_port()) {
    if (port && *port != url.port_number())
      throw error(errc::validation_failed,
                  "port: the OAuth client's redirect URI fixes port " + std::to_string(url.port_number()) +
                      ", so the receiver cannot listen on port " + std::to_string(*port) +
                      "; leave the port out, or register another redirect URI");
    out.port = url.port_number();
  } else {
    out.port = port.value_or(0);
  }
  url.remove_query();
  if (url.path().empty()) url.set_path(default_redirect_path);
  out.redirect_uri_template = url.buffer();
  return out;
}

struct LoopbackReceiver::impl {
  std::shared_ptr<CallbackSlot> slot = std::make_shared<CallbackSlot>();
  std::unique_ptr<http::Server> server;
  std::string redirect_uri;
};

LoopbackReceiver::LoopbackReceiver(const LoopbackEndpoint& endpoint) : impl_(std::make_unique<impl>()) {
  boost::urls::url url = detail::parse_http_url("redirect_uri", endpoint.redirect_uri_template);
  impl_->slot->path = url.path().empty() ? std::string("/") : std::string(url.path());
  http::ServerOptions options;
  options.host = endpoint.host;
  options.port = endpoint.port;
  options.threads = 2;
  options.max_body_size = 16 << 10;
  options.idle_timeout = std::chrono::milliseconds(10'000);
  std::shared_ptr<CallbackSlot> slot = impl_->slot;
  try {
    impl_->server = std::make_unique<http::Server>(
        options, [slot](const http::ServerRequest& request) { return slot->handle(request); });
  } catch (const error& e) {
    if (endpoint.port != 0)
      throw error(errc::network_error,
                  "the loopback receiver cannot listen on " + endpoint.host + " port " + std::to_string(endpoint.port) +
                      " (" + e.what() + "); another program may be using port " + std::to_string(endpoint.port) +
                      ": close it, or register a redirect URI with another port (or none, for a free one)");
    throw;
  }
  url.set_port_number(impl_->server->port());
  impl_->redirect_uri = url.buffer();
}

LoopbackReceiver::~LoopbackReceiver() {
  finish(false, "The program stopped waiting.");
  auto& slot = *impl_->slot;
  {
    // Let the browser get its page: wait for the handler to hand over its answer, then give
    // the server a moment to write a page of a few hundred bytes before it stops.
    std::unique_lock lock(slot.mutex);
    if (slot.got_callback &&
        slot.returned.wait_for(lock, std::chrono::seconds(2), [&] { return slot.handler_returned; })) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  }
  impl_->server->stop();
}

const std::string& LoopbackReceiver::redirect_uri() const noexcept { return impl_->redirect_uri; }
std::uint16_t LoopbackReceiver::port() const noexcept { return impl_->server->port(); }

std::optional<crypto::Secret> LoopbackReceiver::wait(std::chrono::milliseconds timeout) {
  auto& slot = *impl_->slot;
  std::unique_lock lock(slot.mutex);
  if (!slot.arrived.wait_for(lock, timeout, [&] { return slot.target.has_value(); })) return std::nullopt;
  std::optional<crypto::Secret> out = std::move(slot.target);
  slot.target.reset();
  return out;
}

void LoopbackReceiver::finish(bool success, std::string_view detail) {
  auto& slot = *impl_->slot;
  {
    std::lock_guard lock(slot.mutex);
    if (slot.finished) return;
    slot.finished = true;
    slot.success = success;
    slot.detail = std::string(detail);
  }
  slot.answered.notify_all();
}

void LoopbackReceiver::expect_state(const crypto::Secret& state) {
  auto& slot = *impl_->slot;
  std::lock_guard lock(slot.mutex);
  slot.expected_state = state;
}

std::size_t LoopbackReceiver::requests_seen() const noexcept {
  std::lock_guard lock(impl_->slot->mutex);
  return impl_->slot->requests;
}

}  // namespace harvest_connect::oauth
