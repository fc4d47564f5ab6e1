// Declared schemas of Harvest's main list endpoints, from Harvest's API v2 documentation
// (the fields of each object as documented; /work/shared/HARVEST.md §12 and §16) and the
// emulator's answers. Written compactly, one "name:type" per field:
//   l int64, g float64 (hours, money, rates, percentages), b boolean, u string,
//   D date, T timestamp (UTC), J JSON text (arrays, free-form objects).
#include "harvest_connect/harvest/table_schema.hpp"

#include <map>
#include <sstream>

#include "harvest_connect/harvest/api_path.hpp"

namespace harvest_connect::harvest {

namespace {

// Shapes shared by several resources.
constexpr std::string_view user_assignment_fields =
    "id:l is_project_manager:b is_active:b use_default_rates:b budget:g created_at:T updated_at:T hourly_rate:g";
constexpr std::string_view task_assignment_fields =
    "id:l billable:b is_active:b created_at:T updated_at:T hourly_rate:g budget:g";

std::string nested(std::string_view prefix, std::string_view fields) {
  std::string out;
  std::istringstream in{std::string(fields)};
  for (std::string field; in >> field;) out += std::string(prefix) + "." + field + " ";
  return out;
}

const std::map<std::string, std::string, std::less<>>& schemas() {
  static const std::map<std::string, std::string, std::less<>> all = [] {
    std::map<std::string, std::string, std::less<>> m;
    m["time_entries"] =
        "id:l spent_date:D user.id:l user.name:u client.id:l client.name:u client.currency:u project.id:l "
        "project.name:u project.code:u task.id:l task.name:u " +
        nested("user_assignment", user_assignment_fields) + nested("task_assignment", task_assignment_fields) +
        "external_reference.id:u external_reference.group_id:u external_reference.account_id:u "
        "external_reference.permalink:u external_reference.service:u external_reference.service_icon_url:u "
        "invoice.id:l invoice.number:u hours:g hours_without_timer:g rounded_hours:g notes:u is_locked:b "
        "locked_reason:u approval_status:u is_closed:b is_billed:b timer_started_at:T started_time:u ended_time:u "
        "is_running:b billable:b budgeted:b billable_rate:g cost_rate:g created_at:T updated_at:T";
    m["projects"] =
        "id:l client.id:l client.name:u client.currency:u name:u code:u is_active:b is_billable:b is_fixed_fee:b "
        "bill_by:u budget:g budget_by:u budget_is_monthly:b notify_when_over_budget:b "
        "over_budget_notification_percentage:g over_budget_notification_date:D show_budget_to_all:b "
        "cost_budget:g cost_budget_include_expenses:b hourly_rate:g fee:g notes:u starts_on:D ends_on:D "
        "created_at:T updated_at:T";
    m["clients"] = "id:l name:u is_active:b address:u statement_key:u currency:u created_at:T updated_at:T";
    m["users"] =
        "id:l first_name:u last_name:u email:u telephone:u timezone:u has_access_to_all_future_projects:b "
        "is_contractor:b is_active:b weekly_capacity:l default_hourly_rate:g cost_rate:g roles:J access_roles:J "
        "permissions_claims:J calendar_integration_enabled:b calendar_integration_source:u avatar_url:u "
        "created_at:T updated_at:T";
    m["tasks"] =
        "id:l name:u billable_by_default:b default_hourly_rate:g is_default:b is_active:b created_at:T updated_at:T";
    m["task_assignments"] = "id:l project.id:l project.name:u project.code:u task.id:l task.name:u is_active:b "
                            "billable:b hourly_rate:g budget:g created_at:T updated_at:T";
    m["user_assignments"] = "id:l project.id:l project.name:u project.code:u user.id:l user.name:u is_active:b "
                            "is_project_manager:b use_default_rates:b hourly_rate:g budget:g created_at:T updated_at:T";
    m["invoices"] =
        "id:l client.id:l client.name:u line_items:J estimate.id:l retainer.id:l creator.id:l creator.name:u "
        "client_key:u number:u purchase_order:u amount:g due_amount:g tax:g tax_amount:g tax2:g tax2_amount:g "
        "discount:g discount_amount:g subject:u notes:u currency:u state:u period_start:D period_end:D "
        "issue_date:D due_date:D payment_term:u payment_options:J sent_at:T paid_at:T paid_date:D closed_at:T "
        "recurring_invoice_id:l created_at:T updated_at:T";
    m["expenses"] =
        "id:l client.id:l client.name:u client.currency:u project.id:l project.name:u project.code:u "
        "expense_category.id:l expense_category.name:u expense_category.unit_price:g expense_category.unit_name:u "
        "user.id:l user.name:u " +
        nested("user_assignment", user_assignment_fields) +
        "receipt.url:u receipt.file_name:u receipt.file_size:l receipt.content_type:u invoice.id:l "
        "invoice.number:u notes:u units:g total_cost:g billable:b is_closed:b is_locked:b is_billed:b "
        "locked_reason:u approval_status:u spent_date:D created_at:T updated_at:T";
    m["estimates"] =
        "id:l client.id:l client.name:u line_items:J creator.id:l creator.name:u client_key:u number:u "
        "purchase_order:u amount:g tax:g tax_amount:g tax2:g tax2_amount:g discount:g discount_amount:g "
        "subject:u notes:u currency:u state:u issue_date:D sent_at:T accepted_at:T declined_at:T "
        "created_at:T updated_at:T";
    // Reports: each report's rows (under "results"), keyed by the report's path.
    const std::string time_totals = "total_hours:g billable_hours:g currency:u billable_amount:g";
    const std::string expense_totals = "total_amount:g billable_amount:g currency:u";
    m["reports/time/clients"] = "client_id:l client_name:u " + time_totals;
    m["reports/time/projects"] = "client_id:l client_name:u project_id:l project_name:u " + time_totals;
    m["reports/time/tasks"] = "task_id:l task_name:u " + time_totals;
    m["reports/time/team"] =
        "user_id:l user_name:u is_contractor:b " + time_totals + " weekly_capacity:l avatar_url:u";
    m["reports/expenses/clients"] = "client_id:l client_name:u " + expense_totals;
    m["reports/expenses/projects"] = "client_id:l client_name:u project_id:l project_name:u " + expense_totals;
    m["reports/expenses/categories"] = "expense_category_id:l expense_category_name:u " + expense_totals;
    m["reports/expenses/team"] = "user_id:l user_name:u is_contractor:b " + expense_totals;
    m["reports/uninvoiced"] =
        "client_id:l client_name:u project_id:l project_name:u currency:u total_hours:g uninvoiced_hours:g "
        "uninvoiced_expenses:g uninvoiced_amount:g";
    m["reports/project_budget"] =
        "project_id:l project_name:u client_id:l client_name:u budget_is_monthly:b budget_by:u is_active:b "
        "budget:g budget_spent:g budget_remaining:g";
    return m;
  }();
  return all;
}

ColumnType type_of(char code) {
  switch (code) {
    case 'l': return ColumnType::int64;
    case 'g': return ColumnType::float64;
    case 'b': return ColumnType::boolean;
    case 'D': return ColumnType::date32;
    case 'T': return ColumnType::timestamp_us;
    case 'J': return ColumnType::json;
    default: return ColumnType::utf8;
  }
}

}  // namespace

std::string_view column_type_name(ColumnType type) noexcept {
  switch (type) {
    case ColumnType::null: return "null";
    case ColumnType::int64: return "int64";
    case ColumnType::float64: return "float64";
    case ColumnType::boolean: return "boolean";
    case ColumnType::utf8: return "string";
    case ColumnType::date32: return "date";
    case ColumnType::timestamp_us: return "timestamp";
    case ColumnType::json: return "JSON text";
  }
  return "?";
}

std::optional<std::vector<ColumnSpec>> declared_schema(std::string_view relative_path) {
  std::string key;
  if (is_reports_path(relative_path)) {
    std::string_view p = relative_path;
    while (!p.empty() && p.front() == '/') p.remove_prefix(1);
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    key = std::string(p);
  } else {
    key = resource_name(relative_path);
  }
  const auto found = schemas().find(key);
  if (found == schemas().end()) return std::nullopt;
  std::vector<ColumnSpec> out;
  std::istringstream in(found->second);
  for (std::string field; in >> field;) {
    const auto colon = field.rfind(':');
    out.push_back({field.substr(0, colon), type_of(field[colon + 1])});
  }
  return out;
}

}  // namespace harvest_connect::harvest
