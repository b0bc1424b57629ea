// Exchange endpoints: exchange_map, exchange_info, exchange_assets (cryptolakehouse.md §1.2-1.6).

#include <algorithm>

#include "cmc/extractor.h"
#include "cmc/row_builder.h"
#include "dlake/common/time.h"

namespace dlake::cmc {
namespace {

constexpr int64_t kMapPage = 5000;
constexpr size_t kInfoChunk = 100;
constexpr int64_t kFullScanDays = 30;

// ---- exchange_map ----

const std::vector<BronzeColumn> kExchangeMapColumns = {
    {"id", "BIGINT"}, {"name", "VARCHAR"}, {"slug", "VARCHAR"}, {"is_active", "BIGINT"}};

// Pages through a map endpoint (`query` without start/limit) until a short page.
Result<std::vector<nlohmann::json>> FetchMap(ExtractContext& ctx, const std::string& path,
                                             const std::string& query, EndpointReport& report) {
  std::vector<nlohmann::json> items;
  for (int64_t start = 1;; start += kMapPage) {
    DLAKE_ASSIGN_OR_RETURN(
        CmcResponse response,
        ctx.client.Get(path,
                       "start=" + std::to_string(start) + "&limit=" + std::to_string(kMapPage) +
                           (query.empty() ? "" : "&" + query),
                       /*allow_empty=*/start > 1));
    ++report.requests;
    if (!response.data.is_array()) {
      return Unavailable("CoinMarketCap ", path, " answered data of type ",
                         JsonTypeName(response.data), ", not a list");
    }
    for (auto& item : response.data) items.push_back(std::move(item));
    if (static_cast<int64_t>(response.data.size()) < kMapPage) break;
  }
  return items;
}

// True when `ids` hold the same set as the ids of the last snapshot line.
bool SameIds(const std::optional<std::vector<int64_t>>& last, std::vector<int64_t> ids) {
  if (!last || last->size() != ids.size()) return false;
  std::vector<int64_t> old = *last;
  std::sort(old.begin(), old.end());
  std::sort(ids.begin(), ids.end());
  return old == ids;
}

Status RunExchangeMap(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v1/exchange/map";
  auto items = FetchMap(ctx, path, "", report);
  if (!items.ok()) {
    if (StopsRun(items.status())) return items.status();
    RecordFailure(report, items.status());
    return Status::Ok();
  }
  std::vector<nlohmann::json> rows;
  std::vector<int64_t> ids;
  for (size_t i = 0; i < items->size(); ++i) {
    const auto& item = (*items)[i];
    RowBuilder row(path + " item " + std::to_string(i));
    row.Int("id", Member(item, "id")).Text("name", Member(item, "name"));
    row.Text("slug", Member(item, "slug")).Int("is_active", Member(item, "is_active"));
    if (!row.status().ok()) {
      RecordFailure(report, row.status());
      return Status::Ok();
    }
    nlohmann::json r = row.Take();
    if (r["id"].is_null()) continue;
    ids.push_back(r["id"].get<int64_t>());
    rows.push_back(std::move(r));
  }
  std::sort(ids.begin(), ids.end());
  SnapshotLog log = ctx.Log("exchange_map");
  DLAKE_ASSIGN_OR_RETURN(auto last, LastIds(log, "exchange_ids"));
  if (SameIds(last, ids)) {
    report.status = "unchanged";
    report.message = "the exchange ids are those of the last snapshot";
    return Status::Ok();
  }
  DLAKE_RETURN_IF_ERROR(WriteBronze(ctx, report,
                                    {"exchange_map_data", "exchange_map", "cmc:" + path},
                                    kExchangeMapColumns, rows));
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["total_count"] = ids.size();
  line["df_records"] = rows.size();
  line["exchange_ids"] = ids;
  return log.Append(ctx.snapshot_date, line);
}

// ---- exchange_info ----

const std::vector<BronzeColumn> kExchangeInfoColumns = {
    {"id", "BIGINT"},
    {"name", "VARCHAR"},
    {"slug", "VARCHAR"},
    {"description", "VARCHAR"},
    {"date_launched", "VARCHAR"},
    {"notice", "VARCHAR"},
    {"logo", "VARCHAR"},
    {"weekly_visits", "BIGINT"},
    {"spot_volume_usd", "DOUBLE"},
    {"maker_fee", "DOUBLE"},
    {"taker_fee", "DOUBLE"},
    {"urls",
     "STRUCT(website VARCHAR[], twitter VARCHAR[], blog VARCHAR[], chat VARCHAR[], fee "
     "VARCHAR[])"},
    {"fiats", "VARCHAR"}};

// urls{website, twitter, blog, chat, fee}: lists of text, kept nested.
Result<nlohmann::json> UrlLists(const nlohmann::json& urls, const std::string& where) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* key : {"website", "twitter", "blog", "chat", "fee"}) {
    const nlohmann::json& list = Member(urls, key);
    if (list.is_null()) {
      out[key] = nullptr;
      continue;
    }
    if (!list.is_array() ||
        !std::all_of(list.begin(), list.end(), [](const auto& u) { return u.is_string(); })) {
      return Unavailable(where, ": field 'urls.", key, "' is not a list of text");
    }
    out[key] = list;
  }
  return out;
}

