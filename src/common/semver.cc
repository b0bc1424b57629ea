#include "dlake/common/semver.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dlake {
namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsIdentifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  for (size_t dot; (dot = s.find('.', begin)) != std::string_view::npos; begin = dot + 1) {
    parts.push_back(s.substr(begin, dot - begin));
  }
  parts.push_back(s.substr(begin));
  return parts;
}

Status Invalid(std::string_view text, std::string_view why) {
  return InvalidArgument("invalid version '", text, "': ", why,
                         " (expected a semantic version MAJOR.MINOR.PATCH such as 1.0.0 or "
                         "2.1.0-rc.1)");
}

std::strong_ordering CompareIdentifiers(const std::string& a, const std::string& b) {
  const bool a_num = IsDigits(a), b_num = IsDigits(b);
  if (a_num && b_num) {
    if (a.size() != b.size()) return a.size() <=> b.size();  // no leading zeros: longer is larger
    return a <=> b;
  }
  if (a_num != b_num) return a_num ? std::strong_ordering::less : std::strong_ordering::greater;
  return a <=> b;
}

}  // namespace

Result<SemVer> SemVer::Parse(std::string_view text) {
  SemVer v;
  std::string_view rest = text;
  if (auto plus = rest.find('+'); plus != std::string_view::npos) {
    v.build = std::string(rest.substr(plus + 1));
    rest = rest.substr(0, plus);
    for (auto id : SplitDots(v.build)) {
      if (!IsIdentifier(id)) return Invalid(text, "empty or invalid build identifier");
    }
  }
  std::string_view core = rest;
  if (auto dash = rest.find('-'); dash != std::string_view::npos) {
    core = rest.substr(0, dash);
    for (auto id : SplitDots(rest.substr(dash + 1))) {
      if (!IsIdentifier(id)) return Invalid(text, "empty or invalid prerelease identifier");
      if (IsDigits(id) && id.size() > 1 && id[0] == '0') {
        return Invalid(text, "numeric prerelease identifier with a leading zero");
      }
      v.prerelease.emplace_back(id);
    }
  }
  auto numbers = SplitDots(core);
  if (numbers.size() != 3) return Invalid(text, "MAJOR.MINOR.PATCH needs three numbers");
  uint64_t* fields[] = {&v.major, &v.minor, &v.patch};
  for (size_t i = 0; i < 3; ++i) {
    std::string_view n = numbers[i];
    if (!IsDigits(n)) return Invalid(text, "'" + std::string(n) + "' is not a number");
    if (n.size() > 1 && n[0] == '0') return Invalid(text, "a number has a leading zero");
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), *fields[i]);
    if (ec != std::errc() || end != n.data() + n.size()) return Invalid(text, "number too large");
  }
  return v;
}

std::string SemVer::ToString() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (size_t i = 0; i < prerelease.size(); ++i) s += (i ? "." : "-") + prerelease[i];
  if (!build.empty()) s += "+" + build;
  return s;
}

SemVer SemVer::NextPatch() const {
  SemVer next{major, minor, patch + 1, {}, {}};
  return next;
}

std::strong_ordering operator<=>(const SemVer& a, const SemVer& b) {
  if (auto c = a.major <=> b.major; std::is_neq(c)) return c;
  if (auto c = a.minor <=> b.minor; std::is_neq(c)) return c;
  if (auto c = a.patch <=> b.patch; std::is_neq(c)) return c;
  if (a.prerelease.empty() != b.prerelease.empty()) {
    return a.prerelease.empty() ? std::strong_ordering::greater : std::strong_ordering::less;
  }
  const size_t shared = std::min(a.prerelease.size(), b.prerelease.size());
  for (size_t i = 0; i < shared; ++i) {
    if (auto c = CompareIdentifiers(a.prerelease[i], b.prerelease[i]); std::is_neq(c)) return c;
  }
  return a.prerelease.size() <=> b.prerelease.size();
}

bool operator==(const SemVer& a, const SemVer& b) { return std::is_eq(a <=> b); }

}  // namespace dlake
