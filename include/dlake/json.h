#pragma once
// The JSON form of every result dlake::Lake returns: what `dlake … --json` prints and what the
// REST server and the Python SDK return, from this one implementation. Each function returns
// the JSON text, indented by `indent` spaces (-1: one line). Times are epoch milliseconds (UTC),
// datasets their "EXCHANGE/MARKET/SYMBOL/TYPE/PERIOD" path. The field names are a contract:
// doc/json.md lists them.

#include <string>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/catalog/symbol_info.h"
#include "dlake/exchange/download.h"
#include "dlake/ingest/ingest_request.h"
#include "dlake/lake.h"

namespace dlake {

// `dlake init`: the lake's folder, whether it was created now, its manifest schema version.
struct InitResult {
  std::string root;
  bool created = false;
  int schema_version = 0;
};

std::string ToJson(const InitResult& result, int indent = 2);
std::string ToJson(const IngestReport& report, const DatasetId& dataset, int indent = 2);
std::string ToJson(const DownloadReport& report, int indent = 2);
std::string ToJson(const std::vector<SymbolInfo>& symbols, int indent = 2);
std::string ToJson(const std::vector<DatasetSummary>& datasets, int indent = 2);
std::string ToJson(const std::vector<FileEntry>& files, int indent = 2);
std::string ToJson(const DeleteReport& report, int indent = 2);
std::string ToJson(const AggregateReport& report, int indent = 2);
std::string ToJson(const VerifyReport& report, int indent = 2);
// `dlake maintain compact | cleanup`, and `dlake maintain`: {"compact", "cleanup", "verify",
// "manifest_backup", "ok"} with the three reports' forms.
std::string ToJson(const CompactReport& report, int indent = 2);
std::string ToJson(const CleanupReport& report, int indent = 2);
std::string ToJson(const MaintainReport& report, int indent = 2);
// The feature store (doc/features.md): a version with its lineage, a list of them, an upload,
// a diff and a deletion.
std::string ToJson(const FeatureVersion& version, int indent = 2);
std::string ToJson(const std::vector<FeatureVersion>& versions, int indent = 2);
std::string ToJson(const FeatureUploadReport& report, int indent = 2);
std::string ToJson(const FeatureDiff& diff, int indent = 2);
std::string ToJson(const FeatureDeleteReport& report, int indent = 2);
// {"endpoints": cmc::ToJson(endpoints), "tables": lakehouse::ToJson(tables)}.
std::string ToJson(const PipelineStatus& status, int indent = 2);

}  // namespace dlake
