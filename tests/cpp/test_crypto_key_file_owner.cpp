// Key files owned by another user are refused, as OpenSSH refuses such private files: their
// owner can change them whatever the mode says.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harvest_connect/crypto/key_file.hpp"
#include "harvest_connect/error.hpp"

namespace fs = std::filesystem;
namespace hc = harvest_connect;

TEST(CryptoKeyFileOwner, AKeyFileOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a file to another user needs root (the test suite's container is)";
  std::string tmpl = (fs::temp_directory_path() / "hc-owner-XXXXXX").string();
  const fs::path dir = ::mkdtemp(tmpl.data());
  const fs::path file = dir / "master.key";
  const auto key = hc::crypto::MasterKey::generate();
  hc::crypto::write_key_file(file, key);
  EXPECT_EQ(hc::crypto::load_key_file(file).id(), key.id());  // ours: fine
  constexpr uid_t nobody = 65534;
  ASSERT_EQ(::chown(file.c_str(), nobody, static_cast<gid_t>(-1)), 0);
  try {
    (void)hc::crypto::load_key_file(file);
    ADD_FAILURE() << "a key file of another user was used";
  } catch (const hc::error& e) {
    EXPECT_EQ(e.kind(), hc::errc::key_error);
    const std::string text = e.what();
    EXPECT_NE(text.find("belongs to another user (uid 65534"), std::string::npos) << text;
    EXPECT_NE(text.find("chown"), std::string::npos) << text;
  }
  fs::remove_all(dir);
}
