// dlake::Lake: the warehouse and gold entry points.

#include "lake/lake_impl.h"

namespace dlake {
namespace {

warehouse::WarehouseContext Context(const Lake::Impl& impl) {
  return {impl.ctx.root, impl.runtime, impl.runtime->settings().Text(setting::kWarehouseUrl)};
}

}  // namespace

Result<warehouse::InitReport> Lake::InitWarehouse() {
  return warehouse::InitWarehouse(Context(*impl_));
}

Result<warehouse::LoadReport> Lake::LoadWarehouse(const warehouse::LoadRequest& request) {
  return warehouse::LoadWarehouse(Context(*impl_), request);
}

Result<warehouse::DataTestReport> Lake::TestWarehouse() {
  return warehouse::TestWarehouse(Context(*impl_));
}

Result<warehouse::WarehouseStatusReport> Lake::WarehouseStatus() {
  return warehouse::WarehouseStatus(Context(*impl_));
}

Result<warehouse::DumpReport> Lake::DumpGold(const warehouse::DumpRequest& request) {
  return warehouse::DumpGold(Context(*impl_), request);
}

Result<warehouse::SnapshotReport> Lake::SnapshotGold(const warehouse::SnapshotRequest& request) {
  return warehouse::SnapshotGold(Context(*impl_), request);
}

}  // namespace dlake
