#include "harvest_connect/harvest/export.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/paginator.hpp"

namespace harvest_connect::harvest {

namespace {

[[noreturn]] void write_failed(const std::string& what) {
  throw error(errc::validation_failed, "output: " + what + ": " + std::strerror(errno));
}

// Writes one record on one line. A server (or a proxy) may indent its JSON, and JSON Lines
// needs each value on a line of its own: whitespace between tokens is dropped while the
// record is copied. Everything else, strings and numbers included, keeps the bytes that were
// sent (a string cannot hold a raw line break, so none is left). The record was validated
// with the page, so the scan only needs to know where strings begin and end.
bool write_one_line(std::FILE* out, std::string_view json) {
  std::size_t run = 0;  // start of the bytes not written yet
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character belongs to the string, even a quote
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      if (i > run && std::fwrite(json.data() + run, 1, i - run, out) != i - run) return false;
      run = i + 1;
    }
  }
  if (run < json.size() && std::fwrite(json.data() + run, 1, json.size() - run, out) != json.size() - run) {
    return false;
  }
  return std::fputc('\n', out) != EOF;
}

}  // namespace

std::uint64_t export_jsonl(const HarvestClient& client, std::string_view path, const QueryParams& params,
                           std::FILE* out, const std::function<void(const ExportProgress&)>& progress) {
  auto pages = client.paginate(path, params);
  ExportProgress state;
  while (auto page = pages.next()) {
    for (std::string_view record : page->page.records) {
      if (!write_one_line(out, record)) write_failed("could not write");
    }
    state.records += page->page.records.size();
    ++state.pages;
    state.total_entries = pages.total_entries();
    if (progress) progress(state);
  }
  if (std::fflush(out) != 0) write_failed("could not write");
  return state.records;
}

std::uint64_t export_jsonl(const HarvestClient& client, std::string_view path, const QueryParams& params,
                           const std::filesystem::path& file,
                           const std::function<void(const ExportProgress&)>& progress) {
  const auto bytes = crypto::random_bytes(6);
  auto temp = file;
  temp += ".part-" + crypto::hex_encode(bytes);
  struct Closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> out(std::fopen(temp.c_str(), "wbx"));
  if (!out) write_failed("could not create " + temp.string());
  std::setvbuf(out.get(), nullptr, _IOFBF, 1 << 20);
  std::uint64_t written = 0;
  try {
    written = export_jsonl(client, path, params, out.get(), progress);
    if (std::fclose(out.release()) != 0) write_failed("could not write " + temp.string());
    std::error_code ec;
    std::filesystem::rename(temp, file, ec);
    if (ec) throw error(errc::validation_failed, "output: could not rename into " + file.string() + ": " + ec.message());
  } catch (...) {
    out.reset();
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw;
  }
  return written;
}

}  // namespace harvest_connect::harvest
