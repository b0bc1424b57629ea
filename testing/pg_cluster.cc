#include "testing/pg_cluster.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace dlake::testing {
namespace {
namespace fs = std::filesystem;

constexpr char kDefaultBinDir[] = "/usr/lib/postgresql/15/bin";
constexpr char kPgConfig[] = "/usr/bin/pg_config";
constexpr char kSetpriv[] = "/usr/bin/setpriv";
constexpr char kRunuser[] = "/usr/sbin/runuser";
constexpr char kServerUser[] = "postgres";
// sun_path holds 108 bytes with the NUL; the longest name postgres puts there.
constexpr size_t kMaxSocketPath = 107;
constexpr char kLongestSocketName[] = "/.s.PGSQL.65535.lock";
constexpr char kFolderPattern[] = "/dlake-pg-XXXXXX";
constexpr auto kKillTimeout = std::chrono::seconds(30);

// ---- Child processes ----

struct CommandOutput {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Closes a descriptor on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string ReadAll(int fd) {
  std::string out;
  if (::lseek(fd, 0, SEEK_SET) != 0) return out;
  char buf[65536];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// The command as one line for error messages, long arguments (SQL) shortened.
std::string Describe(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& arg : command) {
    if (!out.empty()) out += ' ';
    std::string shown = arg.size() > 200 ? arg.substr(0, 200) + "..." : arg;
    out += shown.find(' ') == std::string::npos && !shown.empty() ? shown : "'" + shown + "'";
  }
  return out;
}

// This process's environment without the PG* variables (a PGHOST or PGOPTIONS of the caller
// must not reach the cluster), in the C locale so that messages are in English, with UTF8 as
// psql's client encoding.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("PG") || entry.starts_with("LC_") || entry.starts_with("LANG")) continue;
    env.emplace_back(entry);
  }
  env.emplace_back("LC_ALL=C");
  env.emplace_back("PGCLIENTENCODING=UTF8");
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The spawned program's attributes: no blocked signals, and the default action for those a test
// process may have changed (an ignored SIGPIPE or SIGXFSZ would survive exec).
void InitSpawnAttributes(posix_spawnattr_t* attributes) {
  posix_spawnattr_init(attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(attributes, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGXFSZ, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(attributes, &defaults);
  posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

// Runs `command` (an absolute path first) in `cwd` with stdin from /dev/null and waits for it.
// posix_spawn rather than fork: see tests/process_test_util.cc (fork in a process that has used
// DuckDB aborts under ThreadSanitizer). Output goes to memory files rather than pipes, so that
// nothing blocks on a daemon (the postmaster) that might keep them open.
Result<CommandOutput> RunCommand(std::vector<std::string> command, const std::string& cwd) {
  Fd out(::memfd_create("pg-stdout", MFD_CLOEXEC));
  Fd err(::memfd_create("pg-stderr", MFD_CLOEXEC));
  if (out.get() < 0 || err.get() < 0) return IoErrorFromErrno("cannot make", "memfd", errno);
  std::vector<char*> argv = Pointers(command);
  std::vector<std::string> env_strings = ChildEnvironment();
  std::vector<char*> envp = Pointers(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.get(), 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attributes;
  InitSpawnAttributes(&attributes);
  pid_t pid = -1;
  const int error = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return IoErrorFromErrno("cannot run", Describe(command), error);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return IoErrorFromErrno("cannot wait for", Describe(command), errno);
  }
  CommandOutput result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = ReadAll(out.get());
  result.err = ReadAll(err.get());
  return result;
}

std::string TrimTrailingNewlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// Runs `command` and fails unless it exits with 0; the error names the command and holds its
// stderr (or its stdout when stderr is empty). Returns stdout.
Result<std::string> RunChecked(std::vector<std::string> command, const std::string& cwd) {
  const std::string described = Describe(command);
  DLAKE_ASSIGN_OR_RETURN(CommandOutput output, RunCommand(std::move(command), cwd));
  if (output.exit_code == 0) return std::move(output.out);
  const std::string how = output.signal != 0
                              ? "was killed by signal " + std::to_string(output.signal)
                              : "exited with code " + std::to_string(output.exit_code);
  const std::string said = TrimTrailingNewlines(output.err.empty() ? output.out : output.err);
  return Internal("`", described, "` ", how, said.empty() ? "" : ": ", said);
}

// ---- Setup ----

bool IsExecutable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

Result<std::string> FindBinDir(const std::string& configured) {
  if (!configured.empty()) {
    if (IsExecutable(configured + "/initdb")) return configured;
    return NotFound("no PostgreSQL programs in '", configured, "': initdb is missing");
  }
  if (IsExecutable(std::string(kDefaultBinDir) + "/initdb")) return std::string(kDefaultBinDir);
  if (IsExecutable(kPgConfig)) {
    DLAKE_ASSIGN_OR_RETURN(std::string out, RunChecked({kPgConfig, "--bindir"}, ""));
    std::string dir = TrimTrailingNewlines(out);
    if (IsExecutable(dir + "/initdb")) return dir;
  }
  return NotFound("no PostgreSQL server programs: neither ", kDefaultBinDir,
                  "/initdb nor pg_config's bindir has initdb (install the postgresql package: "
                  "scripts/setup.sh)");
}

// Can a user who is neither the owner nor in the group enter `path`?
bool OthersCanEnter(const fs::path& path) {
  for (fs::path dir = path; !dir.empty(); dir = dir.parent_path()) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) return false;
    if (dir == dir.root_path()) break;
  }
  return true;
}

std::string ChooseBaseDir(const PgClusterOptions& options, bool as_root) {
  if (!options.base_dir.empty()) return options.base_dir;
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir == nullptr || *tmpdir == '\0') return "/tmp";
  std::string base = fs::absolute(tmpdir).string();
  const size_t longest =
      base.size() + std::strlen(kFolderPattern) + std::strlen(kLongestSocketName);
  if (longest > kMaxSocketPath || (as_root && !OthersCanEnter(base))) return "/tmp";
  return base;
}

// The port: the socket lives in the cluster's own folder, so any number is free there; one per
// process and cluster keeps the shared memory keys postgres derives from it apart.
int ChoosePort(int configured) {
  static std::atomic<int> started{0};
  if (configured != 0) return configured;
  return 20000 + static_cast<int>(::getpid() % 4000) * 10 + started.fetch_add(1) % 10;
}

// "setpriv --reuid=... --" (or runuser) to run programs as the postgres user, when root.
Result<std::vector<std::string>> ServerUserPrefix(uid_t* uid, gid_t* gid) {
  std::vector<char> buf(16384);
  struct passwd entry;
  struct passwd* found = nullptr;
  ::getpwnam_r(kServerUser, &entry, buf.data(), buf.size(), &found);
  if (found == nullptr) {
    return FailedPrecondition("running as root, and there is no '", kServerUser,
                              "' user to run initdb and postgres as (the postgresql package "
                              "makes it)");
  }
  *uid = found->pw_uid;
  *gid = found->pw_gid;
  if (IsExecutable(kSetpriv)) {
    return std::vector<std::string>{kSetpriv, "--reuid=" + std::to_string(*uid),
                                    "--regid=" + std::to_string(*gid), "--init-groups", "--"};
  }
  if (IsExecutable(kRunuser)) return std::vector<std::string>{kRunuser, "-u", kServerUser, "--"};
  return FailedPrecondition("running as root, and neither ", kSetpriv, " nor ", kRunuser,
                            " is there to run initdb and postgres as '", kServerUser, "'");
}

// A postgresql.conf string value.
std::string ConfValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

Status AppendSettings(const std::string& conf,
                      const std::vector<std::pair<std::string, std::string>>& settings) {
  std::ofstream out(conf, std::ios::app);
  out << "\n# dlake::testing::PgCluster\n";
  for (const auto& [name, value] : settings) out << name << " = " << ConfValue(value) << "\n";
  out.close();
  if (!out) return IoError("cannot append the test settings to '", conf, "'");
  return Status::Ok();
}

std::string FileTail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > bytes ? "..." + all.substr(all.size() - bytes) : all;
}

