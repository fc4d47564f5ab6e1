// The Harvest emulator's request handler: ID service, API v2 subset, rate limits, faults and
// the request log. Facts it imitates are in /docs (HARVEST.md in the design notes); where
// Harvest's behaviour is not documented the choice is the RFC's and says so here.
// This file is the public EmulatorService: each call locks the state and delegates to it
// (testing/detail/emulator_state.hpp lists where each part lives).
#include "harvest_connect/testing/emulator_service.hpp"

#include <algorithm>
#include <cmath>

#include <boost/url.hpp>

#include "harvest_connect/error.hpp"
#include "testing/detail/emulator_state.hpp"

namespace harvest_connect::testing {

namespace {

namespace urls = boost::urls;
using detail::random_token;
using detail::UserRecord;

}  // namespace

EmulatorService::EmulatorService(EmulatorOptions options) : impl_(std::make_unique<impl>(std::move(options))) {}
EmulatorService::~EmulatorService() = default;

void EmulatorService::set_base_url(const std::string& base_url) {
  auto parsed = urls::parse_absolute_uri(base_url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https"))
    throw error(errc::validation_failed, "the emulator's base URL must be an absolute http(s) URL");
  std::lock_guard lock(impl_->mutex);
  impl_->base_url = base_url;
  while (!impl_->base_url.empty() && impl_->base_url.back() == '/') impl_->base_url.pop_back();
}

std::string EmulatorService::id_url() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->base_url;
}

std::string EmulatorService::api_url() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->api_url();
}

http::ServerResponse EmulatorService::handle(const http::ServerRequest& request) { return impl_->handle(request); }

OAuthApp EmulatorService::register_app(const std::string& name, const std::string& redirect_url, bool multi_account,
                                       bool forecast) {
  auto parsed = urls::parse_absolute_uri(redirect_url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https"))
    throw error(errc::validation_failed, "redirect_url must be an absolute http:// or https:// URL (Harvest accepts no other schemes)");
  if (name.empty()) throw error(errc::validation_failed, "the OAuth application needs a name");
  OAuthApp app{name, random_token(18), random_token(48), redirect_url, multi_account, forecast};
  std::lock_guard lock(impl_->mutex);
  impl_->apps[app.client_id] = app;
  return app;
}

EmulatorUser EmulatorService::add_user(const std::string& first_name, const std::string& last_name,
                                       const std::string& email, const std::string& password, const std::string& role,
                                       const std::vector<std::uint64_t>& account_ids) {
  if (role != "administrator" && role != "manager" && role != "member")
    throw error(errc::validation_failed, "role must be administrator, manager or member");
  if (email.find('@') == std::string::npos) throw error(errc::validation_failed, "email must be an email address");
  std::lock_guard lock(impl_->mutex);
  if (impl_->user_by_email(email)) throw error(errc::duplicate_name, "a user with that email exists already");
  for (auto id : account_ids)
    if (!impl_->account(id)) throw error(errc::not_found, "no account with id " + std::to_string(id));
  UserRecord u;
  u.id = 0;
  for (const auto& x : impl_->data.users) u.id = std::max(u.id, x.id);
  ++u.id;
  u.first_name = first_name;
  u.last_name = last_name;
  u.email = email;
  u.password = password;
  u.role = role;
  u.account_ids = account_ids.empty() ? std::vector<std::uint64_t>{impl_->default_account, impl_->default_forecast} : account_ids;
  u.created = u.updated = impl_->wall_now();
  return impl::public_user(impl_->data.add_user(std::move(u)));
}

EmulatorAccount EmulatorService::add_account(const std::string& name, const std::string& product,
                                             const std::vector<std::uint64_t>& user_ids) {
  if (product != "harvest" && product != "forecast") throw error(errc::validation_failed, "product must be harvest or forecast");
  std::lock_guard lock(impl_->mutex);
  std::vector<UserRecord*> users;
  for (auto id : user_ids) {
    auto* u = impl_->user_by_id(id);
    if (!u) throw error(errc::not_found, "no user with id " + std::to_string(id));
    users.push_back(u);
  }
  if (users.empty()) users.push_back(&impl_->data.users.front());
  EmulatorAccount a{impl_->next_account_id++, name, product};
  impl_->accounts.push_back(a);
  for (auto* u : users) u->account_ids.push_back(a.id);
  return a;
}

EmulatorUser EmulatorService::default_user() const {
  std::lock_guard lock(impl_->mutex);
  return impl::public_user(impl_->data.users.front());
}

std::vector<EmulatorAccount> EmulatorService::accounts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accounts;
}

