#include "store/detail/connect.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "harvest_connect/error.hpp"
#include "harvest_connect/store/location.hpp"

namespace harvest_connect::store::detail {
namespace {

namespace fs = std::filesystem;

// Where options point: a database URL (url non-empty) or a SQLite file. options.url, a URL
// given as the path, or, when neither is given, HARVEST_CONNECT_STORE (a path or a URL),
// else the default file.
struct Location {
  std::string url;
  fs::path path;
};

Location resolve(const OpenOptions& options) {
  if (options.url) {
    if (options.path) throw error(errc::validation_failed, "give either a path or a database URL, not both");
    if (!is_database_url(*options.url))
      throw error(errc::validation_failed, "url: " + redact_database_url(*options.url) +
                                               " is not a PostgreSQL URL (postgresql://user@host/database)");
    return {*options.url, {}};
  }
  const std::string given = options.path ? options.path->string() : default_store_location();
  if (is_database_url(given)) return {given, {}};
  return {{}, fs::path(given)};
}

// Creates the store's directory 0700 when we create it (an existing directory the user
// chose is left alone), and the database file 0600 before SQLite opens it. SQLite gives
// its -wal, -shm and -journal files the database file's mode.
void prepare_file(const fs::path& path) {
  const fs::path dir = path.parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) throw error(errc::store_error, "cannot create the store directory " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    throw error(errc::store_error, "cannot open the store " + path.string() + ": " + std::strerror(errno) +
                                       " (check the path and its permissions)");
  ::fchmod(fd, 0600);
  ::close(fd);
}

void tighten_side_files(const fs::path& path) {
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    fs::path p = path;
    p += suffix;
    ::chmod(p.c_str(), 0600);  // absent files: nothing to do
  }
}

}  // namespace

std::string location_of(const OpenOptions& options) {
  const Location l = resolve(options);
  return l.url.empty() ? l.path.string() : redact_database_url(l.url);
}

bool location_exists(const OpenOptions& options) {
  const Location l = resolve(options);
  if (!l.url.empty()) return true;
  std::error_code ec;
  return fs::exists(l.path, ec);
}

void connect(Database& db, const OpenOptions& options) {
  const Location l = resolve(options);
  if (!l.url.empty()) {
    db.open_url(l.url, options.busy_timeout_ms);
    return;
  }
  prepare_file(l.path);
  db.open(l.path, options.busy_timeout_ms);  // foreign keys and secure_delete on
}

bool holds_no_store(Database& db) { return db.is_empty(); }

void prepare_new_store(Database& db) { db.use_write_ahead_log(); }

void after_open(const OpenOptions& options) {
  const Location l = resolve(options);
  if (l.url.empty()) tighten_side_files(l.path);
}

}  // namespace harvest_connect::store::detail
