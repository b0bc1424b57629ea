#include "delta/transaction.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "delta/checkpoint.h"
#include "delta/log_files.h"

namespace dlake::delta {
namespace {

constexpr const char* kEngineInfo = "dlake-delta/1.0";

std::string WinnerName(const std::vector<Action>& actions, int64_t version) {
  for (const auto& action : actions) {
    if (const auto* info = std::get_if<CommitInfo>(&action)) {
      if (info->value.contains("operation") && info->value["operation"].is_string()) {
        return "a concurrent " + info->value["operation"].get<std::string>() + " (version " +
               std::to_string(version) + ")";
      }
    }
  }
  return "a concurrent commit (version " + std::to_string(version) + ")";
}

// Delta's logical conflict rules for one winning commit against this transaction.
Status CheckConflicts(const Snapshot& read, const PendingCommit& pending,
                      const std::vector<Action>& winner, int64_t version) {
  std::set<std::string> our_removes;
  std::set<std::string> our_apps;
  for (const auto& action : pending.actions) {
    if (const auto* remove = std::get_if<RemoveFile>(&action)) our_removes.insert(remove->path);
    if (const auto* txn = std::get_if<Txn>(&action)) our_apps.insert(txn->app_id);
  }
  std::set<std::string> read_files;
  if (pending.reads_data) {
    for (const auto& file : read.files) {
      if (MayContainMatches(file, read.schema, read.metadata.partition_columns,
                            pending.read_predicates)) {
        read_files.insert(file.path);
      }
    }
  }
  const std::string who = WinnerName(winner, version);
  const std::string what = pending.operation;
  for (const auto& action : winner) {
    if (std::holds_alternative<Protocol>(action)) {
      return Aborted(who, " changed the table's protocol; ", what, " must be retried");
    }
    if (std::holds_alternative<Metadata>(action)) {
      return Aborted(who, " changed the table's metadata (schema or properties); ", what,
                     " must be retried");
    }
    if (const auto* txn = std::get_if<Txn>(&action); txn && our_apps.count(txn->app_id)) {
      return Aborted(who, " committed for the same application id '", txn->app_id, "'");
    }
    if (const auto* remove = std::get_if<RemoveFile>(&action)) {
      if (our_removes.count(remove->path)) {
        return Aborted(who, " already removed '", remove->path, "', which this ", what,
                       " also removes");
      }
      if (read_files.count(remove->path)) {
        return Aborted(who, " removed '", remove->path, "', which this ", what, " read");
      }
    }
    if (const auto* add = std::get_if<AddFile>(&action);
        add && pending.reads_data && add->data_change) {
      if (MayContainMatches(*add, read.schema, read.metadata.partition_columns,
                            pending.read_predicates)) {
        return Aborted(who, " added '", add->path, "' with rows this ", what, " should have read");
      }
    }
  }
  return Status::Ok();
}

bool IsBlindAppend(const PendingCommit& pending) {
  if (pending.reads_data) return false;
  for (const auto& action : pending.actions) {
    if (std::holds_alternative<RemoveFile>(action)) return false;
  }
  return true;
}

int64_t CheckpointInterval(const Snapshot& read, const PendingCommit& pending) {
  std::string text = read.Config("delta.checkpointInterval", "10");
  for (const auto& action : pending.actions) {
    if (const auto* metadata = std::get_if<Metadata>(&action)) {
      auto it = metadata->configuration.find("delta.checkpointInterval");
      text = it == metadata->configuration.end() ? "10" : it->second;
    }
  }
  try {
    int64_t interval = std::stoll(text);
    return interval > 0 ? interval : 10;
  } catch (...) {
    return 10;
  }
}

}  // namespace

Result<CommitOutcome> Commit(TableContext& ctx, const Snapshot& read, PendingCommit pending) {
  CommitOutcome outcome;
  int64_t version = read.version + 1;
  const int max_attempts = std::max(1, ctx.options.max_commit_attempts);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    outcome.attempts = attempt;
    int64_t timestamp = ctx.env->NowMs();
    if (version > 0) {
      auto previous = FileMtimeMs(CommitPath(ctx.root, version - 1));
      if (previous.ok()) timestamp = std::max(timestamp, *previous + 1);
    }
    nlohmann::json info = {{"timestamp", timestamp},
                           {"operation", pending.operation},
                           {"operationParameters", pending.parameters},
                           {"isolationLevel", "Serializable"},
                           {"isBlindAppend", IsBlindAppend(pending)},
                           {"operationMetrics", pending.metrics},
                           {"engineInfo", kEngineInfo}};
    if (read.version >= 0) info["readVersion"] = read.version;
    std::vector<Action> actions;
    actions.reserve(pending.actions.size() + 1);
    actions.emplace_back(CommitInfo{info});
    actions.insert(actions.end(), pending.actions.begin(), pending.actions.end());
    Status put =
        PutCommitIfAbsent(*ctx.env, ctx.root, version, SerializeCommit(actions), timestamp);
    if (put.ok()) {
      outcome.version = version;
      break;
    }
    if (put.code() != StatusCode::kAborted) return put;
    if (read.version < 0) {
      return AlreadyExists("'", ctx.root, "' already holds a Delta table (created concurrently)");
    }
    DLAKE_ASSIGN_OR_RETURN(auto listing, ListLog(ctx.root));
    DLAKE_ASSIGN_OR_RETURN(int64_t latest, LatestVersion(listing));
    for (int64_t v = version; v <= latest; ++v) {
      DLAKE_ASSIGN_OR_RETURN(auto winner, ReadCommit(ctx.root, v));
      DLAKE_RETURN_IF_ERROR(
          CheckConflicts(read, pending, winner, v).WithContext("commit to '" + ctx.root + "'"));
    }
    version = latest + 1;
  }
  if (outcome.version < 0) {
    return Aborted("gave up committing ", pending.operation, " to '", ctx.root, "' after ",
                   max_attempts, " attempts: other writers kept committing first");
  }
  if (outcome.version > 0 && outcome.version % CheckpointInterval(read, pending) == 0) {
    Status checkpoint = WriteSnapshotCheckpoint(ctx, outcome.version);
    if (!checkpoint.ok()) {
      spdlog::warn("version {} of '{}' is committed, but its checkpoint failed: {}",
                   outcome.version, ctx.root, checkpoint.ToString());
    }
  }
  return outcome;
}

