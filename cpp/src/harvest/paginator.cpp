#include "harvest_connect/harvest/paginator.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <vector>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/api_path.hpp"
#include "harvest_connect/harvest/client.hpp"
#include "harvest_connect/http/url.hpp"

namespace harvest_connect::harvest {

// The bodies of pages the caller has finished with, lent to the pages still to come.
struct Paginator::SpareBodies {
  static constexpr std::size_t kept = 4;
  std::mutex mutex;
  std::vector<std::string> bodies;
  bool closed = false;

  std::string take() {
    std::lock_guard lock(mutex);
    if (bodies.empty()) return {};
    std::string body = std::move(bodies.back());
    bodies.pop_back();
    return body;
  }
  // Called by a page's deleter: must not throw (a spare lost to bad_alloc is only a spare).
  void give(std::string&& body) noexcept {
    try {
      std::lock_guard lock(mutex);
      if (!closed && bodies.size() < kept) bodies.push_back(std::move(body));
    } catch (...) {
    }
  }
  // The walk has ended: nothing more will be read, so keep nothing.
  void close() noexcept {
    std::vector<std::string> dropped;  // freed outside the lock
    try {
      std::lock_guard lock(mutex);
      closed = true;
      dropped.swap(bodies);
    } catch (...) {
    }
  }
};

Paginator::Paginator(std::shared_ptr<HarvestClient> client, std::string first_url, std::string resource,
                     PageValidation validation)
    : client_(std::move(client)),
      resource_(std::move(resource)),
      validation_(validation),
      spare_(std::make_shared<SpareBodies>()) {
  start(std::move(first_url));
}

Paginator::Paginator(Paginator&&) noexcept = default;
Paginator& Paginator::operator=(Paginator&&) noexcept = default;
Paginator::~Paginator() = default;

namespace {

// The URL of the page after `url` when pages are numbered (page=N) and N is not the last of
// `total_pages`; nullopt otherwise (cursor pages, the last page, a URL we cannot read).
std::optional<std::string> following_page_url(const std::string& url, std::optional<std::int64_t> total_pages) {
  if (!total_pages) return std::nullopt;
  try {
    const auto u = http::Url::parse(url);
    const auto page = u.query_param("page");
    if (!page || u.query_param("cursor")) return std::nullopt;
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(page->data(), page->data() + page->size(), n);
    if (ec != std::errc() || end != page->data() + page->size() || n < 1 || n >= *total_pages) return std::nullopt;
    return u.with_query_replaced({{"page", std::to_string(n + 1)}}).str();
  } catch (const error&) {
    return std::nullopt;
  }
}

// Whether two page URLs ask for the same thing (same origin, path and parameters, in any order).
bool same_page_url(const std::string& a, const std::string& b) {
  if (a == b) return true;
  try {
    const auto x = http::Url::parse(a);
    const auto y = http::Url::parse(b);
    if (x.origin() != y.origin() || x.path() != y.path()) return false;
    auto px = x.query_params();
    auto py = y.query_params();
    std::sort(px.begin(), px.end());
    std::sort(py.begin(), py.end());
    return px == py;
  } catch (const error&) {
    return false;
  }
}

}  // namespace

void Paginator::start(std::string url) {
  auto client = client_;
  auto resource = resource_;
  auto fetch = [client, resource, url, validation = validation_, spare = spare_]() -> std::shared_ptr<const PageData> {
    // A page's body goes back to the spares when the caller lets go of the page, so each page
    // after the first few is read into memory that is already mapped.
    // The deleter holds the spares weakly: a page kept after its walk ended frees its own body.
    std::shared_ptr<PageData> data(new PageData, [weak = std::weak_ptr<SpareBodies>(spare)](PageData* done) {
      if (auto spares = weak.lock()) spares->give(std::move(done->body));
      delete done;
    });
    data->url = url;
    // Links are absolute; resolving checks that they stay on the API host.
    const std::string target = resolve_api_url(client->api_url(), url);
    data->body = client->get_page(target, spare->take()).body;
    try {
      data->page = parse_page(data->body, resource, validation);
    } catch (const error& e) {
      // The message may quote the answer (a duplicated key).
      throw error(e.kind(), client->scrub(e.what()), e.http_status(), client->scrub(e.body()), e.server_error());
    }
    return data;
  };
  const auto policy = client_->options().prefetch_pages > 0 ? std::launch::async : std::launch::deferred;
  pending_.push_back(Pending{std::move(url), std::async(policy, std::move(fetch))});
}

// With numbered pages, requests the pages after the last one pending until prefetch_pages are
// on their way.
void Paginator::fill_ahead() {
  const unsigned ahead = client_->options().prefetch_pages;
  while (!pending_.empty() && pending_.size() < ahead) {
    auto url = following_page_url(pending_.back().url, total_pages_);
    if (!url) break;
    start(std::move(*url));
  }
}

std::shared_ptr<const PageData> Paginator::next() {
  if (pending_.empty()) return nullptr;
  auto future = std::move(pending_.front().page);
  pending_.pop_front();
  std::shared_ptr<const PageData> page;
  try {
    page = future.get();
  } catch (...) {
    exhausted_ = true;
    pending_.clear();  // waits for the pages still on their way; nothing more is requested
    spare_->close();
    throw;
  }
  ++pages_seen_;
  records_seen_ += page->page.records.size();
  if (page->page.total_entries) total_entries_ = page->page.total_entries;
  if (page->page.total_pages) total_pages_ = page->page.total_pages;
  if (page->page.next) {
    // A page requested ahead is only used when it is the one this page links to.
    if (!pending_.empty() && !same_page_url(pending_.front().url, *page->page.next)) pending_.clear();
    if (pending_.empty()) start(*page->page.next);
    fill_ahead();
  } else {
    exhausted_ = true;
    pending_.clear();
    spare_->close();
  }
  return page;
}

}  // namespace harvest_connect::harvest