// ---- Processes of a killed server ----

// False when `pid` is gone or a zombie (this machine's init may never reap a dead postmaster).
bool IsLive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

// Live processes whose working folder is `dir`: every server process sits in its data folder,
// and after the postmaster dies they are no longer its children.
std::vector<pid_t> ProcessesIn(const fs::path& dir) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc", ec); it != fs::directory_iterator();
       it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_error;
    if (fs::read_symlink(entry.path() / "cwd", link_error) == dir && !link_error) {
      out.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<PgCluster>> PgCluster::Start(PgClusterOptions options) {
  auto cluster = std::unique_ptr<PgCluster>(new PgCluster());
  DLAKE_ASSIGN_OR_RETURN(cluster->bin_dir_, FindBinDir(options.bin_dir));
  const bool as_root = ::geteuid() == 0;
  uid_t uid = 0;
  gid_t gid = 0;
  if (as_root) {
    DLAKE_ASSIGN_OR_RETURN(cluster->server_user_prefix_, ServerUserPrefix(&uid, &gid));
  }

  const std::string base = ChooseBaseDir(options, as_root);
  std::string pattern = base + kFolderPattern;
  if (::mkdtemp(pattern.data()) == nullptr) {
    return IoErrorFromErrno("cannot make the cluster's folder in", base, errno);
  }
  cluster->root_ = pattern;  // from here on the destructor removes it
  cluster->port_ = ChoosePort(options.port);
  const std::string socket = cluster->root_ + "/.s.PGSQL." + std::to_string(cluster->port_);
  if (socket.size() + std::strlen(".lock") > kMaxSocketPath) {
    return InvalidArgument("the socket path '", socket, "' is too long for a unix socket; use a ",
                           "shorter base_dir");
  }
  if (as_root && ::chown(cluster->root_.c_str(), uid, gid) != 0) {
    return IoErrorFromErrno("cannot give the postgres user", cluster->root_, errno);
  }

  DLAKE_RETURN_IF_ERROR(RunChecked(
      cluster->AsServerUser({cluster->bin_dir_ + "/initdb", "-D", cluster->data_dir(), "-A",
                             "trust", "--no-sync", "-U", "postgres", "-E", "UTF8", "--locale=C"}),
      cluster->root_));
  std::vector<std::pair<std::string, std::string>> settings = {
      {"listen_addresses", ""},
      {"unix_socket_directories", cluster->root_},
      {"port", std::to_string(cluster->port_)},
      {"fsync", "off"},
      {"full_page_writes", "off"},
      {"shared_buffers", "32MB"},
      {"max_connections", "30"},
      {"timezone", "UTC"},
      {"log_timezone", "UTC"}};
  settings.insert(settings.end(), options.settings.begin(), options.settings.end());
  DLAKE_RETURN_IF_ERROR(AppendSettings(cluster->data_dir() + "/postgresql.conf", settings));
  DLAKE_RETURN_IF_ERROR(cluster->StartServer());
  return cluster;
}

PgCluster::~PgCluster() {
  if (running_) {
    const Status stopped = Stop();
    if (!stopped.ok()) {
      std::fprintf(stderr, "PgCluster: %s; killing the server\n", stopped.ToString().c_str());
      const Status killed = Kill();
      if (!killed.ok()) std::fprintf(stderr, "PgCluster: %s\n", killed.ToString().c_str());
    }
  }
  if (root_.empty()) return;
  std::error_code ec;
  fs::remove_all(root_, ec);
  if (ec)
    std::fprintf(stderr, "PgCluster: cannot remove %s: %s\n", root_.c_str(), ec.message().c_str());
}

std::string PgCluster::conninfo(const std::string& dbname) const {
  // libpq quotes values with single quotes and escapes ' and \ with a backslash.
  auto quoted = [](const std::string& value) {
    if (!value.empty() && value.find_first_of(" '\\") == std::string::npos) return value;
    std::string out = "'";
    for (char c : value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  return "host=" + quoted(root_) + " port=" + std::to_string(port_) +
         " user=postgres dbname=" + quoted(dbname);
}

Status PgCluster::CreateDatabase(const std::string& name) const {
  std::vector<std::string> command = ClientCommand("createdb");
  command.insert(command.end(), {"--", name});
  return RunChecked(std::move(command), root_).status();
}

Result<std::string> PgCluster::Psql(const std::string& dbname, const std::string& sql) const {
  std::vector<std::string> command = PsqlCommand(dbname);
  command.insert(command.end(), {"-c", sql});
  DLAKE_ASSIGN_OR_RETURN(std::string out, RunChecked(std::move(command), root_));
  return TrimTrailingNewlines(std::move(out));
}

Status PgCluster::PsqlFile(const std::string& dbname, const std::string& path) const {
  std::vector<std::string> command = PsqlCommand(dbname);
  command.insert(command.end(), {"-f", path});
  return RunChecked(std::move(command), root_).status();
}

Status PgCluster::Stop() {
  if (!running_) return Status::Ok();
  DLAKE_RETURN_IF_ERROR(RunChecked(
      AsServerUser({bin_dir_ + "/pg_ctl", "-w", "-D", data_dir(), "-m", "fast", "stop"}), root_));
  running_ = false;
  return Status::Ok();
}

Status PgCluster::Kill() {
  if (!running_) return FailedPrecondition("the server of '", data_dir(), "' is not running");
  const pid_t postmaster = PostmasterPid();
  if (postmaster <= 0) return Internal("no postmaster pid in '", data_dir(), "/postmaster.pid'");
  if (::kill(postmaster, SIGKILL) != 0 && errno != ESRCH) {
    return IoErrorFromErrno("cannot SIGKILL the postmaster of", data_dir(), errno);
  }
  running_ = false;
  std::error_code ec;
  const fs::path data = fs::canonical(data_dir(), ec);
  const auto deadline = std::chrono::steady_clock::now() + kKillTimeout;
  while (true) {
    const std::vector<pid_t> left = ProcessesIn(data);
    if (left.empty() && !IsLive(postmaster)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return Internal(left.size(), " server processes of '", data_dir(),
                      "' still run 30 s after the postmaster was killed");
    }
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  fs::remove(data_dir() + "/postmaster.pid", ec);
  fs::remove(root_ + "/.s.PGSQL." + std::to_string(port_) + ".lock", ec);
  return Status::Ok();
}

Status PgCluster::Restart() {
  DLAKE_RETURN_IF_ERROR(Stop());
  return StartServer();
}

Status PgCluster::StartServer() {
  Status started = RunChecked(AsServerUser({bin_dir_ + "/pg_ctl", "-w", "-t", "60", "-D",
                                            data_dir(), "-l", log_path(), "start"}),
                              root_)
                       .status();
  if (!started.ok()) {
    return Status(started.code(),
                  started.message() + "; the server log ends with:\n" + FileTail(log_path(), 2000));
  }
  running_ = true;
  return Status::Ok();
}

std::vector<std::string> PgCluster::AsServerUser(std::vector<std::string> command) const {
  if (server_user_prefix_.empty()) return command;
  std::vector<std::string> out = server_user_prefix_;
  out.insert(out.end(), command.begin(), command.end());
  return out;
}

std::vector<std::string> PgCluster::ClientCommand(const std::string& program) const {
  return {bin_dir_ + "/" + program, "-h", root_, "-p", std::to_string(port_), "-U", "postgres"};
}

std::vector<std::string> PgCluster::PsqlCommand(const std::string& dbname) const {
  std::vector<std::string> command = ClientCommand("psql");
  // No psqlrc, no chatter, unaligned rows without headers, the first error ends the run.
  command.insert(command.end(), {"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dbname});
  return command;
}

pid_t PgCluster::PostmasterPid() const {
  std::ifstream in(data_dir() + "/postmaster.pid");
  long pid = -1;
  if (!(in >> pid)) return -1;
  return static_cast<pid_t>(pid);
}

}  // namespace dlake::testing
