#pragma once
// Semantic versions (semver.org 2.0.0): MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]. Feature set
// versions are these, compared by precedence, never as floats (1.10.0 > 1.9.0).

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake {

struct SemVer {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers after '-'
  std::string build;                    // after '+'; ignored by precedence

  // Parses the strict form: no leading zeros in numbers, no 'v' prefix, non-empty identifiers
  // of [0-9A-Za-z-]. InvalidArgument naming the text and what is wrong.
  static Result<SemVer> Parse(std::string_view text);

  std::string ToString() const;
  // The next patch version without prerelease or build ("1.2.3-rc.1" -> "1.2.4").
  SemVer NextPatch() const;
};

// Precedence: major, minor, patch numerically; a prerelease sorts before its release;
// prerelease identifiers compared one by one (numbers numerically and below alphanumerics,
// alphanumerics in ASCII order, a shorter list first when all shared ones are equal). Build
// metadata does not count: 1.0.0+a and 1.0.0+b are equivalent.
std::strong_ordering operator<=>(const SemVer& a, const SemVer& b);
bool operator==(const SemVer& a, const SemVer& b);

}  // namespace dlake
