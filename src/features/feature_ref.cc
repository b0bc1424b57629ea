// FeatureRef (dlake/features/features.h): "alpha" or "alpha@1.2.0".

#include "dlake/common/semver.h"
#include "dlake/features/features.h"

namespace dlake {

Result<FeatureRef> FeatureRef::Parse(std::string_view text) {
  FeatureRef ref;
  const size_t at = text.find('@');
  ref.feature_set = std::string(text.substr(0, at));
  DLAKE_RETURN_IF_ERROR(CheckFeatureSetName(ref.feature_set));
  if (at == std::string_view::npos) return ref;
  ref.version = std::string(text.substr(at + 1));
  DLAKE_RETURN_IF_ERROR(SemVer::Parse(ref.version).status());
  return ref;
}

Result<std::vector<FeatureRef>> FeatureRef::ParseList(std::string_view text) {
  std::vector<FeatureRef> refs;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    std::string_view item =
        text.substr(begin, comma == std::string_view::npos ? text.npos : comma - begin);
    if (item.empty()) {
      return InvalidArgument("invalid feature list '", text,
                             "': an empty item (use SET[@VERSION],...)");
    }
    DLAKE_ASSIGN_OR_RETURN(FeatureRef ref, Parse(item));
    refs.push_back(std::move(ref));
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return refs;
}

std::string FeatureRef::ToString() const {
  return version.empty() ? feature_set : feature_set + "@" + version;
}

}  // namespace dlake