Result<nlohmann::json> ExchangeInfoRow(const nlohmann::json& item, const std::string& where) {
  RowBuilder row(where);
  row.Int("id", Member(item, "id")).Text("name", Member(item, "name"));
  row.Text("slug", Member(item, "slug")).Text("description", Member(item, "description"));
  row.Text("date_launched", Member(item, "date_launched")).Text("notice", Member(item, "notice"));
  row.Text("logo", Member(item, "logo")).Int("weekly_visits", Member(item, "weekly_visits"));
  row.Number("spot_volume_usd", Member(item, "spot_volume_usd"));
  row.Number("maker_fee", Member(item, "maker_fee")).Number("taker_fee", Member(item, "taker_fee"));
  DLAKE_ASSIGN_OR_RETURN(nlohmann::json urls, UrlLists(Member(item, "urls"), where));
  row.Raw("urls", std::move(urls)).Joined("fiats", Member(item, "fiats"), ", ");
  if (!row.status().ok()) return row.status();
  return row.Take();
}

// Fetches the info of `ids` in chunks of 100; failed chunks are counted in `failed`.
Status FetchExchangeInfo(ExtractContext& ctx, const std::vector<int64_t>& ids,
                         EndpointReport& report, std::vector<nlohmann::json>& rows,
                         std::vector<Status>& failed) {
  const std::string path = "/v1/exchange/info";
  for (size_t from = 0; from < ids.size(); from += kInfoChunk) {
    auto response = ctx.client.Get(path,
                                   "id=" + JoinIds(ids, from, kInfoChunk) +
                                       "&aux=urls,logo,description,date_launched,notice,status",
                                   /*allow_empty=*/false);
    ++report.requests;
    if (!response.ok()) {
      if (StopsRun(response.status())) return response.status();
      failed.push_back(response.status());
      continue;
    }
    if (!response->data.is_object()) {
      failed.push_back(Unavailable(path, " answered data of type ", JsonTypeName(response->data),
                                   ", not an object"));
      continue;
    }
    for (auto it = response->data.begin(); it != response->data.end(); ++it) {
      auto row = ExchangeInfoRow(it.value(), path + " id " + it.key());
      if (!row.ok()) {
        failed.push_back(row.status());
        continue;
      }
      rows.push_back(std::move(*row));
    }
  }
  return Status::Ok();
}

