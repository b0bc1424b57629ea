#pragma once
// Fills datasets from an exchange (doc/downloads.md): resolves symbols (offline from the
// manifest's symbol list when present), computes what is missing in the requested span from the
// stored candles and known gaps, fetches it page by page in ascending order, writes through the
// DatasetWriter every few thousand candles (so memory stays bounded and a killed download
// resumes where it stopped), and records spans the exchange had no data for as known gaps.

#include "dlake/exchange/download.h"
#include "storage/context.h"

namespace dlake::exchange {

class Exchange;

// Fetches and stores the symbol list of one exchange market.
Result<std::vector<SymbolInfo>> DownloadSymbols(const StorageContext& ctx,
                                                const std::string& exchange,
                                                const std::string& market);

Result<DownloadReport> DownloadHistory(const StorageContext& ctx, const DownloadRequest& request);

}  // namespace dlake::exchange
