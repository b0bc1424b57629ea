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

}  // namespace dlake::layout
