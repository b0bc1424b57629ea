// Cryptocurrency endpoints: crypto_map, crypto_info, crypto_listings_latest
// (cryptolakehouse.md §1.2-1.6).

#include <algorithm>
#include <set>

#include "cmc/extractor.h"
#include "cmc/row_builder.h"
#include "dlake/common/time.h"

namespace dlake::cmc {
namespace {

constexpr int64_t kMapPage = 5000;
constexpr size_t kInfoChunk = 100;
constexpr int64_t kFullScanDays = 30;
constexpr int kListingPages = 25;  // 5000 cryptocurrencies in pages of 200
constexpr int kListingPageSize = 200;
constexpr int kPagesPerBatch = 5;
// Before the first map snapshot: about as many as CoinMarketCap lists.
constexpr int64_t kCryptosBeforeFirstMap = 10000;

// ---- crypto_map ----

const std::vector<BronzeColumn> kCryptoMapColumns = {{"id", "BIGINT"},
                                                     {"rank", "BIGINT"},
                                                     {"name", "VARCHAR"},
                                                     {"symbol", "VARCHAR"},
                                                     {"is_active", "BIGINT"},
                                                     {"first_historical_data", "VARCHAR"},
                                                     {"last_historical_data", "VARCHAR"},
                                                     {"platform_id", "BIGINT"},
                                                     {"platform_name", "VARCHAR"},
                                                     {"platform_symbol", "VARCHAR"},
                                                     {"platform_slug", "VARCHAR"},
                                                     {"platform_token_address", "VARCHAR"}};

Result<nlohmann::json> CryptoMapRow(const nlohmann::json& item, const std::string& where) {
  const nlohmann::json& platform = Member(item, "platform");
  RowBuilder row(where);
  row.Int("id", Member(item, "id")).Int("rank", Member(item, "rank"));
  row.Text("name", Member(item, "name")).Text("symbol", Member(item, "symbol"));
  row.Int("is_active", Member(item, "is_active"));
  row.Text("first_historical_data", Member(item, "first_historical_data"));
  row.Text("last_historical_data", Member(item, "last_historical_data"));
  row.Int("platform_id", Member(platform, "id")).Text("platform_name", Member(platform, "name"));
  row.Text("platform_symbol", Member(platform, "symbol"));
  row.Text("platform_slug", Member(platform, "slug"));
  row.Text("platform_token_address", Member(platform, "token_address"));
  if (!row.status().ok()) return row.status();
  return row.Take();
}

// Every active cryptocurrency, paged by id: the original stopped at the first 5000 ids, which
// left ~45% of the listings (the top 5000 by rank) without a map row.
Status RunCryptoMap(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v1/cryptocurrency/map";
  std::vector<nlohmann::json> rows;
  std::vector<int64_t> ids;
  for (int64_t start = 1;; start += kMapPage) {
    auto response = ctx.client.Get(
        path,
        "listing_status=active&start=" + std::to_string(start) +
            "&limit=" + std::to_string(kMapPage) +
            "&sort=id&aux=platform,first_historical_data,last_historical_data,is_active",
        /*allow_empty=*/start > 1);
    ++report.requests;
    if (!response.ok()) {
      if (StopsRun(response.status())) return response.status();
      RecordFailure(report, response.status());
      return Status::Ok();
    }
    if (!response->data.is_array()) {
      RecordFailure(report, Unavailable(path, " answered data of type ",
                                        JsonTypeName(response->data), ", not a list"));
      return Status::Ok();
    }
    for (size_t i = 0; i < response->data.size(); ++i) {
      auto row = CryptoMapRow(response->data[i], path + " start=" + std::to_string(start) +
                                                     " item " + std::to_string(i));
      if (!row.ok()) {
        RecordFailure(report, row.status());
        return Status::Ok();
      }
      if ((*row)["id"].is_null()) continue;
      ids.push_back((*row)["id"].get<int64_t>());
      rows.push_back(std::move(*row));
    }
    if (static_cast<int64_t>(response->data.size()) < kMapPage) break;
  }
  SnapshotLog log = ctx.Log("crypto_map");
  DLAKE_ASSIGN_OR_RETURN(auto last, LastIds(log, "crypto_ids"));
  if (last) {
    std::vector<int64_t> a = *last, b = ids;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a == b) {
      report.status = "unchanged";
      report.message = "the cryptocurrency ids are those of the last snapshot";
      return Status::Ok();
    }
  }
  DLAKE_RETURN_IF_ERROR(WriteBronze(ctx, report, {"crypto_map_data", "crypto_map", "cmc:" + path},
                                    kCryptoMapColumns, rows));
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["total_active_crypto"] = ids.size();
  line["crypto_ids"] = ids;
  return log.Append(ctx.snapshot_date, line);
}

// ---- crypto_info ----

const std::vector<BronzeColumn> kCryptoInfoColumns = {
    {"id", "BIGINT"},          {"name", "VARCHAR"},
    {"symbol", "VARCHAR"},     {"slug", "VARCHAR"},
    {"logo", "VARCHAR"},       {"description", "VARCHAR"},
    {"date_added", "VARCHAR"}, {"date_launched", "VARCHAR"},
    {"website", "VARCHAR"},    {"technical_doc", "VARCHAR"},
    {"twitter", "VARCHAR"},    {"reddit", "VARCHAR"},
    {"explorer", "VARCHAR"},   {"source_code", "VARCHAR"},
    {"category", "VARCHAR"},   {"tags", "VARCHAR"}};

Result<nlohmann::json> CryptoInfoRow(const nlohmann::json& value, const std::string& where) {
  // By id each key maps to one object; by symbol to a list of them.
  const nlohmann::json& item = value.is_array() && !value.empty() ? value[0] : value;
  const nlohmann::json& urls = Member(item, "urls");
  RowBuilder row(where);
  row.Int("id", Member(item, "id")).Text("name", Member(item, "name"));
  row.Text("symbol", Member(item, "symbol")).Text("slug", Member(item, "slug"));
  row.Text("logo", Member(item, "logo")).Text("description", Member(item, "description"));
  row.Text("date_added", Member(item, "date_added"));
  row.Text("date_launched", Member(item, "date_launched"));
  for (const char* key :
       {"website", "technical_doc", "twitter", "reddit", "explorer", "source_code"}) {
    row.First(key, Member(urls, key));
  }
  row.Text("category", Member(item, "category")).Joined("tags", Member(item, "tags"), ",");
  if (!row.status().ok()) return row.status();
  return row.Take();
}

// What crypto_info fetches next: every map id on a full scan (none yet, no scan date, or the
// scan date reached: the original fired only on the exact date), else the ids it lacks.
struct InfoPlan {
  bool full = true;
  std::vector<int64_t> to_fetch;
  std::vector<int64_t> available;  // kept from earlier runs (incremental only)
  std::optional<int64_t> scan_day;
};

Result<std::optional<InfoPlan>> PlanCryptoInfo(const ExtractContext& ctx) {
  DLAKE_ASSIGN_OR_RETURN(auto map_ids, LastIds(ctx.Log("crypto_map"), "crypto_ids"));
  if (!map_ids) return std::optional<InfoPlan>();
  SnapshotLog log = ctx.Log("crypto_info");
  DLAKE_ASSIGN_OR_RETURN(auto last, log.Last());
  DLAKE_ASSIGN_OR_RETURN(auto available, LastIds(log, "ids_available_info"));
  InfoPlan plan;
  plan.scan_day = NextFullScanDay(last);
  plan.full =
      !last || !available || available->empty() || !plan.scan_day || ctx.today >= *plan.scan_day;
  if (plan.full) {
    plan.to_fetch = *map_ids;
    return std::optional(std::move(plan));
  }
  plan.available = *available;
  const std::set<int64_t> have(available->begin(), available->end());
  for (int64_t id : *map_ids) {
    if (!have.count(id)) plan.to_fetch.push_back(id);
  }
  return std::optional(std::move(plan));
}

Status RunCryptoInfo(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v2/cryptocurrency/info";
  DLAKE_ASSIGN_OR_RETURN(auto map_line, ctx.Log("crypto_map").Last());
  DLAKE_ASSIGN_OR_RETURN(auto plan, PlanCryptoInfo(ctx));
  if (!plan) {
    RecordFailure(report, FailedPrecondition("no crypto_map snapshot yet: extract crypto_map "
                                             "first (or the init group)"));
    return Status::Ok();
  }
  if (plan->to_fetch.empty()) {
    report.status = "skipped";
    report.message = "every cryptocurrency of the map has its info";
    return Status::Ok();
  }
  std::vector<nlohmann::json> rows;
  std::vector<int64_t> fetched;
  std::vector<Status> failed;
  for (size_t from = 0; from < plan->to_fetch.size(); from += kInfoChunk) {
    auto response = ctx.client.Get(
        path,
        "id=" + JoinIds(plan->to_fetch, from, kInfoChunk) +
            "&skip_invalid=true&aux=urls,logo,description,tags,platform,date_added,notice,status",
        /*allow_empty=*/false);
    ++report.requests;
    if (!response.ok()) {
      if (StopsRun(response.status())) return response.status();
      failed.push_back(response.status());  // these ids are asked again next run
      continue;
    }
    if (!response->data.is_object()) {
      failed.push_back(Unavailable(path, " answered data of type ", JsonTypeName(response->data),
                                   ", not an object"));
      continue;
    }
    std::vector<nlohmann::json> chunk;
    Status bad;
    for (auto it = response->data.begin(); it != response->data.end() && bad.ok(); ++it) {
      auto row = CryptoInfoRow(it.value(), path + " id " + it.key());
      if (row.ok())
        chunk.push_back(std::move(*row));
      else
        bad = row.status();
    }
    if (!bad.ok()) {
      failed.push_back(bad);
      continue;
    }
    for (size_t i = from; i < plan->to_fetch.size() && i < from + kInfoChunk; ++i) {
      fetched.push_back(plan->to_fetch[i]);  // skip_invalid: unknown ids count as done
    }
    for (auto& r : chunk) rows.push_back(std::move(r));
  }
  if (!rows.empty()) {
    DLAKE_RETURN_IF_ERROR(WriteBronze(
        ctx, report, {"crypto_info_data", "crypto_info", "cmc:" + path}, kCryptoInfoColumns, rows));
  }
  if (!failed.empty()) {
    RecordFailure(report, failed.front().WithContext(std::to_string(failed.size()) +
                                                     " chunk(s) failed, first"));
  }
  if (fetched.empty()) return Status::Ok();
  std::vector<int64_t> available = plan->available;
  available.insert(available.end(), fetched.begin(), fetched.end());
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["date_of_next_full_scan"] =
      FormatDay(plan->full ? ctx.today + kFullScanDays : *plan->scan_day);
  line["crypto_map_snapshot_ref"] = SnapshotDateOf(map_line);
  line["total_info_crypto"] = available.size();
  line["ids_available_info"] = available;
  return ctx.Log("crypto_info").Append(ctx.snapshot_date, line);
}

// ---- crypto_listings_latest ----

const std::vector<BronzeColumn> kListingColumns = {{"id", "BIGINT"},
                                                   {"name", "VARCHAR"},
                                                   {"symbol", "VARCHAR"},
                                                   {"slug", "VARCHAR"},
                                                   {"cmc_rank", "BIGINT"},
                                                   {"num_market_pairs", "BIGINT"},
                                                   {"circulating_supply", "DOUBLE"},
                                                   {"total_supply", "DOUBLE"},
                                                   {"max_supply", "DOUBLE"},
                                                   {"infinite_supply", "BOOLEAN"},
                                                   {"self_reported_circulating_supply", "DOUBLE"},
                                                   {"self_reported_market_cap", "DOUBLE"},
                                                   {"self_reported_tags", "VARCHAR"},
                                                   {"date_added", "VARCHAR"},
                                                   {"tags", "VARCHAR"},
                                                   {"platform_id", "BIGINT"},
                                                   {"price_usd", "DOUBLE"},
                                                   {"volume_24h_usd", "DOUBLE"},
                                                   {"volume_change_24h", "DOUBLE"},
                                                   {"percent_change_1h_usd", "DOUBLE"},
                                                   {"percent_change_24h_usd", "DOUBLE"},
                                                   {"percent_change_7d_usd", "DOUBLE"},
                                                   {"market_cap_usd", "DOUBLE"},
                                                   {"market_cap_dominance_usd", "DOUBLE"},
                                                   {"fully_diluted_market_cap_usd", "DOUBLE"},
                                                   {"last_updated_usd", "VARCHAR"},
                                                   {"batch_index", "BIGINT"}};

Result<nlohmann::json> ListingRow(const nlohmann::json& item, int batch, const std::string& where) {
  const nlohmann::json& usd = Member(Member(item, "quote"), "USD");
  RowBuilder row(where);
  row.Int("id", Member(item, "id")).Text("name", Member(item, "name"));
  row.Text("symbol", Member(item, "symbol")).Text("slug", Member(item, "slug"));
  row.Int("cmc_rank", Member(item, "cmc_rank"));
  row.Int("num_market_pairs", Member(item, "num_market_pairs"));
  for (const char* key : {"circulating_supply", "total_supply", "max_supply"}) {
    row.Number(key, Member(item, key));
  }
  row.Bool("infinite_supply", Member(item, "infinite_supply"));
  row.Number("self_reported_circulating_supply", Member(item, "self_reported_circulating_supply"));
  row.Number("self_reported_market_cap", Member(item, "self_reported_market_cap"));
  row.Joined("self_reported_tags", Member(item, "self_reported_tags"), ",");
  row.Text("date_added", Member(item, "date_added")).Joined("tags", Member(item, "tags"), ",");
  row.Int("platform_id", Member(Member(item, "platform"), "id"));
  row.Number("price_usd", Member(usd, "price"));
  row.Number("volume_24h_usd", Member(usd, "volume_24h"));
  row.Number("volume_change_24h", Member(usd, "volume_change_24h"));
  row.Number("percent_change_1h_usd", Member(usd, "percent_change_1h"));
  row.Number("percent_change_24h_usd", Member(usd, "percent_change_24h"));
  row.Number("percent_change_7d_usd", Member(usd, "percent_change_7d"));
  row.Number("market_cap_usd", Member(usd, "market_cap"));
  row.Number("market_cap_dominance_usd", Member(usd, "market_cap_dominance"));
  row.Number("fully_diluted_market_cap_usd", Member(usd, "fully_diluted_market_cap"));
  row.Text("last_updated_usd", Member(usd, "last_updated")).Raw("batch_index", batch);
  if (!row.status().ok()) return row.status();
  return row.Take();
}

Status RunListings(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v1/cryptocurrency/listings/latest";
  const std::string aux =
      "num_market_pairs,cmc_rank,date_added,tags,platform,max_supply,circulating_supply,"
      "total_supply,market_cap_by_total_supply,volume_24h_reported,volume_7d,volume_7d_reported,"
      "volume_30d,volume_30d_reported,is_market_cap_included_in_calc";
  std::vector<std::vector<nlohmann::json>> batches(kListingPages / kPagesPerBatch);
  std::vector<Status> failed;
  int64_t total = 0;
  for (int page = 0; page < kListingPages; ++page) {
    const int batch = page / kPagesPerBatch + 1;
    const int start = 1 + page * kListingPageSize;
    auto response =
        ctx.client.Get(path,
                       "start=" + std::to_string(start) +
                           "&limit=" + std::to_string(kListingPageSize) + "&aux=" + aux,
                       /*allow_empty=*/page > 0);  // past the end of the list a page is empty
    ++report.requests;
    if (!response.ok()) {
      if (StopsRun(response.status())) return response.status();
      failed.push_back(response.status().WithContext("page start=" + std::to_string(start)));
      continue;
    }
    if (response->data.is_array() && response->data.empty()) break;
    if (!response->data.is_array()) {
      failed.push_back(Unavailable(path, " start=", start, " answered data of type ",
                                   JsonTypeName(response->data), ", not a list"));
      continue;
    }
    std::vector<nlohmann::json> rows;
    Status bad;
    for (size_t i = 0; i < response->data.size() && bad.ok(); ++i) {
      auto row =
          ListingRow(response->data[i], batch,
                     path + " start=" + std::to_string(start) + " item " + std::to_string(i));
      if (row.ok())
        rows.push_back(std::move(*row));
      else
        bad = row.status();
    }
    if (!bad.ok()) {
      failed.push_back(bad);
      continue;
    }
    total += static_cast<int64_t>(rows.size());
    for (auto& r : rows) batches[batch - 1].push_back(std::move(r));
    if (static_cast<int>(response->data.size()) < kListingPageSize) break;  // end of the list
  }
  for (size_t b = 0; b < batches.size(); ++b) {
    if (batches[b].empty()) continue;
    DLAKE_RETURN_IF_ERROR(
        WriteBronze(ctx, report,
                    {"crypto_listings_latest_data", "crypto_listings_batch" + std::to_string(b + 1),
                     "cmc:" + path},
                    kListingColumns, batches[b]));
  }
  if (!failed.empty()) {
    RecordFailure(report, failed.front().WithContext(std::to_string(failed.size()) +
                                                     " page(s) failed, first"));
  }
  if (total == 0) return Status::Ok();
  nlohmann::ordered_json line;
  line["total_listed_cryptos"] = total;
  line["source_endpoint"] = path;
  return ctx.Log("crypto_listings_latest").Append(ctx.snapshot_date, line);
}

int64_t CryptoIdCount(const ExtractContext& ctx) {
  auto ids = LastIds(ctx.Log("crypto_map"), "crypto_ids");
  return ids.ok() && *ids ? static_cast<int64_t>((*ids)->size()) : kCryptosBeforeFirstMap;
}

}  // namespace

Extractor CryptoMapExtractor() {
  return {"crypto_map", "/v1/cryptocurrency/map", "crypto_map_data", RunCryptoMap,
          [](const ExtractContext& ctx) { return 1 + CryptoIdCount(ctx) / kMapPage; }};
}

Extractor CryptoInfoExtractor() {
  return {"crypto_info", "/v2/cryptocurrency/info", "crypto_info_data", RunCryptoInfo,
          [](const ExtractContext& ctx) -> int64_t {
            auto plan = PlanCryptoInfo(ctx);
            if (!plan.ok() || !*plan) return CeilDiv(CryptoIdCount(ctx), kInfoChunk);
            return CeilDiv(static_cast<int64_t>((*plan)->to_fetch.size()), kInfoChunk);
          }};
}

Extractor ListingsExtractor() {
  // 1 credit per 200 cryptocurrencies returned.
  return {"crypto_listings_latest", "/v1/cryptocurrency/listings/latest",
          "crypto_listings_latest_data", RunListings,
          [](const ExtractContext&) -> int64_t { return kListingPages; }};
}

}  // namespace dlake::cmc