Status RunExchangeInfo(ExtractContext& ctx, EndpointReport& report) {
  SnapshotLog map_log = ctx.Log("exchange_map");
  DLAKE_ASSIGN_OR_RETURN(auto map_line, map_log.Last());
  DLAKE_ASSIGN_OR_RETURN(auto ids, LastIds(map_log, "exchange_ids"));
  if (!ids) {
    RecordFailure(report, FailedPrecondition("no exchange_map snapshot yet: extract "
                                             "exchange_map first (or the init group)"));
    return Status::Ok();
  }
  std::vector<nlohmann::json> rows;
  std::vector<Status> failed;
  DLAKE_RETURN_IF_ERROR(FetchExchangeInfo(ctx, *ids, report, rows, failed));
  if (failed.empty() && rows.size() != ids->size()) {
    // The map may be stale (exchanges gone): refresh it once and fetch everything again.
    EndpointReport map_report;
    DLAKE_RETURN_IF_ERROR(ExchangeMapExtractor().run(ctx, map_report));
    report.requests += map_report.requests;
    DLAKE_ASSIGN_OR_RETURN(map_line, map_log.Last());
    DLAKE_ASSIGN_OR_RETURN(ids, LastIds(map_log, "exchange_ids"));
    rows.clear();
    DLAKE_RETURN_IF_ERROR(FetchExchangeInfo(ctx, *ids, report, rows, failed));
  }
  const std::string path = "/v1/exchange/info";
  if (!rows.empty()) {
    DLAKE_RETURN_IF_ERROR(WriteBronze(ctx, report,
                                      {"exchange_info_data", "exchange_info", "cmc:" + path},
                                      kExchangeInfoColumns, rows));
  }
  if (!failed.empty()) {
    RecordFailure(report, failed.front().WithContext(std::to_string(failed.size()) +
                                                     " chunk(s) or item(s) failed, first"));
  }
  if (rows.empty()) return Status::Ok();
  nlohmann::ordered_json line;
  line["total_count"] = rows.size();
  line["source_endpoint"] = path;
  line["exchange_map_snapshot_ref"] = SnapshotDateOf(map_line);
  return ctx.Log("exchange_info").Append(ctx.snapshot_date, line);
}

// ---- exchange_assets ----

const std::vector<BronzeColumn> kExchangeAssetsColumns = {
    {"exchange_id", "BIGINT"},        {"wallet_address", "VARCHAR"},  {"balance", "DOUBLE"},
    {"platform_crypto_id", "BIGINT"}, {"platform_symbol", "VARCHAR"}, {"platform_name", "VARCHAR"},
    {"currency_crypto_id", "BIGINT"}, {"currency_symbol", "VARCHAR"}, {"currency_name", "VARCHAR"},
    {"currency_price_usd", "DOUBLE"}};

Result<nlohmann::json> AssetRow(int64_t exchange_id, const nlohmann::json& item,
                                const std::string& where) {
  const nlohmann::json& platform = Member(item, "platform");
  const nlohmann::json& currency = Member(item, "currency");
  RowBuilder row(where);
  row.Raw("exchange_id", exchange_id).Text("wallet_address", Member(item, "wallet_address"));
  row.Number("balance", Member(item, "balance"));
  row.Int("platform_crypto_id", Member(platform, "crypto_id"));
  row.Text("platform_symbol", Member(platform, "symbol"));
  row.Text("platform_name", Member(platform, "name"));
  row.Int("currency_crypto_id", Member(currency, "crypto_id"));
  row.Text("currency_symbol", Member(currency, "symbol"));
  row.Text("currency_name", Member(currency, "name"));
  row.Number("currency_price_usd", Member(currency, "price_usd"));
  if (!row.status().ok()) return row.status();
  return row.Take();
}

