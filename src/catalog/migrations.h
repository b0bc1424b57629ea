#pragma once
// The manifest's schema as numbered migrations: entry i upgrades user_version i to i+1.
// Append only; never edit a released migration. Documented in doc/manifest.md.

#include <string_view>
#include <vector>

namespace dlake::catalog {

const std::vector<std::string_view>& Migrations();

}  // namespace dlake::catalog
