// Where the trusted CAs come from when OpenSSL's compiled-in location has none (the wheel's
// static OpenSSL outside Debian): http/detail/system_ca.hpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "http/detail/system_ca.hpp"

namespace fs = std::filesystem;
using harvest_connect::http::detail::CaLocations;
using harvest_connect::http::detail::fallback_ca_bundle;

namespace {

class SystemCa : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hc-system-ca-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string file(const std::string& name) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << "-----BEGIN CERTIFICATE-----\n";
    return p.string();
  }
  // OpenSSL's compiled-in location on a machine that is not Debian: absent.
  CaLocations elsewhere() const { return {false, dir_ / "usr-lib-ssl" / "cert.pem", dir_ / "usr-lib-ssl" / "certs"}; }

  fs::path dir_;
};

TEST_F(SystemCa, TakesTheFirstBundleThatExistsWhenOpenSslsLocationIsAbsent) {
  const std::string missing = (dir_ / "missing.crt").string();
  const std::string fedora = file("ca-bundle.crt");
  const std::string alpine = file("cert.pem");
  const std::vector<const char*> candidates{missing.c_str(), fedora.c_str(), alpine.c_str()};
  EXPECT_EQ(fallback_ca_bundle(elsewhere(), candidates), fs::path(fedora));
}

TEST_F(SystemCa, SkipsADirectoryWhereABundleFileWasExpected) {
  fs::create_directories(dir_ / "a-directory.crt");
  const std::string as_dir = (dir_ / "a-directory.crt").string();
  const std::string bundle = file("bundle.pem");
  const std::vector<const char*> candidates{as_dir.c_str(), bundle.c_str()};
  EXPECT_EQ(fallback_ca_bundle(elsewhere(), candidates), fs::path(bundle));
}

TEST_F(SystemCa, NothingWhenNoBundleExists) {
  const std::string missing = (dir_ / "missing.crt").string();
  const std::vector<const char*> candidates{missing.c_str()};
  EXPECT_EQ(fallback_ca_bundle(elsewhere(), candidates), std::nullopt);
}

TEST_F(SystemCa, NothingWhenTheUserChoseWithSslCertFileOrDir) {
  const std::string bundle = file("bundle.pem");
  const std::vector<const char*> candidates{bundle.c_str()};
  CaLocations where = elsewhere();
  where.env_set = true;
  EXPECT_EQ(fallback_ca_bundle(where, candidates), std::nullopt);
}

TEST_F(SystemCa, NothingWhenOpenSslsOwnLocationExists) {
  const std::string bundle = file("bundle.pem");
  const std::vector<const char*> candidates{bundle.c_str()};
  CaLocations with_file = elsewhere();
  with_file.default_file = file("cert.pem");
  EXPECT_EQ(fallback_ca_bundle(with_file, candidates), std::nullopt);
  CaLocations with_dir = elsewhere();
  fs::create_directories(with_dir.default_dir);
  EXPECT_EQ(fallback_ca_bundle(with_dir, candidates), std::nullopt);
}

TEST_F(SystemCa, ThisProcessReadsOpenSslsLocationsAndTheEnvironment) {
  const auto where = harvest_connect::http::detail::openssl_ca_locations();
  EXPECT_FALSE(where.default_file.empty());
  EXPECT_FALSE(where.default_dir.empty());
}

}  // namespace
