#include "dlake/runtime/runtime.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "common/file_util.h"
#include "common/lake_layout.h"
#include "runtime/runtime_impl.h"

namespace dlake {
namespace fs = std::filesystem;

namespace {

// "duckdb-<pid>" for the process's first runtime, "duckdb-<pid>-<n>" for later ones: verify
// tells a dead process's leftovers by the pid after "duckdb-".
std::string SpillFolderName() {
  static std::atomic<int> made{0};
  const int n = made.fetch_add(1);
  std::string name = "duckdb-" + std::to_string(::getpid());
  if (n > 0) name += "-" + std::to_string(n);
  return name;
}

std::string SystemTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

Result<std::string> AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::string out = fs::absolute(path, ec).lexically_normal().string();
  if (ec) return IoError("cannot resolve path '", path, "': ", ec.message());
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// Where DuckDB spills: the temp_directory setting, else a per-runtime folder in the lake's
// .tmp (the disk sized for terabytes) or in the system temp folder.
Status ChooseTempDirectory(Runtime::Impl& impl) {
  const std::string& configured = impl.settings.Text(setting::kTempDirectory);
  if (!configured.empty()) {
    impl.temp_directory = configured;
    return Status::Ok();
  }
  const std::string parent =
      impl.lake.empty() ? SystemTempDir() : JoinPath(impl.lake, layout::kTmpDir);
  // DuckDB creates only the last level of its temp directory, and only when it first spills.
  DLAKE_RETURN_IF_ERROR(impl.env->CreateDirs(parent));
  impl.temp_directory = JoinPath(parent, SpillFolderName());
  impl.owns_temp_directory = true;
  return Status::Ok();
}

}  // namespace

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() {
  // DuckDB removes its spill files on close; drop the emptied folder too.
  impl_->duck.reset();
  if (impl_->owns_temp_directory) {
    std::error_code ec;
    fs::remove_all(impl_->temp_directory, ec);
  }
}

Result<std::shared_ptr<Runtime>> Runtime::Make(const RuntimeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->env = options.env ? options.env : Env::Default();
  SettingsSources sources;
  if (!options.lake.empty()) {
    DLAKE_ASSIGN_OR_RETURN(impl->lake, AbsolutePath(options.lake));
    sources.file = JoinPath(impl->lake, layout::kSettingsFile);
  }
  sources.flags = options.flags;
  sources.read_environment = options.read_environment;
  DLAKE_ASSIGN_OR_RETURN(impl->settings, Settings::Resolve(sources));
  DLAKE_RETURN_IF_ERROR(ChooseTempDirectory(*impl));

  duck::DatabaseOptions duck_options;
  // Our sizes are powers of 1024; DuckDB reads "MB" as 10^6, so hand it KiB.
  duck_options.memory_limit = std::to_string(impl->settings.memory_limit_bytes() / 1024) + "KiB";
  duck_options.threads = impl->settings.threads();
  duck_options.temp_directory = impl->temp_directory;
  DLAKE_ASSIGN_OR_RETURN(impl->duck, duck::Database::Open("", duck_options));
  return std::shared_ptr<Runtime>(new Runtime(std::move(impl)));
}

const Settings& Runtime::settings() const { return impl_->settings; }
Env* Runtime::env() const { return impl_->env; }
const std::string& Runtime::lake() const { return impl_->lake; }
const std::string& Runtime::temp_directory() const { return impl_->temp_directory; }

}  // namespace dlake
