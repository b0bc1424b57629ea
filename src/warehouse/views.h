#pragma once
// The 50 `vw_` views of the warehouse (cryptolakehouse §3.5): business views per domain,
// anomaly views and monitoring views, one SQL text for both dialects (with dialect.h for the
// little that differs). `dlake warehouse init` creates or replaces them all.

#include <string>
#include <vector>

#include "warehouse/dialect.h"

namespace dlake::warehouse {

struct ViewDefinition {
  std::string name;   // vw_…
  std::string group;  // business/crypto | business/exchange | business/fear_and_greed |
                      // business/global | anomalies/<domain> | monitoring
  std::string purpose;
  std::string select;  // the view's SELECT
};

// The 50 views, in creation order.
std::vector<ViewDefinition> WarehouseViews(const Dialect& dialect);

// The statements that create or replace the view in a dialect (dialect.h ReplaceView).
std::string CreateViewSql(const ViewDefinition& view, const Dialect& dialect);

}  // namespace dlake::warehouse