std::uint64_t EmulatorService::default_account_id() const { return impl_->default_account; }

std::string EmulatorService::approve(const std::string& authorization_url, const std::string& email,
                                     const std::string& password, std::uint64_t account_id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->approve(authorization_url, email, password, account_id, true);
}

std::string EmulatorService::deny(const std::string& authorization_url) {
  std::lock_guard lock(impl_->mutex);
  return impl_->approve(authorization_url, {}, {}, 0, false);
}

std::string EmulatorService::create_personal_access_token(std::uint64_t user_id) {
  std::lock_guard lock(impl_->mutex);
  const UserRecord* u = user_id == 0 ? &impl_->data.users.front() : impl_->user_by_id(user_id);
  if (!u) throw error(errc::not_found, "no user with id " + std::to_string(user_id));
  std::string value = std::to_string(u->id) + ".pt." + random_token(48);
  impl_->access_tokens[value] = {u->id, {}, "all", std::nullopt};
  return value;
}

void EmulatorService::expire_tokens() {
  std::lock_guard lock(impl_->mutex);
  const auto t = impl_->now();
  for (auto& [_, token] : impl_->access_tokens) token.expires = t;
}

void EmulatorService::advance_clock(std::chrono::milliseconds by) {
  if (by.count() < 0) throw error(errc::validation_failed, "the emulator's clock only moves forward");
  std::lock_guard lock(impl_->mutex);
  impl_->skew += by;
}

void EmulatorService::set_faults(const Faults& faults) {
  if (faults.drop_rate < 0 || faults.drop_rate > 1 || faults.error_rate < 0 || faults.error_rate > 1 ||
      faults.truncate_rate < 0 || faults.truncate_rate > 1)
    throw error(errc::validation_failed, "fault rates must be between 0 and 1");
  if ((faults.error_status < 500 || faults.error_status > 599) && faults.error_status != 429)
    throw error(errc::validation_failed, "error_status must be 429 or a 5xx status");
  if (faults.latency.count() < 0 || faults.page_latency.count() < 0)
    throw error(errc::validation_failed, "latencies must not be negative");
  std::lock_guard lock(impl_->mutex);
  impl_->faults = faults;
}

void EmulatorService::clear_faults() {
  std::lock_guard lock(impl_->mutex);
  impl_->faults = Faults{};
}

std::vector<RequestLogEntry> EmulatorService::request_log() const {
  std::lock_guard lock(impl_->mutex);
  return {impl_->log.begin(), impl_->log.end()};
}

void EmulatorService::clear_request_log() {
  std::lock_guard lock(impl_->mutex);
  impl_->log.clear();
}

std::map<std::string, std::uint64_t> EmulatorService::counters() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

std::size_t EmulatorService::time_entry_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->data.entries.size();
}

void EmulatorService::update_time_entry(std::uint64_t id, const std::optional<std::string>& notes,
                                        std::optional<double> hours, std::optional<std::int64_t> updated_at) {
  if (hours && !(*hours >= 0 && *hours <= 24)) throw error(errc::validation_failed, "hours must be between 0 and 24");
  std::lock_guard lock(impl_->mutex);
  const auto index = impl_->data.entry_index(id);
  if (index < 0) throw error(errc::not_found, "no time entry with id " + std::to_string(id));
  auto& e = impl_->data.entries[static_cast<std::size_t>(index)];
  if (notes) e.notes = impl_->data.add_note(*notes);
  if (hours) e.centi_hours = static_cast<std::uint32_t>(std::lround(*hours * 100));
  e.updated = updated_at ? *updated_at : impl_->wall_now();
}

}  // namespace harvest_connect::testing
