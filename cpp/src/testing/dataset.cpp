// Seeded records of the Harvest emulator and their JSON (see detail/dataset.hpp).
#include "testing/detail/dataset.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include <boost/json.hpp>

namespace harvest_connect::testing::detail {

namespace {

using namespace std::chrono;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::array first_names{"Bob", "Kim", "Jane", "Jeremy", "Ana", "Lars", "Mei", "Omar", "Priya", "Sven",
                                 "Tomás", "Yuki", "Zoë", "Chidi", "Ilse", "Noah"};
constexpr std::array last_names{"Powell", "Allen", "Doe", "Israelsohn", "Souza", "Berg", "Chen", "Haddad",
                                "Raman", "Olsen", "García", "Sato", "Müller", "Okafor", "Visser", "Klein"};
constexpr std::array client_words{"ABC Corp", "123 Industries", "Acme \"Rockets\"", "Globex", "Initech", "Umbrella",
                                  "Stark & Sons", "Wayne Enterprises", "Soylent", "Hooli"};
constexpr std::array project_words{"Online Store", "Marketing Website", "Mobile App", "Data Warehouse",
                                   "Brand Refresh", "Intranet", "API Platform", "Support Portal"};
constexpr std::array task_names{"Graphic Design", "Programming", "Project Management", "Marketing",
                                "Business Development", "Research", "Testing", "Copywriting",
                                "Meetings", "Documentation", "Deployment", "Training"};
constexpr std::array notes_texts{"Adding CSS styling",
                                 "Importing products",
                                 "Evaluating \"best practices\" for the checkout",
                                 "Planning meeting with the client",
                                 "Fixed a bug in the invoice export\nand wrote a test",
                                 "Code review",
                                 "Wireframes for the landing page",
                                 "Refactoring the <search> component",
                                 "Café visit with the team — retro",
                                 "Weekly status report",
                                 "",
                                 "Database migration dry run"};

constexpr std::int32_t first_day = 18993;  // 2022-01-01
constexpr std::int32_t last_day = 20088;   // 2024-12-31

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// 8.0, 2.11, 1.5: like Harvest's JSON numbers.
void append_centi(std::string& out, std::uint32_t centi) {
  append_uint(out, centi / 100);
  out.push_back('.');
  const unsigned frac = centi % 100;
  if (frac == 0) {
    out.push_back('0');
  } else if (frac % 10 == 0) {
    out.push_back(static_cast<char>('0' + frac / 10));
  } else {
    append_2(out, frac);
  }
}

void append_rate(std::string& out, double rate) { append_centi(out, static_cast<std::uint32_t>(rate * 100 + 0.5)); }

std::string ref_json(std::uint64_t id, std::string_view name) {
  std::string s = "{\"id\":";
  append_uint(s, id);
  s += ",\"name\":";
  s += json_quote(name);
  s += '}';
  return s;
}

}  // namespace

std::string json_quote(std::string_view text) { return boost::json::serialize(boost::json::string(text)); }

void append_date(std::string& out, std::int32_t day) {
  const year_month_day ymd{sys_days{days{day}}};
  append_uint(out, static_cast<std::uint64_t>(static_cast<int>(ymd.year())));
  out.push_back('-');
  append_2(out, static_cast<unsigned>(ymd.month()));
  out.push_back('-');
  append_2(out, static_cast<unsigned>(ymd.day()));
}

void append_datetime(std::string& out, std::int64_t t) {
  const std::int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  const std::int64_t sec = t - day * 86400;
  append_date(out, static_cast<std::int32_t>(day));
  out.push_back('T');
  append_2(out, static_cast<unsigned>(sec / 3600));
  out.push_back(':');
  append_2(out, static_cast<unsigned>(sec / 60 % 60));
  out.push_back(':');
  append_2(out, static_cast<unsigned>(sec % 60));
  out.push_back('Z');
}

namespace {

bool parse_int(std::string_view s, int& v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool make_day(int y, int m, int d, std::int32_t& day) {
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return false;
  day = sys_days{ymd}.time_since_epoch().count();
  return true;
}

}  // namespace

bool parse_date(std::string_view s, std::int32_t& day) {
  int y = 0, m = 0, d = 0;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    if (!parse_int(s.substr(0, 4), y) || !parse_int(s.substr(5, 2), m) || !parse_int(s.substr(8, 2), d)) return false;
  } else if (s.size() == 8) {
    if (!parse_int(s.substr(0, 4), y) || !parse_int(s.substr(4, 2), m) || !parse_int(s.substr(6, 2), d)) return false;
  } else {
    return false;
  }
  return make_day(y, m, d, day);
}

bool parse_datetime(std::string_view s, std::int64_t& t) {
  std::int32_t day = 0;
  if (s.size() < 10 || !parse_date(s.substr(0, 10), day)) return false;
  t = std::int64_t{day} * 86400;
  if (s.size() == 10) return true;
  if (s[10] != 'T' && s[10] != ' ') return false;
  s.remove_prefix(11);
  int h = 0, mi = 0, se = 0;
  if (s.size() < 5 || s[2] != ':' || !parse_int(s.substr(0, 2), h) || !parse_int(s.substr(3, 2), mi)) return false;
  s.remove_prefix(5);
  if (!s.empty() && s[0] == ':') {
    if (s.size() < 3 || !parse_int(s.substr(1, 2), se)) return false;
    s.remove_prefix(3);
    if (!s.empty() && s[0] == '.') {  // fractions of a second are ignored
      s.remove_prefix(1);
      while (!s.empty() && s[0] >= '0' && s[0] <= '9') s.remove_prefix(1);
    }
  }
  if (h > 23 || mi > 59 || se > 60) return false;
  t += h * 3600 + mi * 60 + se;
  if (s.empty() || s == "Z") return true;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
  int oh = 0, om = 0;
  if (!parse_int(s.substr(1, 2), oh) || !parse_int(s.substr(4, 2), om)) return false;
  const int offset = (oh * 3600 + om * 60) * (s[0] == '+' ? 1 : -1);
  t -= offset;
  return true;
}

Dataset::Dataset(const DataOptions& o) {
  const auto rnd = [&](std::uint64_t stream, std::uint64_t i) { return splitmix(o.seed * 0x100000001b3ULL ^ (stream << 48) ^ i); };
  const std::int64_t setup = std::int64_t{first_day - 200} * 86400;  // records created before the entries

  for (unsigned i = 0; i < std::max(1u, o.users); ++i) {
    UserRecord u;
    u.id = 1'782'880 + i;
    u.first_name = first_names[rnd(1, i) % first_names.size()];
    u.last_name = last_names[rnd(2, i) % last_names.size()];
    u.email = i == 0 ? "user@example.com" : "user" + std::to_string(i) + "@example.com";
    u.password = "harvest";
    u.role = i == 0 ? "administrator" : (i % 4 == 1 ? "manager" : "member");
    u.created = setup + i * 3600;
    u.updated = u.created + static_cast<std::int64_t>(rnd(3, i) % 86400);
    u.ref_json = ref_json(u.id, u.first_name + " " + u.last_name);
    users.push_back(std::move(u));
  }
  for (unsigned i = 0; i < std::max(1u, o.clients); ++i) {
    ClientRecord c;
    c.id = 5'735'770 + i;
    c.name = client_words[i % client_words.size()];
    if (i >= client_words.size()) c.name += " " + std::to_string(i / client_words.size() + 1);
    c.currency = (rnd(4, i) % 3 == 0) ? "EUR" : "USD";
    c.created = setup + 86400 + i * 600;
    c.updated = c.created + static_cast<std::int64_t>(rnd(5, i) % 86400);
    c.ref_json = ref_json(c.id, c.name);
    clients.push_back(std::move(c));
  }
  for (unsigned i = 0; i < std::max(1u, o.projects); ++i) {
    ProjectRecord p;
    p.id = 14'307'900 + i;
    p.client = static_cast<std::uint32_t>(i % clients.size());
    p.name = std::string(project_words[i % project_words.size()]) + " - Phase " + std::to_string(i / project_words.size() + 1);
    p.code = "P" + std::to_string(100 + i);
    p.hourly_rate = 80.0 + static_cast<double>(rnd(6, i) % 9) * 10.0;
    p.billable = rnd(7, i) % 6 != 0;
    p.created = setup + 2 * 86400 + i * 600;
    p.updated = p.created + static_cast<std::int64_t>(rnd(8, i) % 86400);
    p.ref_json = ref_json(p.id, p.name);
    projects.push_back(std::move(p));
  }
  for (unsigned i = 0; i < std::max(1u, o.tasks); ++i) {
    TaskRecord t;
    t.id = 8'083'360 + i;
    t.name = task_names[i % task_names.size()];
    if (i >= task_names.size()) t.name += " " + std::to_string(i / task_names.size() + 1);
    t.billable_by_default = i % 5 != 4;
    t.default_hourly_rate = 100.0;
    t.created = setup + 3 * 86400 + i * 600;
    t.updated = t.created + static_cast<std::int64_t>(rnd(9, i) % 86400);
    t.ref_json = ref_json(t.id, t.name);
    tasks.push_back(std::move(t));
  }
  for (const char* n : notes_texts) notes_json.push_back(json_quote(n));

  const std::size_t n = o.time_entries;
  const std::int64_t span = last_day - first_day + 1;
  entries.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = rnd(10, i);
    EntryRecord e;
    e.day = static_cast<std::int32_t>(first_day + static_cast<std::int64_t>(i) * span / static_cast<std::int64_t>(n));
    e.user = static_cast<std::uint32_t>(r % users.size());
    e.project = static_cast<std::uint32_t>((r >> 8) % projects.size());
    e.task = static_cast<std::uint32_t>((r >> 16) % tasks.size());
    e.notes = static_cast<std::uint32_t>((r >> 24) % notes_json.size());
    e.centi_hours = static_cast<std::uint32_t>(25 + (r >> 32) % 776);
    e.billable = projects[e.project].billable && (r >> 44) % 5 != 0;
    e.locked = e.day < last_day - 60;
    e.created = std::int64_t{e.day} * 86400 + 17 * 3600 + static_cast<std::int64_t>((r >> 48) % 7200);
    e.updated = e.created + static_cast<std::int64_t>((r >> 52) % 3) * 86400;
    entries.push_back(e);
  }
  // Seeded entries are generated in date order, so list order is simply newest index first.
  order.resize(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(n - 1 - i);
}

std::int64_t Dataset::entry_index(std::uint64_t id) const {
  if (id < first_entry_id || id - first_entry_id >= entries.size()) return -1;
  return static_cast<std::int64_t>(id - first_entry_id);
}

std::uint32_t Dataset::add_entry(EntryRecord record) {
  entries.push_back(record);
  const auto index = static_cast<std::uint32_t>(entries.size() - 1);
  const auto at = std::lower_bound(order.begin(), order.end(), index,
                                   [&](std::uint32_t a, std::uint32_t b) { return before(a, b); });
  order.insert(at, index);
  return index;
}

std::uint32_t Dataset::add_note(std::string_view text) {
  notes_json.push_back(json_quote(text));
  return static_cast<std::uint32_t>(notes_json.size() - 1);
}

UserRecord& Dataset::add_user(UserRecord user) {
  user.ref_json = ref_json(user.id, user.first_name + " " + user.last_name);
  users.push_back(std::move(user));
  return users.back();
}

void Dataset::append_entry_json(std::string& out, std::uint32_t index) const {
  const EntryRecord& e = entries[index];
  const UserRecord& u = users[e.user];
  const ProjectRecord& p = projects[e.project];
  const ClientRecord& c = clients[p.client];
  const TaskRecord& t = tasks[e.task];
  const std::uint64_t id = entry_id(index);
  out += "{\"id\":";
  append_uint(out, id);
  out += ",\"spent_date\":\"";
  append_date(out, e.day);
  out += "\",\"user\":";
  out += u.ref_json;
  out += ",\"client\":";
  out += c.ref_json;
  out += ",\"project\":";
  out += p.ref_json;
  out += ",\"task\":";
  out += t.ref_json;
  out += ",\"user_assignment\":{\"id\":";
  append_uint(out, 125'000'000 + std::uint64_t{e.user} * 4096 + e.project);
  out += ",\"is_project_manager\":";
  out += u.role == "member" ? "false" : "true";
  out += ",\"is_active\":true,\"use_default_rates\":true,\"budget\":null,\"created_at\":\"";
  append_datetime(out, p.created);
  out += "\",\"updated_at\":\"";
  append_datetime(out, p.updated);
  out += "\",\"hourly_rate\":";
  append_rate(out, p.hourly_rate);
  out += "},\"task_assignment\":{\"id\":";
  append_uint(out, 155'000'000 + std::uint64_t{e.project} * 4096 + e.task);
  out += ",\"billable\":";
  out += t.billable_by_default ? "true" : "false";
  out += ",\"is_active\":true,\"created_at\":\"";
  append_datetime(out, t.created);
  out += "\",\"updated_at\":\"";
  append_datetime(out, t.updated);
  out += "\",\"hourly_rate\":";
  append_rate(out, p.hourly_rate);
  out += ",\"budget\":null},\"hours\":";
  append_centi(out, e.centi_hours);
  out += ",\"hours_without_timer\":";
  append_centi(out, e.centi_hours);
  out += ",\"rounded_hours\":";
  append_centi(out, (e.centi_hours + 24) / 25 * 25);
  out += ",\"notes\":";
  out += notes_json[e.notes];
  out += ",\"created_at\":\"";
  append_datetime(out, e.created);
  out += "\",\"updated_at\":\"";
  append_datetime(out, e.updated);
  out += "\",\"is_locked\":";
  out += e.locked ? "true,\"locked_reason\":\"Item Approved and Locked for this Time Period\"" : "false,\"locked_reason\":null";
  out += ",\"is_closed\":";
  out += e.locked ? "true" : "false";
  out += ",\"is_billed\":false,\"timer_started_at\":null,\"started_time\":null,\"ended_time\":null,\"is_running\":false,"
         "\"invoice\":null,\"external_reference\":null,\"billable\":";
  out += e.billable ? "true" : "false";
  out += ",\"budgeted\":true,\"billable_rate\":";
  if (e.billable) {
    append_rate(out, p.hourly_rate);
  } else {
    out += "null";
  }
  out += ",\"cost_rate\":50.0}";
}

void Dataset::append_user_json(std::string& out, const UserRecord& u) const {
  boost::json::object o;
  o["id"] = u.id;
  o["first_name"] = u.first_name;
  o["last_name"] = u.last_name;
  o["email"] = u.email;
  o["telephone"] = "";
  o["timezone"] = "Eastern Time (US & Canada)";
  o["has_access_to_all_future_projects"] = false;
  o["is_contractor"] = false;
  o["is_active"] = true;
  o["weekly_capacity"] = 126000;
  o["default_hourly_rate"] = 100.0;
  o["cost_rate"] = 50.0;
  o["roles"] = boost::json::array{"Developer"};
  o["access_roles"] = boost::json::array{boost::json::string(u.role)};
  o["avatar_url"] = "https://d3s3969qhosaug.cloudfront.net/v2/user.png";
  std::string ts;
  append_datetime(ts, u.created);
  o["created_at"] = ts;
  ts.clear();
  append_datetime(ts, u.updated);
  o["updated_at"] = ts;
  out += boost::json::serialize(o);
}

void Dataset::append_client_json(std::string& out, const ClientRecord& c) const {
  out += "{\"id\":";
  append_uint(out, c.id);
  out += ",\"name\":";
  out += json_quote(c.name);
  out += ",\"is_active\":true,\"address\":\"123 Main St.\\nAnytown, LA 71223\",\"statement_key\":\"";
  out += std::to_string(c.id * 7919 % 1000003);
  out += "\",\"currency\":\"" + c.currency + "\",\"created_at\":\"";
  append_datetime(out, c.created);
  out += "\",\"updated_at\":\"";
  append_datetime(out, c.updated);
  out += "\"}";
}

void Dataset::append_project_json(std::string& out, const ProjectRecord& p) const {
  const ClientRecord& c = clients[p.client];
  out += "{\"id\":";
  append_uint(out, p.id);
  out += ",\"name\":";
  out += json_quote(p.name);
  out += ",\"code\":";
  out += json_quote(p.code);
  out += ",\"is_active\":true,\"bill_by\":\"Project\",\"budget\":200.0,\"budget_by\":\"project\",\"is_billable\":";
  out += p.billable ? "true" : "false";
  out += ",\"is_fixed_fee\":false,\"client\":{\"id\":";
  append_uint(out, c.id);
  out += ",\"name\":";
  out += json_quote(c.name);
  out += ",\"currency\":\"" + c.currency + "\"},\"hourly_rate\":";
  append_rate(out, p.hourly_rate);
  out += ",\"starts_on\":\"2022-01-01\",\"ends_on\":null,\"created_at\":\"";
  append_datetime(out, p.created);
  out += "\",\"updated_at\":\"";
  append_datetime(out, p.updated);
  out += "\"}";
}

void Dataset::append_task_json(std::string& out, const TaskRecord& t) const {
  out += "{\"id\":";
  append_uint(out, t.id);
  out += ",\"name\":";
  out += json_quote(t.name);
  out += ",\"billable_by_default\":";
  out += t.billable_by_default ? "true" : "false";
  out += ",\"default_hourly_rate\":";
  append_rate(out, t.default_hourly_rate);
  out += ",\"is_default\":false,\"is_active\":true,\"created_at\":\"";
  append_datetime(out, t.created);
  out += "\",\"updated_at\":\"";
  append_datetime(out, t.updated);
  out += "\"}";
}

}  // namespace harvest_connect::testing::detail
