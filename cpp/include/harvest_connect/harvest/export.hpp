#pragma once
// Export every record of a list endpoint as JSON Lines: one record per line, always one
// valid JSON value per line, with the bytes Harvest sent (no document tree, no
// re-serialisation) except the whitespace between tokens, which is dropped so that an
// indented answer still gives one line per record; pages prefetched while the previous one
// is written.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

#include "harvest_connect/harvest/client.hpp"

namespace harvest_connect::harvest {

struct ExportProgress {
  std::uint64_t records = 0;
  std::uint64_t pages = 0;
  std::optional<std::int64_t> total_entries;  // when Harvest announced it
};

// Writes to an open stream; calls `progress` after each page. Returns the records written.
std::uint64_t export_jsonl(const HarvestClient& client, std::string_view path, const QueryParams& params,
                           std::FILE* out, const std::function<void(const ExportProgress&)>& progress = {});

// Writes to `file` (created or truncated), through a temporary file in the same directory
// renamed into place at the end, so that a failed export leaves no half-written file.
std::uint64_t export_jsonl(const HarvestClient& client, std::string_view path, const QueryParams& params,
                           const std::filesystem::path& file,
                           const std::function<void(const ExportProgress&)>& progress = {});

}  // namespace harvest_connect::harvest
