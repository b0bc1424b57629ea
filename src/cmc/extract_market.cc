// Market-wide endpoints: crypto_categories, crypto_category (links), global metrics and the
// fear and greed index (cryptolakehouse.md §1.2-1.6).

#include <algorithm>
#include <fstream>
#include <set>

#include "cmc/extractor.h"
#include "cmc/row_builder.h"
#include "dlake/common/time.h"

namespace dlake::cmc {
namespace {

constexpr int64_t kCategoryCoinsPage = 1000;
// Before the first categories snapshot: about as many as CoinMarketCap lists.
constexpr int64_t kCategoriesBeforeFirstSnapshot = 300;

// ---- crypto_categories ----

const std::vector<BronzeColumn> kCategoriesColumns = {
    {"category_id", "VARCHAR"}, {"name", "VARCHAR"},
    {"title", "VARCHAR"},       {"description", "VARCHAR"},
    {"num_tokens", "BIGINT"},   {"avg_price_change", "DOUBLE"},
    {"market_cap", "DOUBLE"},   {"market_cap_change", "DOUBLE"},
    {"volume", "DOUBLE"},       {"volume_change", "DOUBLE"},
    {"last_updated", "VARCHAR"}};

Status RunCategories(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v1/cryptocurrency/categories";
  DLAKE_ASSIGN_OR_RETURN(auto data, FetchData(ctx, report, path, "start=1&limit=5000"));
  if (!data) return Status::Ok();
  std::vector<nlohmann::json> rows;
  std::vector<std::string> ids;
  for (size_t i = 0; i < (*data).size(); ++i) {
    const auto& item = (*data)[i];
    RowBuilder row(path + " item " + std::to_string(i));
    row.Text("category_id", Member(item, "id")).Text("name", Member(item, "name"));
    row.Text("title", Member(item, "title")).Text("description", Member(item, "description"));
    row.Int("num_tokens", Member(item, "num_tokens"));
    for (const char* key :
         {"avg_price_change", "market_cap", "market_cap_change", "volume", "volume_change"}) {
      row.Number(key, Member(item, key));
    }
    row.Text("last_updated", Member(item, "last_updated"));
    if (!row.status().ok()) {
      RecordFailure(report, row.status());
      return Status::Ok();
    }
    nlohmann::json r = row.Take();
    if (!r["category_id"].is_string()) continue;
    ids.push_back(r["category_id"].get<std::string>());
    rows.push_back(std::move(r));
  }
  DLAKE_RETURN_IF_ERROR(WriteBronze(ctx, report,
                                    {"crypto_categories_data", "crypto_categories", "cmc:" + path},
                                    kCategoriesColumns, rows));
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["total_categories"] = ids.size();
  line["category_ids"] = ids;
  return ctx.Log("crypto_categories").Append(ctx.snapshot_date, line);
}

// ---- crypto_category (links) ----

const std::vector<BronzeColumn> kLinkColumns = {{"crypto_id", "BIGINT"},
                                                {"category_id", "VARCHAR"}};

std::vector<std::string> StringList(const nlohmann::ordered_json& line, const char* field) {
  std::vector<std::string> out;
  auto it = line.find(field);
  if (it == line.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// Categories whose links are already fetched: the category ids the warehouse held at its last
// link load (metadata/load/crypto/crypto_category_link.jsonl), as the original did; before any
// load, every category an earlier extract fetched.
struct LoadedCategories {
  std::set<std::string> ids;
  std::string load_ref;  // the load's started_at, or ""
};

Result<LoadedCategories> AlreadyFetched(const ExtractContext& ctx) {
  LoadedCategories loaded;
  DLAKE_ASSIGN_OR_RETURN(
      auto load_line,
      LastJsonLine(ctx.storage.Abs("metadata/load/crypto/crypto_category_link.jsonl")));
  if (load_line && load_line->contains("category_ids")) {
    for (auto& id : StringList(*load_line, "category_ids")) loaded.ids.insert(id);
    auto started = load_line->find("started_at");
    if (started != load_line->end() && started->is_string()) loaded.load_ref = *started;
    return loaded;
  }
  std::ifstream in(ctx.Log("crypto_category").path());
  std::string text;
  while (std::getline(in, text)) {
    auto line = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded() || !line.is_object()) continue;
    for (auto& id : StringList(line, "category_ids_to_fetch")) {
      if (id != "skip") loaded.ids.insert(id);
    }
  }
  return loaded;
}

// The coin ids of one category, paged by 1000.
Result<std::vector<int64_t>> CategoryCoins(ExtractContext& ctx, const std::string& category,
                                           EndpointReport& report) {
  const std::string path = "/v1/cryptocurrency/category";
  std::vector<int64_t> coins;
  for (int64_t start = 1;; start += kCategoryCoinsPage) {
    DLAKE_ASSIGN_OR_RETURN(CmcResponse response,
                           ctx.client.Get(path,
                                          "id=" + category + "&start=" + std::to_string(start) +
                                              "&limit=" + std::to_string(kCategoryCoinsPage),
                                          /*allow_empty=*/false));
    ++report.requests;
    // The category object, either as data itself or keyed under data.
    const nlohmann::json* object = &response.data;
    if (object->is_object() && !object->contains("coins") && !object->empty()) {
      object = &object->begin().value();
    }
    const nlohmann::json& list = Member(*object, "coins");
    if (!list.is_array()) {
      return Unavailable(path, "?id=", category, " answered coins of type ", JsonTypeName(list),
                         ", not a list");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      RowBuilder row(path + "?id=" + category + " coin " + std::to_string(i));
      row.Int("id", Member(list[i], "id"));
      if (!row.status().ok()) return row.status();
      nlohmann::json r = row.Take();
      if (r["id"].is_number_integer()) coins.push_back(r["id"].get<int64_t>());
    }
    if (static_cast<int64_t>(list.size()) < kCategoryCoinsPage) break;
  }
  return coins;
}

Status RunCategoryLinks(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v1/cryptocurrency/category";
  DLAKE_ASSIGN_OR_RETURN(auto categories_line, ctx.Log("crypto_categories").Last());
  if (!categories_line) {
    RecordFailure(report, FailedPrecondition("no crypto_categories snapshot yet: extract "
                                             "crypto_categories first (or the init group)"));
    return Status::Ok();
  }
  const std::vector<std::string> available = StringList(*categories_line, "category_ids");
  DLAKE_ASSIGN_OR_RETURN(LoadedCategories loaded, AlreadyFetched(ctx));
  std::vector<std::string> to_fetch;
  for (const auto& id : available) {
    if (!loaded.ids.count(id)) to_fetch.push_back(id);
  }
  std::sort(to_fetch.begin(), to_fetch.end());

  std::vector<nlohmann::json> rows;
  std::vector<std::string> fetched;
  std::vector<Status> failed;
  for (const auto& category : to_fetch) {
    auto coins = CategoryCoins(ctx, category, report);
    if (!coins.ok()) {
      if (StopsRun(coins.status())) return coins.status();
      failed.push_back(coins.status());  // fetched again next run
      continue;
    }
    fetched.push_back(category);
    for (int64_t coin : *coins) rows.push_back({{"crypto_id", coin}, {"category_id", category}});
  }
  if (!rows.empty()) {
    DLAKE_RETURN_IF_ERROR(
        WriteBronze(ctx, report, {"crypto_category_data", "link_crypto_category", "cmc:" + path},
                    kLinkColumns, rows));
  }
  if (!failed.empty()) {
    RecordFailure(report, failed.front().WithContext(std::to_string(failed.size()) +
                                                     " categories failed, first"));
  }
  if (to_fetch.empty()) {
    report.status = "skipped";
    report.message = "every category's links are fetched already";
    fetched = {"skip"};
  } else if (fetched.empty()) {
    return Status::Ok();
  }
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["extract_snapshot_ref"] = SnapshotDateOf(categories_line);
  line["load_snapshot_ref"] = loaded.load_ref;
  line["num_available_categories"] = available.size();
  line["num_loaded_categories"] = loaded.ids.size();
  line["category_ids_to_fetch"] = fetched;
  line["num_categories_to_fetch"] = fetched.size();
  return ctx.Log("crypto_category").Append(ctx.snapshot_date, line);
}

// ---- global metrics ----

// The 43 flat fields, in file order: bronze column, type, and where the field is in the answer.
struct GlobalField {
  std::string column;
  const char* type;
  std::vector<const char*> path;
};

const std::vector<GlobalField>& GlobalFields() {
  static const std::vector<GlobalField> fields = [] {
    std::vector<GlobalField> f;
    for (const char* c : {"active_cryptocurrencies", "total_cryptocurrencies",
                          "active_market_pairs", "active_exchanges", "total_exchanges"}) {
      f.push_back({c, "BIGINT", {c}});
    }
    for (const char* c :
         {"btc_dominance", "eth_dominance", "btc_dominance_yesterday", "eth_dominance_yesterday",
          "btc_dominance_24h_percentage_change", "eth_dominance_24h_percentage_change",
          "defi_volume_24h", "defi_volume_24h_reported", "defi_market_cap",
          "defi_24h_percentage_change", "stablecoin_volume_24h", "stablecoin_volume_24h_reported",
          "stablecoin_market_cap", "stablecoin_24h_percentage_change", "derivatives_volume_24h",
          "derivatives_volume_24h_reported", "derivatives_24h_percentage_change"}) {
      f.push_back({c, "DOUBLE", {c}});
    }
    for (const char* c : {"total_crypto_dex_currencies", "today_incremental_crypto_number",
                          "past_24h_incremental_crypto_number", "past_7d_incremental_crypto_number",
                          "past_30d_incremental_crypto_number"}) {
      f.push_back({c, "BIGINT", {c}});
    }
    f.push_back({"today_change_percent", "DOUBLE", {"today_change_percent"}});
    f.push_back({"tracked_maxIncrementalNumber",
                 "BIGINT",
                 {"tracked_yearly_number", "maxIncrementalNumber"}});
    f.push_back(
        {"tracked_maxIncrementalDate", "VARCHAR", {"tracked_yearly_number", "maxIncrementalDate"}});
    f.push_back({"tracked_minIncrementalNumber",
                 "BIGINT",
                 {"tracked_yearly_number", "minIncrementalNumber"}});
    f.push_back(
        {"tracked_minIncrementalDate", "VARCHAR", {"tracked_yearly_number", "minIncrementalDate"}});
    static const char* const kQuote[] = {"total_market_cap",
                                         "total_volume_24h",
                                         "total_volume_24h_reported",
                                         "altcoin_volume_24h",
                                         "altcoin_volume_24h_reported",
                                         "altcoin_market_cap",
                                         "total_market_cap_yesterday",
                                         "total_volume_24h_yesterday",
                                         "total_market_cap_yesterday_percentage_change",
                                         "total_volume_24h_yesterday_percentage_change"};
    for (const char* c : kQuote)
      f.push_back({std::string("quote_") + c, "DOUBLE", {"quote", "USD", c}});
    f.push_back({"last_updated", "VARCHAR", {"last_updated"}});
    return f;
  }();
  return fields;
}

Status RunGlobalMetrics(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v1/global-metrics/quotes/latest";
  DLAKE_ASSIGN_OR_RETURN(auto data, FetchData(ctx, report, path, "", /*object=*/true));
  if (!data) return Status::Ok();
  RowBuilder row(path);
  std::vector<BronzeColumn> columns;
  for (const auto& field : GlobalFields()) {
    const nlohmann::json* value = &(*data);
    for (const char* key : field.path) value = &Member(*value, key);
    const std::string type = field.type;
    const char* column = field.column.c_str();
    if (type == "BIGINT")
      row.Int(column, *value);
    else if (type == "DOUBLE")
      row.Number(column, *value);
    else
      row.Text(column, *value);
    columns.push_back({field.column, field.type});
  }
  if (!row.status().ok()) {
    RecordFailure(report, row.status());
    return Status::Ok();
  }
  nlohmann::json r = row.Take();
  int64_t non_null = 0;
  for (const auto& field : GlobalFields()) non_null += r[field.column].is_null() ? 0 : 1;
  DLAKE_RETURN_IF_ERROR(WriteBronze(ctx, report,
                                    {"global_metrics_data", "global_metrics", "cmc:" + path},
                                    columns, {std::move(r)}));
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["non_null_fields"] = non_null;
  line["null_fields"] = static_cast<int64_t>(GlobalFields().size()) - non_null;
  return ctx.Log("global_metrics_quotes_latest").Append(ctx.snapshot_date, line);
}

// ---- fear and greed ----

Status RunFearGreedLatest(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v3/fear-and-greed/latest";
  DLAKE_ASSIGN_OR_RETURN(auto data, FetchData(ctx, report, path, "", /*object=*/true));
  if (!data) return Status::Ok();
  RowBuilder row(path);
  row.Int("value", Member((*data), "value"));
  row.Text("value_classification", Member((*data), "value_classification"));
  row.Text("update_time", Member((*data), "update_time"));
  if (!row.status().ok()) {
    RecordFailure(report, row.status());
    return Status::Ok();
  }
  DLAKE_RETURN_IF_ERROR(WriteBronze(
      ctx, report, {"latest_fear_and_greed_data", "fear_and_greed_latest", "cmc:" + path},
      {{"value", "BIGINT"}, {"value_classification", "VARCHAR"}, {"update_time", "VARCHAR"}},
      {row.Take()}));
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["records_fetched"] = 1;
  return ctx.Log("fear_and_greed_latest").Append(ctx.snapshot_date, line);
}

Status RunFearGreedHistory(ExtractContext& ctx, EndpointReport& report) {
  const std::string path = "/v3/fear-and-greed/historical";
  DLAKE_ASSIGN_OR_RETURN(auto data, FetchData(ctx, report, path, "start=1&limit=500"));
  if (!data) return Status::Ok();
  std::vector<nlohmann::json> rows;
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (size_t i = 0; i < (*data).size(); ++i) {
    const auto& item = (*data)[i];
    RowBuilder row(path + " item " + std::to_string(i));
    row.Text("timestamp", Member(item, "timestamp")).Int("value", Member(item, "value"));
    row.Text("value_classification", Member(item, "value_classification"));
    RowBuilder seconds(path + " item " + std::to_string(i));
    seconds.Int("timestamp", Member(item, "timestamp"));
    if (!row.status().ok() || !seconds.status().ok()) {
      RecordFailure(report, row.status().ok() ? seconds.status() : row.status());
      return Status::Ok();
    }
    const nlohmann::json ts = seconds.Take()["timestamp"];
    if (ts.is_number_integer()) {
      first = std::min(first, ts.get<int64_t>());
      last = std::max(last, ts.get<int64_t>());
    }
    rows.push_back(row.Take());
  }
  DLAKE_RETURN_IF_ERROR(WriteBronze(
      ctx, report, {"fear_and_greed_data", "fear_and_greed", "cmc:" + path},
      {{"timestamp", "VARCHAR"}, {"value", "BIGINT"}, {"value_classification", "VARCHAR"}}, rows));
  nlohmann::ordered_json line;
  line["source_endpoint"] = path;
  line["records_fetched"] = rows.size();
  const bool dated = first != INT64_MAX;
  line["first_timestamp"] = dated ? std::to_string(first) : "";
  line["last_timestamp"] = dated ? std::to_string(last) : "";
  line["first_date_utc"] = dated ? FormatDay(DayOf(first * 1000)) : "";
  line["last_date_utc"] = dated ? FormatDay(DayOf(last * 1000)) : "";
  return ctx.Log("fear_and_greed_historical").Append(ctx.snapshot_date, line);
}

int64_t CategoriesToFetch(const ExtractContext& ctx) {
  auto line = ctx.Log("crypto_categories").Last();
  if (!line.ok() || !*line) return kCategoriesBeforeFirstSnapshot;
  auto loaded = AlreadyFetched(ctx);
  int64_t n = 0;
  for (const auto& id : StringList(**line, "category_ids")) {
    n += loaded.ok() && loaded->ids.count(id) ? 0 : 1;
  }
  return n;
}

}  // namespace

Extractor CategoriesExtractor() {
  // 1 per request + 1 per 200 categories.
  return {"crypto_categories", "/v1/cryptocurrency/categories", "crypto_categories_data",
          RunCategories, [](const ExtractContext&) -> int64_t { return 1 + CeilDiv(5000, 200); }};
}

Extractor CategoryLinksExtractor() {
  // 1 per request + 1 per 200 coins: about 2 per category.
  return {"crypto_category", "/v1/cryptocurrency/category", "crypto_category_data",
          RunCategoryLinks, [](const ExtractContext& ctx) { return 2 * CategoriesToFetch(ctx); }};
}

Extractor GlobalMetricsExtractor() {
  return {"global_metrics_quotes_latest", "/v1/global-metrics/quotes/latest", "global_metrics_data",
          RunGlobalMetrics, [](const ExtractContext&) -> int64_t { return 1; }};
}

Extractor FearGreedLatestExtractor() {
  return {"fear_and_greed_latest", "/v3/fear-and-greed/latest", "latest_fear_and_greed_data",
          RunFearGreedLatest, [](const ExtractContext&) -> int64_t { return 1; }};
}

Extractor FearGreedHistoryExtractor() {
  return {"fear_and_greed_historical", "/v3/fear-and-greed/historical", "fear_and_greed_data",
          RunFearGreedHistory, [](const ExtractContext&) -> int64_t { return 1; }};
}

}  // namespace dlake::cmc
