#include "harvest_connect/crypto/sealed_field.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>

#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"

namespace harvest_connect::crypto {
namespace {

void append_prefixed(std::vector<unsigned char>& out, bytes_view part) {
  const auto n = static_cast<std::uint32_t>(part.size());
  out.push_back(static_cast<unsigned char>(n >> 24));
  out.push_back(static_cast<unsigned char>(n >> 16));
  out.push_back(static_cast<unsigned char>(n >> 8));
  out.push_back(static_cast<unsigned char>(n));
  out.insert(out.end(), part.begin(), part.end());
}

bytes_view as_bytes(const std::string& s) { return {reinterpret_cast<const unsigned char*>(s.data()), s.size()}; }

// Counts forks, so that a child never uses nonces its parent drew.
std::atomic<unsigned> fork_generation{0};
void forked_child() noexcept { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// A random 96-bit nonce. RAND_bytes is called for 64 nonces at a time: in OpenSSL 3 each call
// costs more than sealing a small secret (tests/bench, docs/performance.md). The batch belongs
// to one thread, and a forked child discards what its parent left, so no two seals share a nonce.
std::array<unsigned char, gcm_nonce_size> next_nonce() {
  static const bool watching_forks = [] { return ::pthread_atfork(nullptr, nullptr, forked_child) == 0; }();
  constexpr std::size_t per_batch = 64;
  struct Batch {
    std::array<unsigned char, per_batch * gcm_nonce_size> bytes{};
    std::size_t used = per_batch * gcm_nonce_size;
    unsigned generation = 0;
  };
  thread_local Batch batch;
  const unsigned generation = fork_generation.load(std::memory_order_relaxed);
  if (!watching_forks || batch.used == batch.bytes.size() || batch.generation != generation) {
    random_fill(batch.bytes);
    batch.used = 0;
    batch.generation = generation;
  }
  std::array<unsigned char, gcm_nonce_size> nonce{};
  std::copy_n(batch.bytes.begin() + static_cast<std::ptrdiff_t>(batch.used), gcm_nonce_size, nonce.begin());
  batch.used += gcm_nonce_size;
  return nonce;
}

}  // namespace

std::vector<unsigned char> associated_data(unsigned char version, const KeyId& key_id, const FieldContext& where) {
  std::vector<unsigned char> aad;
  aad.reserve(6 * 4 + 1 + key_id_size + where.store_id.size() + where.table.size() + where.record_id.size() +
              where.field.size());
  append_prefixed(aad, bytes_view(&version, 1));
  append_prefixed(aad, key_id);
  append_prefixed(aad, as_bytes(where.store_id));
  append_prefixed(aad, as_bytes(where.table));
  append_prefixed(aad, as_bytes(where.record_id));
  append_prefixed(aad, as_bytes(where.field));
  return aad;
}

std::vector<unsigned char> seal_field_with_nonce(const Secret& key, const KeyId& key_id, const FieldContext& where,
                                                 bytes_view nonce, bytes_view plaintext) {
  if (key.size() != aes256_key_size) throw error(errc::unsupported, "sealed fields need a 32-byte AES-256 key");
  std::vector<unsigned char> body =
      aes_gcm_encrypt(key, nonce, associated_data(sealed_format_version, key_id, where), plaintext);
  std::vector<unsigned char> out;
  out.reserve(sealed_header_size + body.size());
  out.push_back(sealed_format_version);
  out.insert(out.end(), key_id.begin(), key_id.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<unsigned char> seal_field(const Secret& key, const KeyId& key_id, const FieldContext& where,
                                      bytes_view plaintext) {
  const auto nonce = next_nonce();
  return seal_field_with_nonce(key, key_id, where, nonce, plaintext);
}

std::optional<KeyId> sealed_key_id(bytes_view sealed) {
  if (sealed.size() < sealed_overhead || sealed[0] != sealed_format_version) return std::nullopt;
  KeyId id{};
  std::copy_n(sealed.begin() + 1, key_id_size, id.begin());
  return id;
}

Secret open_field(const Secret& key, const KeyId& key_id, const FieldContext& where, bytes_view sealed,
                  std::error_code& ec) {
  ec.clear();
  std::optional<KeyId> named = sealed_key_id(sealed);
  if (!named || *named != key_id || key.size() != aes256_key_size) {
    ec = make_error_code(errc::decryption_failed);
    return {};
  }
  return aes_gcm_decrypt(key, sealed.subspan(1 + key_id_size, gcm_nonce_size),
                         associated_data(sealed_format_version, key_id, where), sealed.subspan(sealed_header_size),
                         ec);
}

Secret open_field(const Secret& key, const KeyId& key_id, const FieldContext& where, bytes_view sealed) {
  std::error_code ec;
  Secret out = open_field(key, key_id, where, sealed, ec);
  if (ec)
    throw error(errc::decryption_failed,
                "the encrypted field '" + where.field + "' of " + where.table + " record '" + where.record_id +
                    "' failed to authenticate: it was changed, damaged, or copied from another record. Enter it "
                    "again (or restore the store from a backup); other records are not affected");
  return out;
}

}  // namespace harvest_connect::crypto
