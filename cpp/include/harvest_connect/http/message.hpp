#pragma once
// HTTP messages as plain values, shared by the client, the server, the loopback receiver
// and the emulator. Header names compare case-insensitively; order is kept.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace harvest_connect::http {

class Headers {
 public:
  using field = std::pair<std::string, std::string>;

  // Replaces every field of that name with one field.
  void set(std::string_view name, std::string_view value);
  // Appends a field, keeping any of the same name.
  void add(std::string_view name, std::string_view value);
  void erase(std::string_view name);
  // The first field of that name.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }

  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }

 private:
  std::vector<field> fields_;
};

struct Request {
  std::string method = "GET";
  // For the client: an absolute URL. For a server handler: the origin-form target
  // (path and query) exactly as received.
  std::string target;
  Headers headers;
  std::string body;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

}  // namespace harvest_connect::http
