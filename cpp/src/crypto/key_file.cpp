#include "harvest_connect/crypto/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto {
namespace {

namespace fs = std::filesystem;

// Closes a file descriptor on every path out.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Makes a new directory entry durable: fsync on the file alone does not persist its name,
// so after a crash the key file could be gone while the store is already under its key.
void sync_directory(const fs::path& dir) {
  fd_guard d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0)
    throw error(errc::key_error, "cannot flush the key file's directory " + dir.string() + ": " + std::strerror(errno));
}

void make_private_dir(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::exists(dir, ec)) return;
  fs::create_directories(dir, ec);
  if (ec) throw error(errc::key_error, "cannot create the key directory " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
}

}  // namespace

MasterKey load_key_file(const fs::path& path) {
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) {
    const int err = errno;
    throw error(errc::key_error, "cannot open the key file " + path.string() + ": " + std::strerror(err) +
                                     (err == ENOENT ? ". Create it (the base64 of 32 random bytes, readable by its owner only) or "
                                                       "give the key another way"
                                                     : ""));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    throw error(errc::key_error, "cannot inspect the key file " + path.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw error(errc::key_error, "the key file " + path.string() + " is not a regular file");
  // As OpenSSH does with its private files: a key file that another user owns may have
  // been put there (or be changed later) by that user; its mode says nothing then.
  if (st.st_uid != ::geteuid())
    throw error(errc::key_error, "the key file " + path.string() + " belongs to another user (uid " +
                                     std::to_string(st.st_uid) + ", you are uid " + std::to_string(::geteuid()) +
                                     "); it was not used. Use a key file of your own, or, if this one is yours, run: "
                                     "chown " + std::to_string(::geteuid()) + " " + path.string());
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw error(errc::key_error, "the key file " + path.string() +
                                     " can be read or written by other users; it was not used. Run: chmod 600 " +
                                     path.string());
  // A key file is a line of 44 characters; anything much larger is not a key file.
  char buffer[256];
  ssize_t n = ::read(f.fd, buffer, sizeof buffer);
  if (n < 0) throw error(errc::key_error, "cannot read the key file " + path.string() + ": " + std::strerror(errno));
  Secret text(reinterpret_cast<const unsigned char*>(buffer), static_cast<std::size_t>(n));
  OPENSSL_cleanse(buffer, sizeof buffer);
  try {
    return MasterKey::from_base64(text.reveal_string());
  } catch (const error&) {
    throw error(errc::key_error, "the key file " + path.string() +
                                     " does not hold a valid key (expected one line of base64, 32 bytes)");
  }
}

void write_key_file(const fs::path& path, const MasterKey& key) {
  make_private_dir(path.parent_path());
  fd_guard f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0) {
    const int err = errno;
    throw error(errc::key_error, "cannot create the key file " + path.string() + ": " + std::strerror(err) +
                                     (err == EEXIST ? " (it exists already; it was left as it is)" : ""));
  }
  ::fchmod(f.fd, 0600);  // whatever the umask said
  Secret text = key.to_base64();
  Secret line(text.size() + 1);
  std::memcpy(line.mutable_bytes().data(), text.reveal().data(), text.size());
  line.mutable_bytes()[text.size()] = '\n';
  std::size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(f.fd, line.reveal().data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::unlink(path.c_str());
      throw error(errc::key_error, "cannot write the key file " + path.string() + ": " + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    throw error(errc::key_error, "cannot write the key file " + path.string() + ": " + std::strerror(err));
  }
  sync_directory(path.parent_path());
}

MasterKey load_or_create_key_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) {
    MasterKey key = MasterKey::generate();
    try {
      write_key_file(path, key);
      return key;
    } catch (const error&) {
      // Another process may have created it between our check and our open: use theirs.
      if (!fs::exists(path, ec)) throw;
    }
  }
  return load_key_file(path);
}

std::optional<MasterKey> key_from_environment() {
  if (const char* text = std::getenv(key_env_var); text && *text) {
    try {
      return MasterKey::from_base64(text);
    } catch (const error&) {
      throw error(errc::key_error, std::string(key_env_var) +
                                       " is set but does not hold a valid key (the base64 of 32 bytes)");
    }
  }
  if (const char* path = std::getenv(key_file_env_var); path && *path) return load_key_file(path);
  return std::nullopt;
}

}  // namespace harvest_connect::crypto
