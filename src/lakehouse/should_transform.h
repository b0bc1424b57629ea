#pragma once
// Whether a silver table is built from a bronze snapshot (cryptolakehouse §2.1): only when the
// snapshot is newer than the table's last transform.

#include <cstdint>
#include <optional>

namespace dlake::lakehouse {

enum class TransformCheck {
  kDate,       // compare UTC calendar days: at most one transform per day
  kTimestamp,  // compare the full times
};

// True when the snapshot timed `snapshot_ms` (the time in its file name, UTC) is strictly
// greater than `last_ended_ms` (ended_at of the table's last transform), both truncated to the
// UTC day under kDate. No last transform, or a file name without a time, means transform.
bool ShouldTransform(std::optional<int64_t> snapshot_ms, std::optional<int64_t> last_ended_ms,
                     TransformCheck check);

}  // namespace dlake::lakehouse
