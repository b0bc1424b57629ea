#include "lakehouse/should_transform.h"

#include "dlake/common/time.h"

namespace dlake::lakehouse {

bool ShouldTransform(std::optional<int64_t> snapshot_ms, std::optional<int64_t> last_ended_ms,
                     TransformCheck check) {
  // The original proceeded on a missing metadata file and on any parse error; so do we.
  if (!snapshot_ms || !last_ended_ms) return true;
  if (check == TransformCheck::kDate) return DayOf(*snapshot_ms) > DayOf(*last_ended_ms);
  return *snapshot_ms > *last_ended_ms;
}

}  // namespace dlake::lakehouse
