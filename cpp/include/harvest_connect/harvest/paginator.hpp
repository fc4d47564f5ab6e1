#pragma once
// Walks a Harvest list endpoint page by page, following links.next (page and cursor style
// alike) until it is null. While the caller works through one page, the next ones are already
// being fetched (ClientOptions::prefetch_pages), so at most 1 + prefetch pages are in memory,
// beside the memory of a few pages the caller has let go of, which later pages are read into
// (kept until the walk ends).
// With more than one page ahead and numbered pages (links.next ends in page=N and the page
// gave total_pages), the pages after the next one are requested at once, each on its own
// connection; a page is only returned when it is the one the previous page's links.next
// named, and a guess that turns out wrong is dropped (cursor pages are always followed one
// link at a time).
//
//   auto pages = client.paginate("/time_entries", {{"from", "2024-01-01"}});
//   while (auto page = pages.next()) for (std::string_view record : page->page.records) ...

#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "harvest_connect/harvest/page.hpp"

namespace harvest_connect::harvest {

class HarvestClient;

// One fetched page: its body and the parsed view of it (records are views into body).
struct PageData {
  std::string body;
  Page page;
  std::string url;  // where it came from
  PageData() = default;
  PageData(const PageData&) = delete;
  PageData& operator=(const PageData&) = delete;
};

class Paginator {
 public:
  Paginator(Paginator&&) noexcept;
  Paginator& operator=(Paginator&&) noexcept;
  ~Paginator();  // waits for a page still being fetched

  // The next page, nullptr after the last. Errors of a page surface here.
  [[nodiscard]] std::shared_ptr<const PageData> next();
  // Records returned so far, and the total Harvest announced (when it did).
  [[nodiscard]] std::uint64_t records_seen() const noexcept { return records_seen_; }
  [[nodiscard]] std::optional<std::int64_t> total_entries() const noexcept { return total_entries_; }
  [[nodiscard]] std::uint64_t pages_seen() const noexcept { return pages_seen_; }

 private:
  friend class HarvestClient;
  Paginator(std::shared_ptr<HarvestClient> client, std::string first_url, std::string resource,
            PageValidation validation);
  // A page requested and the URL it was requested at.
  struct Pending {
    std::string url;
    std::future<std::shared_ptr<const PageData>> page;
  };
  void start(std::string url);
  void fill_ahead();
  struct SpareBodies;

  std::shared_ptr<HarvestClient> client_;
  std::string resource_;
  PageValidation validation_;
  std::shared_ptr<SpareBodies> spare_;
  std::deque<Pending> pending_;
  std::optional<std::int64_t> total_pages_;
  bool exhausted_ = false;
  std::uint64_t records_seen_ = 0;
  std::uint64_t pages_seen_ = 0;
  std::optional<std::int64_t> total_entries_;
};

}  // namespace harvest_connect::harvest
