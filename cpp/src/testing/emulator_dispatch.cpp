// The emulator's front door: routes a request to the ID service or the API, injects the
// faults asked for (dropped connections, errors, truncated bodies, latency) and keeps the
// request log with every secret redacted.
#include "testing/detail/emulator_state.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <boost/url.hpp>

namespace harvest_connect::testing {

namespace {

namespace json = boost::json;
namespace urls = boost::urls;
using namespace detail;  // the emulator's vocabulary (emulator_http.hpp, emulator_state.hpp)
using http::detail::iequals;

constexpr std::string_view redacted = "[redacted]";

// JSON text re-laid out with line breaks and two-space indents (tokens and strings as they
// were): what a pretty-printing server or proxy sends. Text that is not JSON is left alone.
std::string indented(const std::string& text) {
  if (text.empty() || (text.front() != '{' && text.front() != '[')) return text;
  std::string out;
  out.reserve(text.size() * 2);
  int depth = 0;
  bool in_string = false;
  auto newline = [&] {
    out += '\n';
    out.append(static_cast<std::size_t>(2 * std::max(depth, 0)), ' ');
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    out += c;
    if (in_string) {
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
        continue;
      }
      if (c != '"') continue;
      in_string = false;
    } else {
      switch (c) {
        case '"': in_string = true; break;
        case '{': case '[': ++depth; newline(); break;
        case ',': newline(); break;
        case ':': out += ' '; break;
        default: break;
      }
    }
    if (!in_string && i + 1 < text.size() && (text[i + 1] == '}' || text[i + 1] == ']')) {
      --depth;
      newline();
    }
  }
  out += '\n';
  return out;
}

}  // namespace

Outcome EmulatorService::impl::route(const http::ServerRequest& req) {
  auto target = urls::parse_origin_form(req.target);
  if (!target) return {message_answer(400, "Bad Request", "The request target is not a valid path and query.")};
  auto q = parse_params(target->encoded_query());
  if (!q) return {message_answer(400, "Bad Request", "The query string is malformed.")};
  const std::string path = target->path();
  if (path == "/oauth2/authorize") {
    if (req.method == "GET") return {authorize_get(*q)};
    if (req.method == "POST") {
      auto form = parse_params(req.body);
      if (!form) return {html_answer(400, error_page("The form data is malformed."))};
      return {authorize_post(*form)};
    }
  }
  if (path == "/api/v2/oauth2/token" && req.method == "POST") return {token(req)};
  if (path == "/api/v2/accounts" && req.method == "GET") return {accounts_endpoint(req, *q)};
  if (path.rfind("/v2/", 0) == 0) return api(req, path, *q);
  return {message_answer(404, "Not Found", "No such endpoint in the Harvest emulator.")};
}

bool EmulatorService::impl::draw(unsigned& next, double rate) {
  if (next > 0) {
    --next;
    return true;
  }
  return rate > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(fault_rng) < rate;
}

std::string EmulatorService::impl::redact_query(std::string_view encoded) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= encoded.size() && !encoded.empty()) {
    std::size_t end = encoded.find('&', pos);
    if (end == std::string_view::npos) end = encoded.size();
    const auto item = encoded.substr(pos, end - pos);
    const auto eq = item.find('=');
    const auto key_enc = item.substr(0, eq);
    const auto key_dec = form_decode(key_enc);
    if (!out.empty()) out += '&';
    if (eq != std::string_view::npos && key_dec && is_secret_param(*key_dec)) {
      out += key_enc;
      out += '=';
      out += redacted;
    } else {
      out += item;
    }
    pos = end + 1;
  }
  return out;
}

std::string EmulatorService::impl::redact_target(std::string_view target) {
  const auto qm = target.find('?');
  if (qm == std::string_view::npos) return std::string(target);
  return std::string(target.substr(0, qm + 1)) + redact_query(target.substr(qm + 1));
}

std::string EmulatorService::impl::redact_body(const http::ServerRequest& req) {
  if (req.body.empty()) return {};
  const auto type = req.headers.get("Content-Type").value_or("");
  if (type.find("application/json") != std::string_view::npos) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return req.body.size() > 4096 ? req.body.substr(0, 4096) : req.body;
    for (auto& [k, val] : v.as_object())
      if (is_secret_param(k)) val = redacted;
    return json::serialize(v);
  }
  if (type.find("application/x-www-form-urlencoded") != std::string_view::npos || type.empty())
    return redact_query(req.body);
  return req.body.size() > 4096 ? req.body.substr(0, 4096) : req.body;
}

void EmulatorService::impl::record(const http::ServerRequest& req, int status, std::string fault) {
  RequestLogEntry e;
  e.method = req.method;
  e.target = redact_target(req.target);
  e.status = status;
  for (const auto& [k, v] : req.headers) {
    const bool secret = iequals(k, "Authorization") || iequals(k, "Harvest-Account-Id") || iequals(k, "Cookie");
    e.headers.emplace_back(k, secret ? std::string(redacted) : v);
  }
  e.body = redact_body(req);
  e.fault = std::move(fault);
  log.push_back(std::move(e));
  while (log.size() > options.request_log_limit) log.pop_front();
}

http::ServerResponse EmulatorService::impl::handle(const http::ServerRequest& req) {
  std::lock_guard lock(mutex);
  ++counters["requests"];
  const bool matches = req.target.rfind(faults.path_prefix, 0) == 0;
  if (matches && draw(faults.drop_next, faults.drop_rate)) {
    ++counters["faults.dropped"];
    record(req, 0, "dropped");
    http::ServerResponse r;
    r.fault = http::ServerResponse::Fault::close_without_answer;
    r.delay = faults.latency;
    return r;
  }
  if (matches && draw(faults.error_next, faults.error_rate)) {
    ++counters["faults.errors"];
    const int status = faults.error_status;
    const char* name = status == 503   ? "Service Unavailable"
                       : status == 429 ? "Too Many Requests"
                                       : "Internal Server Error";
    http::ServerResponse r;
    if (faults.bare_errors) {
      r.status = status;
      r.headers.set("Content-Type", "text/html");
    } else {
      r = message_answer(status, name, "Injected fault: the emulator answers this request with an error.");
    }
    if (!faults.retry_after_header.empty()) {
      r.headers.set("Retry-After", faults.retry_after_header);
    } else if (faults.retry_after_seconds > 0) {
      r.headers.set("Retry-After", std::to_string(faults.retry_after_seconds));
    }
    r.delay = faults.latency;
    record(req, status, "error");
    return r;
  }
  Outcome out = route(req);
  http::ServerResponse r = std::move(out.response);
  if (options.indent_json && req.target.rfind("/v2/", 0) == 0) r.body = indented(r.body);
  if (matches) {
    r.delay = faults.latency + (out.paginated ? faults.page_latency : std::chrono::milliseconds(0));
    if (draw(faults.truncate_next, faults.truncate_rate)) {
      ++counters["faults.truncated"];
      r.fault = http::ServerResponse::Fault::truncate_body;
      record(req, r.status, "truncated");
      return r;
    }
  }
  record(req, r.status, {});
  return r;
}

}  // namespace harvest_connect::testing
