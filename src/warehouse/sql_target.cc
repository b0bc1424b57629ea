// What the two warehouse targets share: the rows of a query and the transaction guard.

#include "warehouse/sql_target.h"

namespace dlake::warehouse {

int64_t SqlRows::Int(size_t row, size_t column) const {
  const auto& cell = rows.at(row).at(column);
  if (!cell) return 0;
  try {
    return std::stoll(*cell);
  } catch (...) {
    return 0;
  }
}

std::string SqlTarget::ColumnList(const std::vector<std::string>& columns) {
  std::string list;
  for (const auto& column : columns) list += (list.empty() ? "" : ", ") + column;
  return "(" + list + ")";
}

Result<Transaction> Transaction::Begin(SqlTarget& target) {
  DLAKE_RETURN_IF_ERROR(target.Execute("BEGIN", "starting a transaction").status());
  return Transaction(&target);
}

Transaction::~Transaction() {
  if (target_ != nullptr) (void)target_->Execute("ROLLBACK", "rolling back");
}

Status Transaction::Commit() {
  SqlTarget* target = target_;
  target_ = nullptr;
  return target->Execute("COMMIT", "committing").status();
}

}  // namespace dlake::warehouse
