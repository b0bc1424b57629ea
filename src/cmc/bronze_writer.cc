#include "cmc/bronze_writer.h"

#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "common/lake_layout.h"
#include "duck/duck.h"
#include "storage/partition.h"

namespace dlake::cmc {
namespace {

// Removes a temporary file unless released.
class TempFile {
 public:
  TempFile(Env* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) (void)env_->RemoveFile(path_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void Release() { path_.clear(); }

 private:
  Env* env_;
  std::string path_;
};

Status WriteJsonLines(const std::string& path, const std::vector<nlohmann::json>& rows,
                      const std::string& date_snapshot) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("cannot create '", path, "': ", std::strerror(errno));
  for (const auto& row : rows) {
    nlohmann::json line = row;
    line["date_snapshot"] = date_snapshot;
    out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  out.flush();
  if (!out) return IoError("cannot write '", path, "': ", std::strerror(errno));
  return Status::Ok();
}

std::string ColumnsLiteral(const std::vector<BronzeColumn>& columns) {
  std::string out = "{";
  for (const auto& c : columns) {
    if (out.size() > 1) out += ", ";
    out += duck::QuoteLiteral(c.name) + ": " + duck::QuoteLiteral(c.type);
  }
  return out + ", 'date_snapshot': 'VARCHAR'}";
}

std::string SelectList(const std::vector<BronzeColumn>& columns) {
  std::string out;
  for (const auto& c : columns) out += duck::QuoteIdentifier(c.name) + ", ";
  return out + "date_snapshot";
}

}  // namespace

Result<LakeFile> BronzeWriter::Write(const BronzeFile& file,
                                     const std::vector<BronzeColumn>& columns,
                                     const std::vector<nlohmann::json>& rows) {
  if (rows.empty()) {
    return InvalidArgument("no rows to write for bronze ", file.folder, "/", file.prefix);
  }
  const std::string folder = std::string(layout::kBronzeDir) + "/" + file.folder;
  const std::string name = file.prefix + "-" + stamp_ + ".parquet";
  const std::string rel = folder + "/" + name;
  const std::string path = ctx_.Abs(rel);
  Env* env = ctx_.env;
  DLAKE_RETURN_IF_ERROR(env->CreateDirs(ctx_.Abs(folder)));
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return AlreadyExists("bronze file '", rel, "' exists already (one run per second)");
  }

  TempFile json(env, ctx_.Abs(folder + "/" + storage::TempFileName(name + ".jsonl")));
  DLAKE_RETURN_IF_ERROR(WriteJsonLines(json.path(), rows, date_snapshot_));
  TempFile parquet(env, ctx_.Abs(folder + "/" + storage::TempFileName(name)));
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx_.duck));
  DLAKE_RETURN_IF_ERROR(conn->Execute(
      "COPY (SELECT " + SelectList(columns) + " FROM read_json(" + duck::QuoteLiteral(json.path()) +
          ", format = 'newline_delimited', columns = " + ColumnsLiteral(columns) + ")) TO " +
          duck::QuoteLiteral(parquet.path()) + " (FORMAT parquet, COMPRESSION snappy)",
      "writing bronze file " + rel));
  DLAKE_RETURN_IF_ERROR(env->SyncFile(parquet.path()));
  DLAKE_ASSIGN_OR_RETURN(FileDigest digest, Sha256File(parquet.path()));

  LakeFile entry;
  entry.path = rel;
  entry.kind = std::string(kLakeFileBronze);
  entry.collection = file.folder;
  entry.rows = static_cast<int64_t>(rows.size());
  entry.bytes = static_cast<int64_t>(digest.bytes);
  entry.sha256 = digest.sha256;
  entry.created_at = env->NowMs();
  entry.source = file.source;

  DLAKE_ASSIGN_OR_RETURN(FileLock lock,
                         FileLock::Acquire(ctx_.Abs(std::string(layout::kBronzeLockFile))));
  DLAKE_RETURN_IF_ERROR(env->RenameFile(parquet.path(), path));
  parquet.Release();
  Status registered = env->SyncDir(ctx_.Abs(folder));
  if (registered.ok()) registered = ctx_.manifest->AddLakeFile(entry);
  if (!registered.ok()) {
    (void)env->RemoveFile(path);
    return registered.WithContext("registering bronze file " + rel);
  }
  return entry;
}

}  // namespace dlake::cmc
