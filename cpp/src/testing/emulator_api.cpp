// The emulator's API v2 subset (api.harvestapp.com/v2): bearer tokens, the account header
// and scope, rate limits, Harvest's pagination (pages and cursors) and the endpoints.
#include "testing/detail/emulator_state.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cmath>

#include <boost/json.hpp>
#include <boost/url.hpp>

#include "harvest_connect/crypto/encoding.hpp"

namespace harvest_connect::testing {

namespace {

namespace json = boost::json;
namespace urls = boost::urls;
using namespace detail;  // the emulator's vocabulary (emulator_http.hpp, emulator_state.hpp)
using http::detail::iequals;

}  // namespace

const AccessToken* EmulatorService::impl::bearer(const http::ServerRequest& req, const Params& q, std::string& value) const {
  if (auto auth = req.headers.get("Authorization"); auth && auth->size() > 7 && iequals(auth->substr(0, 7), "Bearer ")) {
    value = std::string(auth->substr(7));
  } else if (const auto* t = q.get("access_token")) {
    value = *t;
  } else {
    return nullptr;
  }
  auto it = access_tokens.find(value);
  if (it == access_tokens.end()) return nullptr;
  if (it->second.expires && now() >= *it->second.expires) return nullptr;
  return &it->second;
}

bool EmulatorService::impl::scope_allows(std::string_view scope, std::uint64_t account_id) {
  const std::string want = "harvest:" + std::to_string(account_id);
  std::size_t pos = 0;
  while (pos <= scope.size()) {
    std::size_t end = scope.find_first_of(" +", pos);
    if (end == std::string_view::npos) end = scope.size();
    const auto item = scope.substr(pos, end - pos);
    if (item == "all" || item == "harvest:all" || item == want) return true;
    pos = end + 1;
  }
  return false;
}

long EmulatorService::impl::rate_limit(const std::string& token, bool reports) {
  if (!options.rate_limits.enabled) return 0;
  auto& hits = (reports ? report_hits : general_hits)[token];
  const auto window = reports ? options.rate_limits.reports_window : options.rate_limits.general_window;
  const unsigned limit = reports ? options.rate_limits.reports_limit : options.rate_limits.general_limit;
  const auto t = now();
  while (!hits.empty() && hits.front() + window <= t) hits.pop_front();
  if (hits.size() >= limit) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(hits.front() + window - t);
    return std::max<long>(1, static_cast<long>((wait.count() + 999) / 1000));
  }
  hits.push_back(t);
  return 0;
}

bool EmulatorService::impl::has_user_agent(const http::ServerRequest& req) {
  auto ua = req.headers.get("User-Agent");
  return ua && !ua->empty();
}

http::ServerResponse EmulatorService::impl::missing_user_agent() {
  return message_answer(400, "Bad Request",
                        "Missing User-Agent header: send one like 'User-Agent: MyApp (yourname@example.com)'.");
}

