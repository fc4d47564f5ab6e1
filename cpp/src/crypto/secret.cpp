#include "harvest_connect/crypto/secret.hpp"

#include <openssl/crypto.h>

#include <cstring>

#include "crypto/detail/constant_time.hpp"

namespace harvest_connect::crypto {

Secret::Secret(std::size_t size) : data_(size ? new unsigned char[size]() : nullptr), size_(size) {}

Secret::Secret(const unsigned char* data, std::size_t size) : Secret(size) {
  if (size) std::memcpy(data_.get(), data, size);
}

Secret Secret::from_string(std::string_view text) {
  return Secret(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

Secret::Secret(const Secret& other) : Secret(other.data_.get(), other.size_) {}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    Secret copy(other);
    *this = std::move(copy);
  }
  return *this;
}

// Moving transfers the buffer itself, so no copy of the bytes is left behind; the source
// is left empty.
Secret::Secret(Secret&& other) noexcept : data_(std::move(other.data_)), size_(other.size_) {
  other.size_ = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

Secret::~Secret() { clear(); }

void Secret::clear() noexcept {
  if (data_) OPENSSL_cleanse(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

bool operator==(const Secret& a, const Secret& b) noexcept {
  return detail::constant_time_equal(a.reveal(), b.reveal());
}

}  // namespace harvest_connect::crypto
