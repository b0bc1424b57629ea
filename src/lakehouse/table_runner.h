#pragma once
// Builds one silver table within a transform run: finds its bronze snapshot, decides whether to
// build it, writes it, appends its metadata line and maintains the table. Fail-soft: every
// outcome, failures included, comes back as a TableTransform.

#include <cstdint>
#include <optional>
#include <string>

#include "dlake/lakehouse/transform.h"
#include "lakehouse/bronze_files.h"
#include "lakehouse/silver_tables.h"
#include "lakehouse/transform_metadata.h"

namespace dlake::lakehouse {

// The source_snapshot of dim_exchange_map (its rows come from the exchange_info of the run).
inline constexpr const char* kExchangeInfoBroadcast = "from broadcasted_exchange_info_df";

// What one run has built so far, for the tables that depend on it.
struct RunState {
  // Absolute paths of the bronze files of dim_exchange_info / dim_exchange_id when they were
  // built in this run, else empty.
  std::string exchange_info;
  std::optional<int64_t> exchange_info_time;
  std::string exchange_map;
};

class TableRunner {
 public:
  // `lake` is absolute. Borrows the context's runtime and manifest.
  TableRunner(const SilverContext& ctx, std::string lake);

  TableTransform Run(const SilverTable& table);

 private:
  // The outcome of looking for the table's input: a reason to skip, or what to build from.
  struct Plan {
    std::optional<std::string> skip_reason;
    std::optional<std::string> source_snapshot;  // absolute primary file, or the broadcast
    SilverInputs inputs;
    std::optional<int64_t> snapshot_time;
    std::string note;  // e.g. an incomplete listings batch
  };

  Result<Plan> PlanBuild(const SilverTable& table);
  Result<Plan> PlanFromBronze(const SilverTable& table);
  Result<Plan> PlanExchangeMapCatchUp(const SilverTable& table);
  // The latest bronze file of `table` when it is the one its last build read, else nullopt.
  Result<std::optional<BronzeSnapshot>> SnapshotBuiltFrom(const SilverTable& table,
                                                          const TransformRecord& built);
  void Build(const SilverTable& table, const Plan& plan, int64_t started_ms, TableTransform& out);
  void Skip(const SilverTable& table, const Plan& plan, TableTransform& out);
  void RememberBuilt(const SilverTable& table, const Plan& plan);
  std::string Absolute(const std::string& relative) const;

  SilverContext ctx_;
  std::string lake_;
  TransformMetadata metadata_;
  RunState state_;
};

}  // namespace dlake::lakehouse