Outcome EmulatorService::impl::api(const http::ServerRequest& req, std::string_view path, const Params& q) {
  ++counters["api_requests"];
  if (!has_user_agent(req)) return {missing_user_agent()};
  std::string token;
  const AccessToken* t = bearer(req, q, token);
  if (!t) return {invalid_token()};
  UserRecord* user = user_by_id(t->user_id);
  std::string account_text;
  if (auto h = req.headers.get("Harvest-Account-Id")) account_text = std::string(*h);
  else if (const auto* a = q.get("account_id")) account_text = *a;
  std::uint64_t account_id = 0;
  const EmulatorAccount* acc = nullptr;
  if (!user || !parse_u64(account_text, account_id) || !(acc = account(account_id)) || acc->product != "harvest" ||
      std::find(user->account_ids.begin(), user->account_ids.end(), account_id) == user->account_ids.end() ||
      !scope_allows(t->scope, account_id))
    return {invalid_token()};
  const bool reports = path.rfind("/v2/reports/", 0) == 0;
  if (long wait = rate_limit(token, reports)) {
    ++counters["rate_limited"];
    auto r = message_answer(429, "Too Many Requests",
                            reports ? "Rate limit exceeded: 100 report requests per 15 minutes."
                                    : "Rate limit exceeded: 100 requests per 15 seconds.");
    r.headers.set("Retry-After", std::to_string(wait));
    return {r};
  }
  const bool get = req.method == "GET";
  const bool privileged = user->role != "member";
  auto forbidden = [] {
    return message_answer(403, "Forbidden", "Admin or Project Manager permissions required for this endpoint.");
  };
  if (path == "/v2/users/me" && get) {
    std::string out;
    data.append_user_json(out, *user);
    return {json_answer(200, std::move(out))};
  }
  if (path == "/v2/company" && get) return {json_answer(200, company_json(*acc))};
  if (path == "/v2/time_entries") {
    if (get) return time_entries(q, *user);
    if (req.method == "POST") return {create_time_entry(req, *user)};
  }
  if (path.rfind("/v2/time_entries/", 0) == 0 && get) {
    std::uint64_t id = 0;
    const auto index = parse_u64(path.substr(17), id) ? data.entry_index(id) : -1;
    if (index < 0 || (!privileged && data.entries[static_cast<std::size_t>(index)].user != user_index(*user)))
      return {message_answer(404, "Not Found", "No time entry with that id.")};
    std::string out;
    data.append_entry_json(out, static_cast<std::uint32_t>(index));
    return {json_answer(200, std::move(out))};
  }
  if (get && (path == "/v2/projects" || path == "/v2/clients" || path == "/v2/users" || path == "/v2/tasks")) {
    if (!privileged) return {forbidden()};
    return simple_list(path.substr(4), q);
  }
  if (path == "/v2/reports/time/projects" && get) {
    if (!privileged) return {forbidden()};
    return project_report(q);
  }
  return {message_answer(404, "Not Found", "No such API endpoint in the emulator.")};
}

std::string EmulatorService::impl::company_json(const EmulatorAccount& acc) const {
  json::object o;
  o["base_uri"] = "https://emulated.harvestapp.com";
  o["full_domain"] = "emulated.harvestapp.com";
  o["name"] = acc.name;
  o["is_active"] = true;
  o["week_start_day"] = "Monday";
  o["wants_timestamp_timers"] = false;
  o["time_format"] = "hours_minutes";
  o["date_format"] = "%Y-%m-%d";
  o["plan_type"] = "sponsored";
  o["clock"] = "24h";
  o["currency_code_display"] = "iso_code_none";
  o["currency_symbol_display"] = "symbol_before";
  o["decimal_symbol"] = ".";
  o["thousands_separator"] = ",";
  o["color_scheme"] = "orange";
  o["weekly_capacity"] = 126000;
  o["expense_feature"] = true;
  o["invoice_feature"] = true;
  o["estimate_feature"] = true;
  o["approval_feature"] = true;
  o["team_feature"] = true;
  return json::serialize(o);
}

std::optional<http::ServerResponse> EmulatorService::impl::page_params(const Params& q, PageParams& pp) const {
  if (const auto* v = q.get("per_page")) {
    std::uint64_t n = 0;
    if (!parse_u64(*v, n) || n < 1 || n > max_per_page)
      return unprocessable("per_page must be an integer between 1 and 2000.");
    pp.per_page = n;
  }
  if (const auto* c = q.get("cursor")) {  // cursor wins over page
    pp.cursor_mode = true;
    auto text = base64url_decode(*c);
    boost::system::error_code ec;
    json::value v = text ? json::parse(*text, ec) : json::value();
    const json::object* o = (!text || ec) ? nullptr : v.if_object();
    const json::value* after = o ? o->if_contains("after") : nullptr;
    const json::value* before = o ? o->if_contains("before") : nullptr;
    const json::value* pos = after ? after : before;
    const json::value* id = pos && pos->is_object() ? pos->as_object().if_contains("id") : nullptr;
    if (!id || !(id->is_int64() || id->is_uint64())) return unprocessable("The cursor is invalid.");
    const auto value = id->to_number<std::uint64_t>();
    (after ? pp.after_id : pp.before_id) = value;
    return std::nullopt;
  }
  if (const auto* v = q.get("page")) {
    std::uint64_t n = 0;
    if (!parse_u64(*v, n) || n < 1) return unprocessable("page must be a positive integer.");
    pp.page = n;
  }
  return std::nullopt;
}

