#include "dlake/request_parsing.h"

#include "dlake/common/time.h"
#include "dlake/lake.h"

namespace dlake {

Result<DatasetFilter> ParseDatasetFilter(const DatasetNames& names) {
  DatasetFilter filter;
  if (!names.exchange.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.exchange, NormalizeName("exchange", names.exchange));
  }
  if (!names.market.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.market, NormalizeName("market", names.market));
  }
  if (!names.symbol.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.symbol, NormalizeSymbol(names.symbol));
  }
  if (!names.type.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.type, ParseListedType(names.type));
  }
  if (!names.period.empty()) {
    DLAKE_ASSIGN_OR_RETURN(Period period, ParsePeriod(names.period));
    filter.period = period.name;
  }
  return filter;
}

std::string DefaultPeriod(std::string_view type) {
  auto parsed = ParseDataType(type.empty() ? kTypeRaw : type);
  if (!parsed.ok()) return "";
  if (*parsed == kTypeTicks) return "tick";
  if (*parsed == kTypeRaw || *parsed == kTypeAgg) return "1m";
  return "";
}

Result<DatasetId> ParseDatasetId(const DatasetNames& names) {
  const std::string type = names.type.empty() ? std::string(kTypeRaw) : names.type;
  std::string period = names.period.empty() ? DefaultPeriod(type) : names.period;
  if (period.empty()) {
    DLAKE_ASSIGN_OR_RETURN(std::string parsed_type, ParseDataType(type));
    return InvalidArgument("a period is required for ", parsed_type,
                           " data (e.g. funding); it has no default");
  }
  return DatasetId::Make(names.exchange, names.market, names.symbol, type, period);
}

Result<TimeRange> ParseTimeRange(std::string_view start, std::string_view end) {
  TimeRange range;
  if (!start.empty()) {
    DLAKE_ASSIGN_OR_RETURN(range.start, ParseRangeStart(start));
  }
  if (!end.empty()) {
    DLAKE_ASSIGN_OR_RETURN(range.end, ParseRangeEnd(end));
  }
  if (range.end <= range.start) {
    return InvalidArgument("the end (", end, ") must be after the start (", start, ")");
  }
  return range;
}

Result<DatasetFilter> ReadFilter(const ReadQuery& query) {
  DatasetNames names = query.dataset;
  if (names.type.empty()) names.type = kTypeRaw;
  if (names.period.empty() && query.timeframe.empty()) names.period = DefaultPeriod(names.type);
  return ParseDatasetFilter(names);
}

Result<ReadRequest> MakeReadRequest(Lake& lake, const ReadQuery& query) {
  DLAKE_ASSIGN_OR_RETURN(DatasetFilter filter, ReadFilter(query));
  DLAKE_ASSIGN_OR_RETURN(TimeRange range, ParseTimeRange(query.start, query.end));
  ReadRequest request;
  if (query.timeframe.empty()) {
    DLAKE_ASSIGN_OR_RETURN(request.dataset, lake.ResolveDataset(filter));
  } else {
    DLAKE_ASSIGN_OR_RETURN(request.dataset, lake.ResolveTimeframeSource(filter, query.timeframe));
  }
  request.timeframe = query.timeframe;
  request.start = range.start;
  request.end = range.end;
  request.columns = query.columns;
  request.limit = query.limit;
  return request;
}

}  // namespace dlake
