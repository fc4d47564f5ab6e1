// URL, query and form parsing (http/url.hpp). The input is split at the first NUL: the
// first part is parsed as a URL, the second is used as a reference to resolve and as a form
// body. Only harvest_connect::error may escape the parsers; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harvest_connect/error.hpp"
#include "harvest_connect/http/url.hpp"

namespace http = harvest_connect::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view first = input.substr(0, nul);
  const std::string_view second = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  (void)http::is_loopback_host(first);
  try {
    const http::Params form = http::form_decode(second.empty() ? first : second);
    // Encoding then decoding gives the same pairs back.
    if (http::form_decode(http::form_encode(form)) != form) __builtin_trap();
  } catch (const harvest_connect::error&) {
  }
  (void)http::form_encode_component(first);

  try {
    const http::Url url = http::Url::parse(first);
    (void)url.target();
    (void)url.path();
    (void)url.authority();
    (void)url.origin();
    (void)url.redacted();
    const http::Params params = url.query_params();
    if (!params.empty()) (void)url.query_param(params.front().first);
    (void)url.with_query({{"state", "x y&z"}});
    (void)url.with_query_replaced(params);
    // A parsed URL's text parses again to the same URL.
    if (!(http::Url::parse(url.str()) == url)) __builtin_trap();
    if (!second.empty()) (void)url.resolve(second);
  } catch (const harvest_connect::error&) {
  }
  return 0;
}