int64_t DeletedFileRetentionMs(const Snapshot& snapshot) {
  auto hours = ParseIntervalHours(snapshot.Config("delta.deletedFileRetentionDuration"));
  return static_cast<int64_t>(hours.value_or(168.0) * 3600.0 * 1000.0);
}

Status WriteSnapshotCheckpoint(TableContext& ctx, int64_t version) {
  VersionSpec at;
  at.version = version;
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(*ctx.conn, ctx.root, at));
  const int64_t expired_before = ctx.env->NowMs() - DeletedFileRetentionMs(snapshot);
  std::vector<Action> state;
  for (auto& action : snapshot.StateActions()) {
    if (const auto* remove = std::get_if<RemoveFile>(&action)) {
      if (remove->deletion_timestamp && *remove->deletion_timestamp < expired_before) continue;
    }
    state.push_back(std::move(action));
  }
  return WriteCheckpoint(*ctx.conn, *ctx.env, ctx.root, version, state).status();
}

std::optional<double> ParseIntervalHours(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  double hours = 0;
  bool any = false;
  while (in >> word) {
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!any && word == "interval") continue;
    char* end = nullptr;
    double amount = std::strtod(word.c_str(), &end);
    if (end == word.c_str() || *end != '\0') return std::nullopt;
    std::string unit;
    if (!(in >> unit)) return std::nullopt;
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
    static const std::map<std::string, double> kHours = {{"week", 168.0},
                                                         {"day", 24.0},
                                                         {"hour", 1.0},
                                                         {"minute", 1.0 / 60},
                                                         {"second", 1.0 / 3600},
                                                         {"millisecond", 1.0 / 3600000},
                                                         {"microsecond", 1.0 / 3600000000.0}};
    auto it = kHours.find(unit);
    if (it == kHours.end()) return std::nullopt;
    hours += amount * it->second;
    any = true;
  }
  if (!any) return std::nullopt;
  return hours;
}

}  // namespace dlake::delta
