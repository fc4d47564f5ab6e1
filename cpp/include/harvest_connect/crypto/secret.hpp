#pragma once
// Secret: a byte buffer for key material, tokens and other secrets. It is wiped with
// OPENSSL_cleanse when destroyed and when moved from, has no stream output, compares in
// constant time, and gives its bytes only through an explicit reveal().

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace harvest_connect::crypto {

class Secret {
 public:
  Secret() noexcept = default;
  // A zero-filled secret of `size` bytes, to be filled through mutable_bytes().
  explicit Secret(std::size_t size);
  Secret(const unsigned char* data, std::size_t size);
  explicit Secret(std::span<const unsigned char> bytes) : Secret(bytes.data(), bytes.size()) {}
  [[nodiscard]] static Secret from_string(std::string_view text);

  Secret(const Secret& other);
  Secret& operator=(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  // The bytes, for the call that needs them; do not keep them beyond this Secret's life.
  [[nodiscard]] std::span<const unsigned char> reveal() const noexcept { return {data_.get(), size_}; }
  [[nodiscard]] std::string_view reveal_string() const noexcept {
    return {reinterpret_cast<const char*>(data_.get()), size_};
  }
  [[nodiscard]] std::span<unsigned char> mutable_bytes() noexcept { return {data_.get(), size_}; }

  // Wipes and empties.
  void clear() noexcept;

  // Constant time in the contents (the lengths are not secret).
  friend bool operator==(const Secret& a, const Secret& b) noexcept;

 private:
  std::unique_ptr<unsigned char[]> data_;
  std::size_t size_ = 0;
};

}  // namespace harvest_connect::crypto
