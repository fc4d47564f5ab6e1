// Master keys, key files and the environment, and envelope encryption of the data key.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/envelope.hpp"
#include "harvest_connect/crypto/key_file.hpp"
#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/error.hpp"

namespace hc = harvest_connect;
namespace hcc = harvest_connect::crypto;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "hc-keys-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

// Restores an environment variable when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1); else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1); else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST(CryptoKeys, Base64RoundTripKeepsTheId) {
  auto key = hcc::MasterKey::generate();
  auto text = key.to_base64();
  EXPECT_EQ(text.size(), 44u);
  auto again = hcc::MasterKey::from_base64(text.reveal_string());
  EXPECT_EQ(again.id(), key.id());
  EXPECT_EQ(again.bytes(), key.bytes());
  EXPECT_EQ(key.id().size(), 8u);
}

TEST(CryptoKeys, MalformedBase64IsRefusedWithoutEchoingIt) {
  for (const std::string& bad : std::vector<std::string>{"", "abc", std::string(43, 'A') + "!", hcc::base64_encode(std::vector<unsigned char>(31)),
                          hcc::base64_encode(std::vector<unsigned char>(33))}) {
    try {
      (void)hcc::MasterKey::from_base64(bad);
      ADD_FAILURE() << "accepted a malformed key";
    } catch (const hc::error& e) {
      EXPECT_EQ(e.kind(), hc::errc::key_error);
      if (!bad.empty()) EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos);
    }
  }
}

TEST(CryptoKeys, KeyFilesAreCreated0600InA0700Directory) {
  TempDir dir;
  auto path = dir.path() / "config" / "master.key";
  auto key = hcc::MasterKey::generate();
  hcc::write_key_file(path, key);
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(path.parent_path()), 0700u);
  EXPECT_EQ(hcc::load_key_file(path).id(), key.id());
  EXPECT_THROW(hcc::write_key_file(path, hcc::MasterKey::generate()), hc::error) << "never overwrites a key";
  EXPECT_EQ(hcc::load_key_file(path).id(), key.id());
}

TEST(CryptoKeys, A0644KeyFileIsRefusedWithTheFix) {
  TempDir dir;
  auto path = dir.path() / "master.key";
  hcc::write_key_file(path, hcc::MasterKey::generate());
  ::chmod(path.c_str(), 0644);
  try {
    (void)hcc::load_key_file(path);
    FAIL() << "a world-readable key file was used";
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::key_error);
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos);
  }
  ::chmod(path.c_str(), 0640);
  EXPECT_THROW((void)hcc::load_key_file(path), hc::error);
}

TEST(CryptoKeys, MissingOrGarbageKeyFilesSayWhatToDo) {
  TempDir dir;
  try {
    (void)hcc::load_key_file(dir.path() / "nope.key");
    FAIL();
  } catch (const hc::error& e) {
    // What to do, in the engine's neutral words (the CLI's command is added by the Python layer).
    EXPECT_NE(std::string(e.what()).find("Create it (the base64 of 32 random bytes"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("harvest-connect"), std::string::npos);
  }
  auto garbage = dir.path() / "garbage.key";
  { std::ofstream(garbage) << "not a key\n"; }
  ::chmod(garbage.c_str(), 0600);
  EXPECT_THROW((void)hcc::load_key_file(garbage), hc::error);
}

TEST(CryptoKeys, LoadOrCreateCreatesOnceThenLoads) {
  TempDir dir;
  auto path = dir.path() / "k" / "master.key";
  auto first = hcc::load_or_create_key_file(path);
  auto second = hcc::load_or_create_key_file(path);
  EXPECT_EQ(first.id(), second.id());
}

TEST(CryptoKeys, EnvironmentVariableThenKeyFile) {
  TempDir dir;
  auto file_key = hcc::MasterKey::generate();
  auto path = dir.path() / "env.key";
  hcc::write_key_file(path, file_key);
  {
    ScopedEnv k(hcc::key_env_var, nullptr);
    ScopedEnv f(hcc::key_file_env_var, nullptr);
    EXPECT_FALSE(hcc::key_from_environment().has_value());
  }
  {
    ScopedEnv k(hcc::key_env_var, nullptr);
    ScopedEnv f(hcc::key_file_env_var, path.c_str());
    EXPECT_EQ(hcc::key_from_environment()->id(), file_key.id());
  }
  auto env_key = hcc::MasterKey::generate();
  auto text = env_key.to_base64();
  std::string value(text.reveal_string());
  ScopedEnv k(hcc::key_env_var, value.c_str());
  ScopedEnv f(hcc::key_file_env_var, path.c_str());
  EXPECT_EQ(hcc::key_from_environment()->id(), env_key.id());
}

TEST(CryptoEnvelope, WrapUnwrapAndRewrap) {
  auto master = hcc::MasterKey::generate();
  auto dek = hcc::DataKey::generate();
  auto wrapped = hcc::wrap_data_key(master, dek, "store-a");
  EXPECT_EQ(hcc::wrapping_key_id(wrapped), master.id());
  EXPECT_EQ(hcc::unwrap_data_key(master, wrapped, "store-a").key, dek.key);

  auto next = hcc::MasterKey::generate();
  auto rewrapped = hcc::rewrap_data_key(master, next, wrapped, "store-a");
  EXPECT_EQ(hcc::unwrap_data_key(next, rewrapped, "store-a").key, dek.key);
  EXPECT_EQ(hcc::unwrap_data_key(next, rewrapped, "store-a").id, dek.id);
}

TEST(CryptoEnvelope, AnotherMasterKeyIsAKeyMismatchNamingBothIds) {
  auto master = hcc::MasterKey::generate();
  auto wrapped = hcc::wrap_data_key(master, hcc::DataKey::generate(), "store-a");
  auto other = hcc::MasterKey::generate();
  try {
    (void)hcc::unwrap_data_key(other, wrapped, "store-a");
    FAIL();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::key_mismatch);
    EXPECT_NE(std::string(e.what()).find(master.id()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(other.id()), std::string::npos);
  }
}

TEST(CryptoEnvelope, ATamperedOrMovedDataKeyFails) {
  auto master = hcc::MasterKey::generate();
  auto wrapped = hcc::wrap_data_key(master, hcc::DataKey::generate(), "store-a");
  EXPECT_THROW((void)hcc::unwrap_data_key(master, wrapped, "store-b"), hc::error);
  wrapped.back() ^= 1;
  try {
    (void)hcc::unwrap_data_key(master, wrapped, "store-a");
    FAIL();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::decryption_failed);
  }
}

TEST(CryptoEncoding, Base64IsStrict) {
  EXPECT_EQ(hcc::base64_encode(std::vector<unsigned char>{'h', 'i'}), "aGk=");
  EXPECT_TRUE(hcc::base64_decode("aGk=").has_value());
  EXPECT_FALSE(hcc::base64_decode("aGk").has_value());
  EXPECT_FALSE(hcc::base64_decode("aGl=").has_value()) << "non-canonical padding bits";
  EXPECT_FALSE(hcc::base64_decode("a Gk=").has_value());
  EXPECT_FALSE(hcc::base64_decode("aG=k").has_value());
  EXPECT_EQ(hcc::base64url_encode(std::vector<unsigned char>{0xfb, 0xff}), "-_8");
}