Status RunExchangeAssets(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v1/exchange/assets";
  SnapshotLog map_log = ctx.Log("exchange_map");
  DLAKE_ASSIGN_OR_RETURN(auto map_line, map_log.Last());
  DLAKE_ASSIGN_OR_RETURN(auto map_ids, LastIds(map_log, "exchange_ids"));
  if (!map_ids) {
    RecordFailure(report, FailedPrecondition("no exchange_map snapshot yet: extract "
                                             "exchange_map first (or the init group)"));
    return Status::Ok();
  }
  SnapshotLog log = ctx.Log("exchange_assets");
  DLAKE_ASSIGN_OR_RETURN(auto last, log.Last());
  DLAKE_ASSIGN_OR_RETURN(auto active, LastIds(log, "actif_exchanges"));
  const std::optional<int64_t> scan_day = NextFullScanDay(last);
  const bool full = !last || !active || !scan_day || ctx.today >= *scan_day;
  const std::vector<int64_t>& ids = full ? *map_ids : *active;

  std::vector<nlohmann::json> rows;
  std::vector<int64_t> still_active;
  std::vector<Status> failed;
  for (int64_t id : ids) {
    auto response = ctx.client.Get(path, "id=" + std::to_string(id), /*allow_empty=*/true);
    ++report.requests;
    if (!response.ok()) {
      if (StopsRun(response.status())) return response.status();
      failed.push_back(response.status());
      still_active.push_back(id);  // asked again next run
      continue;
    }
    if (response->data.is_null() || response->data.empty()) continue;  // no wallets listed
    if (!response->data.is_array()) {
      failed.push_back(Unavailable(path, "?id=", id, " answered data of type ",
                                   JsonTypeName(response->data), ", not a list"));
      still_active.push_back(id);
      continue;
    }
    std::vector<nlohmann::json> wallets;
    Status bad;
    for (size_t i = 0; i < response->data.size() && bad.ok(); ++i) {
      auto row = AssetRow(id, response->data[i],
                          path + "?id=" + std::to_string(id) + " item " + std::to_string(i));
      if (row.ok())
        wallets.push_back(std::move(*row));
      else
        bad = row.status();
    }
    still_active.push_back(id);
    if (!bad.ok()) {
      failed.push_back(bad);
      continue;
    }
    for (auto& w : wallets) rows.push_back(std::move(w));
  }
  if (!failed.empty()) {
    RecordFailure(report, failed.front().WithContext(std::to_string(failed.size()) +
                                                     " exchange(s) failed, first"));
  }
  if (rows.empty()) {
    if (failed.empty()) {
      report.status = "skipped";
      report.message = "no exchange listed any wallet";
    }
    return Status::Ok();
  }
  DLAKE_RETURN_IF_ERROR(WriteBronze(ctx, report,
                                    {"exchange_assets_data", "exchange_assets", "cmc:" + path},
                                    kExchangeAssetsColumns, rows));
  std::sort(still_active.begin(), still_active.end());
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["exchange_map_snapshot_ref"] = SnapshotDateOf(map_line);
  line["date_of_next_full_scan"] = FormatDay(full ? ctx.today + kFullScanDays : *scan_day);
  line["total_actif_exchanges"] = still_active.size();
  line["actif_exchanges"] = still_active;
  return log.Append(ctx.snapshot_date, line);
}

// ---- estimates ----

// Exchanges in the last map snapshot; before the first, about as many as CoinMarketCap lists.
int64_t MapIdCount(const ExtractContext& ctx, const char* name, const char* field) {
  constexpr int64_t kExchangesBeforeFirstMap = 1000;
  auto ids = LastIds(ctx.Log(name), field);
  return ids.ok() && *ids ? static_cast<int64_t>((*ids)->size()) : kExchangesBeforeFirstMap;
}

}  // namespace

Extractor ExchangeMapExtractor() {
  return {"exchange_map", "/v1/exchange/map", "exchange_map_data", RunExchangeMap,
          [](const ExtractContext& ctx) {
            return 1 + MapIdCount(ctx, "exchange_map", "exchange_ids") / kMapPage;
          }};
}

Extractor ExchangeInfoExtractor() {
  return {"exchange_info", "/v1/exchange/info", "exchange_info_data", RunExchangeInfo,
          [](const ExtractContext& ctx) {
            // One refresh of the map and a second pass may follow a count mismatch.
            return 2 * std::max<int64_t>(
                           1, CeilDiv(MapIdCount(ctx, "exchange_map", "exchange_ids"), 100)) +
                   1;
          }};
}

Extractor ExchangeAssetsExtractor() {
  return {"exchange_assets", "/v1/exchange/assets", "exchange_assets_data", RunExchangeAssets,
          [](const ExtractContext& ctx) {
            SnapshotLog log = ctx.Log("exchange_assets");
            auto last = log.Last();
            auto active = LastIds(log, "actif_exchanges");
            const std::optional<int64_t> scan_day =
                last.ok() ? NextFullScanDay(*last) : std::optional<int64_t>();
            const bool full = !last.ok() || !*last || !active.ok() || !*active || !scan_day ||
                              ctx.today >= *scan_day;
            const int64_t map_ids = MapIdCount(ctx, "exchange_map", "exchange_ids");
            return full ? std::max<int64_t>(map_ids, 1) : static_cast<int64_t>((*active)->size());
          }};
}

}  // namespace dlake::cmc