std::string EmulatorService::impl::link(std::string_view resource, const Params& q, const std::vector<std::pair<std::string, std::string>>& paging,
                 std::string_view ref) const {
  urls::url u = urls::parse_uri(api_url() + "/" + std::string(resource)).value();
  for (const auto& [k, v] : paging) u.params().append({k, v});
  for (const auto& [k, v] : q.items)
    if (k != "page" && k != "per_page" && k != "cursor" && k != "ref" && !is_secret_param(k)) u.params().append({k, v});
  if (!ref.empty()) u.params().append({"ref", ref});
  return std::string(u.buffer());
}

std::string EmulatorService::impl::cursor(std::string_view direction, std::uint64_t id) {
  const std::string text = "{\"" + std::string(direction) + "\":{\"id\":" + std::to_string(id) + "}}";
  return crypto::base64url_encode(crypto::bytes_view(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

template <class Append, class IdOf, class Position>
http::ServerResponse EmulatorService::impl::page_answer(std::string_view key, std::string_view resource, const Params& q,
                                 const PageParams& pp, std::size_t total, bool cursor_default, Append append,
                                 IdOf id_of, Position position) const {
  const std::size_t per = pp.per_page;
  const std::size_t total_pages = std::max<std::size_t>(1, (total + per - 1) / per);
  // An explicit page= asks for page mode even where cursors are the default.
  const bool cursor_mode = pp.cursor_mode || (cursor_default && !q.get("page"));
  std::size_t begin = 0;
  if (pp.after_id) {
    begin = position(*pp.after_id);
    if (begin < total) ++begin;
  } else if (pp.before_id) {
    const std::size_t end = position(*pp.before_id);
    begin = end > per ? end - per : 0;
  } else if (!cursor_mode) {
    begin = (pp.page - 1) * per;
  }
  if (begin > total) begin = total;
  const std::size_t end = std::min(total, begin + per);

  std::string out;
  out.reserve((end - begin) * 1100 + 512);
  out += "{\"";
  out += key;
  out += "\":[";
  for (std::size_t i = begin; i < end; ++i) {
    if (i != begin) out += ',';
    append(out, i);
  }
  out += "],\"per_page\":" + std::to_string(per) + ",\"total_pages\":" + std::to_string(total_pages) +
         ",\"total_entries\":" + std::to_string(total);
  const auto number = [](std::optional<std::size_t> n) { return n ? std::to_string(*n) : std::string("null"); };
  const auto quoted = [](const std::optional<std::string>& s) { return s ? detail::json_quote(*s) : std::string("null"); };
  std::optional<std::size_t> page, next_page, previous_page;
  std::optional<std::string> first, next, previous, last;
  const std::string per_text = std::to_string(per);
  if (!cursor_mode) {
    page = pp.page;
    if (pp.page < total_pages) next_page = pp.page + 1;
    if (pp.page > 1) previous_page = pp.page - 1;
    first = link(resource, q, {{"page", "1"}, {"per_page", per_text}});
    if (next_page) next = link(resource, q, {{"page", std::to_string(*next_page)}, {"per_page", per_text}});
    if (previous_page) previous = link(resource, q, {{"page", std::to_string(*previous_page)}, {"per_page", per_text}});
    last = link(resource, q, {{"page", std::to_string(total_pages)}, {"per_page", per_text}});
  } else {
    // Harvest: page, next_page and previous_page are null except on the first and last pages.
    const bool is_first = begin == 0, is_last = end >= total;
    if (is_first) {
      page = 1;
      if (total_pages > 1) next_page = 2;
    } else if (is_last) {
      page = total_pages;
      previous_page = total_pages - 1;
    }
    first = link(resource, q, {{"per_page", per_text}}, "first");
    if (!is_last) next = link(resource, q, {{"cursor", cursor("after", id_of(end - 1))}, {"per_page", per_text}}, "next_cursor");
    if (!is_first && begin < total)
      previous = link(resource, q, {{"cursor", cursor("before", id_of(begin))}, {"per_page", per_text}}, "previous_cursor");
    last = link(resource, q, {{"page", std::to_string(total_pages)}, {"per_page", per_text}});
  }
  out += ",\"next_page\":" + number(next_page) + ",\"previous_page\":" + number(previous_page) +
         ",\"page\":" + number(page) + ",\"links\":{\"first\":" + quoted(first) + ",\"next\":" + quoted(next) +
         ",\"previous\":" + quoted(previous) + ",\"last\":" + quoted(last) + "}}";
  return json_answer(200, std::move(out));
}

Outcome EmulatorService::impl::time_entries(const Params& q, const UserRecord& user) {
  PageParams pp;
  if (auto err = page_params(q, pp)) return {*err};
  // Filters.
  std::int32_t from = INT32_MIN, to = INT32_MAX;
  std::int64_t updated_since = INT64_MIN;
  std::optional<std::uint64_t> project_id, user_id, client_id, task_id;
  if (const auto* v = q.get("from"); v && !detail::parse_date(*v, from))
    return {unprocessable("from must be a date like 2017-12-31.")};
  if (const auto* v = q.get("to"); v && !detail::parse_date(*v, to))
    return {unprocessable("to must be a date like 2017-12-31.")};
  if (const auto* v = q.get("updated_since"); v && !detail::parse_datetime(*v, updated_since))
    return {unprocessable("updated_since must be an ISO 8601 date-time like 2017-12-31T14:59:22Z.")};
  const std::pair<const char*, std::optional<std::uint64_t>*> ids[] = {
      {"project_id", &project_id}, {"user_id", &user_id}, {"client_id", &client_id}, {"task_id", &task_id}};
  for (const auto& [name, slot] : ids) {
    if (const auto* v = q.get(name)) {
      std::uint64_t n = 0;
      if (!parse_u64(*v, n)) return {unprocessable(std::string(name) + " must be an integer id.")};
      *slot = n;
    }
  }
  bool none = q.value("is_billed") == "true" || q.value("is_running") == "true";
  if (user.role == "member") {  // members see their own time only
    if (user_id && *user_id != user.id) none = true;
    user_id = user.id;
  }
  const bool filtered = none || from != INT32_MIN || to != INT32_MAX || updated_since != INT64_MIN || project_id ||
                        user_id || client_id || task_id;
  std::vector<std::uint32_t> matches;
  const std::vector<std::uint32_t>* list = &data.order;
  if (filtered) {
    if (!none) {
      for (std::uint32_t index : data.order) {
        const auto& e = data.entries[index];
        if (e.day < from || e.day > to || e.updated < updated_since) continue;
        if (user_id && data.users[e.user].id != *user_id) continue;
        const auto& p = data.projects[e.project];
        if (project_id && p.id != *project_id) continue;
        if (client_id && data.clients[p.client].id != *client_id) continue;
        if (task_id && data.tasks[e.task].id != *task_id) continue;
        matches.push_back(index);
      }
    }
    list = &matches;
  }
  const auto& items = *list;
  auto position = [&](std::uint64_t id) -> std::size_t {
    const auto index = data.entry_index(id);
    if (index < 0) return items.size();
    const auto at = static_cast<std::uint32_t>(index);
    auto it = std::partition_point(items.begin(), items.end(), [&](std::uint32_t x) { return data.before(x, at); });
    return static_cast<std::size_t>(it - items.begin());
  };
  return {page_answer(
              "time_entries", "time_entries", q, pp, items.size(), options.cursor_pagination,
              [&](std::string& out, std::size_t i) { data.append_entry_json(out, items[i]); },
              [&](std::size_t i) { return Dataset::entry_id(items[i]); }, position),
          true};
}

http::ServerResponse EmulatorService::impl::create_time_entry(const http::ServerRequest& req, const UserRecord& user) {
  Params body;
  if (req.headers.get("Content-Type").value_or("").find("application/json") != std::string_view::npos) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return unprocessable("The request body is not a JSON object.");
    for (const auto& [k, val] : v.as_object()) {
      if (val.is_string()) body.items.emplace_back(std::string(k), std::string(val.as_string()));
      else if (val.is_number() || val.is_bool()) body.items.emplace_back(std::string(k), json::serialize(val));
    }
  } else {
    auto p = parse_params(req.body);
    if (!p) return unprocessable("The request body is not valid form data.");
    body = std::move(*p);
  }
  std::uint64_t project_id = 0, task_id = 0, user_id = user.id;
  if (!parse_u64(body.value("project_id"), project_id)) return unprocessable("Project can't be blank (project_id).");
  if (!parse_u64(body.value("task_id"), task_id)) return unprocessable("Task can't be blank (task_id).");
  std::int32_t day = 0;
  if (!detail::parse_date(body.value("spent_date"), day)) return unprocessable("Spent date can't be blank (spent_date, like 2017-12-31).");
  if (const auto* v = body.get("user_id"); v && !parse_u64(*v, user_id)) return unprocessable("user_id must be an integer id.");
  if (user_id != user.id && user.role == "member") return message_answer(403, "Forbidden", "Members may only track their own time.");
  detail::EntryRecord e;
  const auto find = [](const auto& records, std::uint64_t id) -> std::int64_t {
    for (std::size_t i = 0; i < records.size(); ++i)
      if (records[i].id == id) return static_cast<std::int64_t>(i);
    return -1;
  };
  const auto p = find(data.projects, project_id), t = find(data.tasks, task_id), u = find(data.users, user_id);
  if (p < 0) return unprocessable("Project not found (project_id).");
  if (t < 0) return unprocessable("Task not found (task_id).");
  if (u < 0) return unprocessable("User not found (user_id).");
  double hours = 0;
  if (const auto* v = body.get("hours"); v && !v->empty()) {
    auto r = std::from_chars(v->data(), v->data() + v->size(), hours);
    if (r.ec != std::errc() || r.ptr != v->data() + v->size() || hours < 0 || hours > 24)
      return unprocessable("hours must be a number between 0 and 24.");
  }
  e.day = day;
  e.project = static_cast<std::uint32_t>(p);
  e.task = static_cast<std::uint32_t>(t);
  e.user = static_cast<std::uint32_t>(u);
  e.centi_hours = static_cast<std::uint32_t>(std::lround(hours * 100));
  e.notes = data.add_note(body.value("notes"));
  e.billable = data.projects[e.project].billable && data.tasks[e.task].billable_by_default;
  e.created = e.updated = wall_now();
  const auto index = data.add_entry(e);
  std::string out;
  data.append_entry_json(out, index);
  auto r = json_answer(201, std::move(out));
  r.headers.set("Location", api_url() + "/time_entries/" + std::to_string(Dataset::entry_id(index)));
  return r;
}

Outcome EmulatorService::impl::simple_list(std::string_view resource, const Params& q) {
  PageParams pp;
  if (auto err = page_params(q, pp)) return {*err};
  std::int64_t updated_since = INT64_MIN;
  if (const auto* v = q.get("updated_since"); v && !detail::parse_datetime(*v, updated_since))
    return {unprocessable("updated_since must be an ISO 8601 date-time like 2017-12-31T14:59:22Z.")};
  const bool none = q.value("is_active") == "false";
  std::optional<std::uint64_t> client_id;
  if (const auto* v = q.get("client_id")) {
    std::uint64_t n = 0;
    if (!parse_u64(*v, n)) return {unprocessable("client_id must be an integer id.")};
    client_id = n;
  }
  // Newest first, as Harvest sorts these lists.
  const auto build = [&](const auto& records, auto&& keep) {
    std::vector<std::uint32_t> idx;
    if (none) return idx;
    for (std::size_t i = records.size(); i-- > 0;)
      if (records[i].updated >= updated_since && keep(records[i])) idx.push_back(static_cast<std::uint32_t>(i));
    return idx;
  };
  const auto all = [](const auto&) { return true; };
  const auto answer = [&](std::string_view key, const auto& records, const std::vector<std::uint32_t>& idx, auto&& append) {
    auto id_of = [&](std::size_t i) { return records[idx[i]].id; };
    auto position = [&](std::uint64_t id) {
      for (std::size_t i = 0; i < idx.size(); ++i)
        if (records[idx[i]].id == id) return i;
      return idx.size();
    };
    return page_answer(key, resource, q, pp, idx.size(), false,
                       [&](std::string& out, std::size_t i) { append(out, records[idx[i]]); }, id_of, position);
  };
  if (resource == "users") {
    auto idx = build(data.users, all);
    return {answer("users", data.users, idx, [&](std::string& o, const auto& r) { data.append_user_json(o, r); }), true};
  }
  if (resource == "clients") {
    auto idx = build(data.clients, all);
    return {answer("clients", data.clients, idx, [&](std::string& o, const auto& r) { data.append_client_json(o, r); }), true};
  }
  if (resource == "projects") {
    auto idx = build(data.projects, [&](const detail::ProjectRecord& p) { return !client_id || data.clients[p.client].id == *client_id; });
    return {answer("projects", data.projects, idx, [&](std::string& o, const auto& r) { data.append_project_json(o, r); }), true};
  }
  auto idx = build(data.tasks, all);
  return {answer("tasks", data.tasks, idx, [&](std::string& o, const auto& r) { data.append_task_json(o, r); }), true};
}

Outcome EmulatorService::impl::project_report(const Params& q) {
  PageParams pp;
  if (auto err = page_params(q, pp)) return {*err};
  std::int32_t from = 0, to = 0;
  if (!detail::parse_date(q.value("from"), from) || !detail::parse_date(q.value("to"), to))
    return {unprocessable("from and to are required dates (YYYYMMDD or 2017-12-31).")};
  // Harvest refuses a timeframe over a year with a 400 (HARVEST.md §16). The strictest
  // reading: at most 365 days counting both ends, so 2024-01-01..2024-12-31 (366) fails.
  constexpr std::int32_t max_report_days = 365;
  if (to < from) return {message_answer(400, "Bad Request", "Invalid timeframe: from must not be after to")};
  if (to - from + 1 > max_report_days)
    return {message_answer(400, "Bad Request", "Invalid timeframe: must not exceed 1 year")};
  struct Sum {
    std::uint64_t total = 0, billable = 0;
    double amount = 0;
  };
  std::vector<Sum> sums(data.projects.size());
  for (const auto& e : data.entries) {
    if (e.day < from || e.day > to) continue;
    auto& s = sums[e.project];
    s.total += e.centi_hours;
    if (e.billable) {
      s.billable += e.centi_hours;
      s.amount += e.centi_hours / 100.0 * data.projects[e.project].hourly_rate;
    }
  }
  std::vector<std::uint32_t> idx;
  for (std::uint32_t i = 0; i < sums.size(); ++i)
    if (sums[i].total > 0) idx.push_back(i);
  auto append = [&](std::string& out, std::size_t i) {
    const auto& p = data.projects[idx[i]];
    const auto& c = data.clients[p.client];
    const auto& s = sums[idx[i]];
    json::object o;
    o["client_id"] = c.id;
    o["client_name"] = c.name;
    o["project_id"] = p.id;
    o["project_name"] = p.name;
    o["total_hours"] = static_cast<double>(s.total) / 100.0;
    o["billable_hours"] = static_cast<double>(s.billable) / 100.0;
    o["currency"] = c.currency;
    o["billable_amount"] = std::round(s.amount * 100) / 100;
    out += json::serialize(o);
  };
  auto id_of = [&](std::size_t i) { return data.projects[idx[i]].id; };
  auto position = [&](std::uint64_t id) {
    for (std::size_t i = 0; i < idx.size(); ++i)
      if (data.projects[idx[i]].id == id) return i;
    return idx.size();
  };
  return {page_answer("results", "reports/time/projects", q, pp, idx.size(), false, append, id_of, position), true};
}

}  // namespace harvest_connect::testing
