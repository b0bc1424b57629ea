// The two repair procedures of cryptolakehouse §3.5 (§6 items 48 and 49).
//
// exchange_info is extracted weekly but dim_exchange_map and fact_exchange_assets are loaded
// daily, so most days their exchange_info columns arrive NULL. Each call repairs, per exchange,
// only the newest snapshot that has the gap, from the latest earlier snapshot that does not.
//
// The original fed UPDATE … FROM from a CTE using DISTINCT ON and JOIN LATERAL. Here the same
// selection is one subquery with two DISTINCT ONs over a plain join, a form that PostgreSQL and
// DuckDB both accept and plan without a correlated subquery: the inner DISTINCT ON picks the
// newest gap per exchange, the outer one the latest earlier complete row for it. An exchange with
// no earlier complete row is left alone.

#include "warehouse/procedures.h"

namespace dlake::warehouse {
namespace {

constexpr const char* kFillExchangeMapInfo = R"sql(UPDATE dim_exchange_map
SET maker_fee = fill.maker_fee, taker_fee = fill.taker_fee, weekly_visits = fill.weekly_visits
FROM (
  SELECT DISTINCT ON (gap.exchange_id)
         gap.exchange_id, gap.snapshot_timestamp, src.maker_fee, src.taker_fee, src.weekly_visits
  FROM (
    SELECT DISTINCT ON (exchange_id) exchange_id, snapshot_timestamp
    FROM dim_exchange_map
    WHERE maker_fee IS NULL AND taker_fee IS NULL AND weekly_visits IS NULL
    ORDER BY exchange_id, snapshot_timestamp DESC
  ) AS gap
  JOIN dim_exchange_map AS src
    ON src.exchange_id = gap.exchange_id
   AND src.snapshot_timestamp < gap.snapshot_timestamp
   AND src.maker_fee IS NOT NULL AND src.taker_fee IS NOT NULL AND src.weekly_visits IS NOT NULL
  ORDER BY gap.exchange_id, src.snapshot_timestamp DESC
) AS fill
WHERE dim_exchange_map.exchange_id = fill.exchange_id
  AND dim_exchange_map.snapshot_timestamp = fill.snapshot_timestamp
  AND dim_exchange_map.maker_fee IS NULL
  AND dim_exchange_map.taker_fee IS NULL
  AND dim_exchange_map.weekly_visits IS NULL)sql";

// One spot volume per exchange and snapshot, copied to every wallet row of the snapshot; the
// ORDER BY's last key only makes the choice deterministic should an earlier snapshot disagree
// with itself. wallet_weight follows the silver KPI (§2.3): NULL when the volume is 0.
constexpr const char* kFillSpotVolume = R"sql(UPDATE fact_exchange_assets
SET spot_volume_usd = fill.spot_volume_usd,
    wallet_weight = fact_exchange_assets.total_usd_value / NULLIF(fill.spot_volume_usd, 0)
FROM (
  SELECT DISTINCT ON (gap.exchange_id)
         gap.exchange_id, gap.snapshot_timestamp, src.spot_volume_usd
  FROM (
    SELECT DISTINCT ON (exchange_id) exchange_id, snapshot_timestamp
    FROM fact_exchange_assets
    WHERE spot_volume_usd IS NULL
    ORDER BY exchange_id, snapshot_timestamp DESC
  ) AS gap
  JOIN fact_exchange_assets AS src
    ON src.exchange_id = gap.exchange_id
   AND src.snapshot_timestamp < gap.snapshot_timestamp
   AND src.spot_volume_usd IS NOT NULL
  ORDER BY gap.exchange_id, src.snapshot_timestamp DESC, src.spot_volume_usd DESC
) AS fill
WHERE fact_exchange_assets.exchange_id = fill.exchange_id
  AND fact_exchange_assets.snapshot_timestamp = fill.snapshot_timestamp
  AND fact_exchange_assets.spot_volume_usd IS NULL)sql";

}  // namespace

const std::vector<ProcedureDefinition>& RepairProcedures() {
  static const std::vector<ProcedureDefinition> procedures = {
      {"fill_nulls_exchange_map_info",
       "per exchange, fills the newest dim_exchange_map row whose maker_fee, taker_fee and "
       "weekly_visits are all NULL from the latest earlier row where all three are set",
       {kFillExchangeMapInfo}},
      {"fill_nulls_spot_volume_and_wallet_weight",
       "per exchange, fills spot_volume_usd of the newest fact_exchange_assets snapshot lacking "
       "it from the latest earlier known value, and sets wallet_weight = total_usd_value / "
       "spot_volume_usd",
       {kFillSpotVolume}},
  };
  return procedures;
}

std::string CreateProcedureSql(const ProcedureDefinition& procedure) {
  std::string sql =
      "CREATE OR REPLACE PROCEDURE " + procedure.name + "() LANGUAGE plpgsql AS $$\nBEGIN\n";
  for (const auto& statement : procedure.statements) sql += statement + ";\n";
  return sql + "END\n$$";
}

Result<int64_t> RunProcedure(SqlTarget& target, const ProcedureDefinition& procedure) {
  if (target.dialect().has_procedures()) {
    DLAKE_RETURN_IF_ERROR(
        target.Execute("CALL " + procedure.name + "()", "calling procedure " + procedure.name)
            .status());
    return -1;
  }
  // Each statement is atomic on its own; the procedures have one each, so no transaction is
  // opened here (which would also fail inside a caller's transaction).
  int64_t updated = 0;
  for (size_t i = 0; i < procedure.statements.size(); ++i) {
    DLAKE_ASSIGN_OR_RETURN(
        int64_t rows,
        target.Execute(procedure.statements[i], "running procedure " + procedure.name +
                                                    " (statement " + std::to_string(i + 1) + ")"));
    updated += rows;
  }
  return updated;
}

}  // namespace dlake::warehouse
