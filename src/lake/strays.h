#pragma once
// Files under data/ that no live operation needs, as `dlake verify` reports them and `verify
// --repair` and `dlake maintain cleanup` remove them (doc/layout.md "Cleanup"):
//   leftovers  temporary files (.tmp-<pid>-…) and DuckDB spill folders (.tmp/duckdb-<pid>) of
//              processes that are gone;
//   orphans    files in dataset folders or data/bronze that the manifest does not list.
// Folders of other layers (silver's Delta tables, gold, features) are not looked at.

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "dlake/catalog/lake_file.h"
#include "dlake/catalog/manifest.h"
#include "storage/context.h"

namespace dlake {

struct Strays {
  std::vector<std::string> leftovers;  // lake-relative
  std::vector<std::string> orphans;    // lake-relative
};

// Every path the manifest lists for matching datasets: live files and pending deletes.
Result<std::unordered_set<std::string>> ListedPaths(const StorageContext& ctx,
                                                    const DatasetFilter& filter);

// Walks the dataset folders matching `filter` for files not in `listed` and leftovers, and
// .tmp/ for spill folders of dead processes. A live process's temporary file is not a leftover.
void FindDatasetStrays(const StorageContext& ctx, const DatasetFilter& filter,
                       const std::unordered_set<std::string>& listed, Strays& strays);

// Walks data/bronze for files `registered` (the bronze lake files) does not hold, and leftovers.
void FindBronzeStrays(const StorageContext& ctx, const std::vector<LakeFile>& registered,
                      Strays& strays);

// The dataset whose folder holds the lake-relative path `rel`, if any.
std::optional<DatasetId> DatasetOfPath(const std::string& rel);

// Removes `strays.leftovers` (their processes are gone), then each orphan that still is one
// while its dataset's write lock is held (a writer renames its files into place before its
// manifest commit, so without the lock an orphan may be about to be committed), then deletes
// the pending deletes of the matching datasets that no reader needs. Orphans outside any dataset
// folder (bronze) are removed directly: the caller holds the bronze lock. Appends what it
// removed to `removed` (lake-relative) and adds their sizes to `bytes_freed`.
Status RemoveStrays(const StorageContext& ctx, const DatasetFilter& filter, const Strays& strays,
                    std::vector<std::string>& removed, int64_t& bytes_freed);

}  // namespace dlake
