#pragma once
// The names of a lake's top-level entries (doc/layout.md), for every module that finds them.

#include <string_view>

namespace dlake::layout {

inline constexpr std::string_view kManifestFile = "manifest.db";
inline constexpr std::string_view kSettingsFile = "dlake.toml";
inline constexpr std::string_view kDataDir = "data";
inline constexpr std::string_view kMetadataDir = "metadata";
inline constexpr std::string_view kLocksDir = ".locks";
inline constexpr std::string_view kTmpDir = ".tmp";
// Bronze snapshots (doc/cmc.md): data/bronze/<folder>/<prefix>-YYYY-MM-DD_HH-MM-SS.parquet. A
// writer renames a file into place and registers it in the manifest under the lock file.
inline constexpr std::string_view kBronzeDir = "data/bronze";
inline constexpr std::string_view kBronzeLockFile = ".locks/bronze.lock";
// Silver Delta tables: data/silver/<domain>/<table>/.
inline constexpr std::string_view kSilverDir = "data/silver";

}  // namespace dlake::layout
