// The JSON forms of the extract's results (doc/json.md).

#include <nlohmann/json.hpp>

#include "dlake/cmc/extract.h"

namespace dlake::cmc {

std::string ToJson(const ExtractReport& report) {
  nlohmann::ordered_json endpoints = nlohmann::ordered_json::array();
  for (const auto& e : report.endpoints) {
    endpoints.push_back({{"name", e.name},
                         {"status", e.status},
                         {"rows", e.rows},
                         {"files", e.files},
                         {"requests", e.requests},
                         {"credits", e.credits},
                         {"message", e.message}});
  }
  nlohmann::ordered_json out = {
      {"group", report.group},       {"snapshot_date", report.snapshot_date},
      {"ok", report.ok()},           {"estimated_credits", report.estimated_credits},
      {"requests", report.requests}, {"credits", report.credits},
      {"endpoints", endpoints}};
  return out.dump(2);
}

std::string ToJson(const CreditReport& report) {
  nlohmann::ordered_json by_endpoint = nlohmann::ordered_json::array();
  for (const auto& e : report.month_by_endpoint) {
    by_endpoint.push_back(
        {{"endpoint", e.endpoint}, {"requests", e.requests}, {"credits", e.credits}});
  }
  nlohmann::ordered_json out = {{"day", report.day},
                                {"month", report.month},
                                {"today", report.today},
                                {"this_month", report.this_month},
                                {"monthly_budget", report.monthly_budget},
                                {"credit_buffer", report.buffer},
                                {"usable", report.usable},
                                {"remaining", report.remaining},
                                {"month_by_endpoint", by_endpoint}};
  return out.dump(2);
}

std::string ToJson(const std::vector<EndpointStatus>& endpoints) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& e : endpoints) {
    out.push_back({{"name", e.name},
                   {"last_snapshot", e.last_snapshot},
                   {"last_file", e.last_file},
                   {"last_rows", e.last_rows},
                   {"last_run", e.last_run},
                   {"last_status", e.last_status},
                   {"last_message", e.last_message},
                   {"requests_this_month", e.requests_this_month},
                   {"credits_this_month", e.credits_this_month}});
  }
  return out.dump(2);
}

}  // namespace dlake::cmc
