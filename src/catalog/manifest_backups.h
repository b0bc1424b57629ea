#pragma once
// Automatic manifest backups and reading a backed-up manifest (doc/backup.md).
//
// Automatic backups sit in <lake>/metadata/manifest-backups/ as
//   manifest-<UTC yyyymmddThhmmssZ>-v<schema version>-<reason>.db
// one standalone SQLite file each (Manifest::BackupTo). Rotation deletes only files of that
// form, oldest first; anything else in the folder is left alone.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/common/dataset.h"
#include "dlake/common/status.h"

namespace dlake::catalog {

// The folder of the automatic backups, relative to the lake root.
inline constexpr std::string_view kManifestBackupsDir = "metadata/manifest-backups";

// The file name of an automatic backup taken at `now_ms` of a manifest at `schema_version`.
std::string ManifestBackupName(int64_t now_ms, int schema_version, std::string_view reason);
// True for names ManifestBackupName makes (what rotation may delete).
bool IsManifestBackupName(std::string_view name);

// Backs `manifest` up into <lake_root>/metadata/manifest-backups/ (created if missing), then
// deletes the oldest automatic backups beyond the newest `keep`. `reason` names why
// ("pre-migration-v6", "maintain"): lower-case letters, digits and '-'. `now_ms` = 0 means the
// system clock. Returns the new file's path. InvalidArgument for a bad reason or keep < 1.
Result<std::string> BackupManifestRotating(Manifest& manifest, const std::string& lake_root,
                                           std::string_view reason, int keep, int64_t now_ms = 0);

// One file a manifest lists: a dataset file (`files`) or a lake file (`lake_files`, whose
// `dataset` is empty).
struct ListedFile {
  std::string path;  // relative to the lake root
  DatasetId dataset;
  std::string sha256;
  int64_t bytes = 0;
};

// Every file the manifest at `manifest_path` lists, ordered by path, read through a read-only
// connection that leaves the file as it is (a backup stays a standalone file).
Result<std::vector<ListedFile>> ListManifestFiles(const std::string& manifest_path);

}  // namespace dlake::catalog
