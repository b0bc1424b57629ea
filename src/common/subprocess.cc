#include "common/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace dlake {
namespace {

constexpr size_t kStderrKept = 8192;

class Pipe {
 public:
  ~Pipe() {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }
  bool Open() { return pipe2(fds_, O_CLOEXEC) == 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void CloseWriteEnd() {
    close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

}  // namespace

Result<ProcessOutcome> RunProcess(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& extra_environment) {
  if (argv.empty()) return InvalidArgument("no program to run");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // Ours, then the inherited variables we do not set (getenv takes the first of a name).
  std::vector<char*> env;
  env.reserve(extra_environment.size() + 1);
  for (const auto& e : extra_environment) env.push_back(const_cast<char*>(e.c_str()));
  auto overridden = [&](std::string_view entry) {
    std::string_view name = entry.substr(0, entry.find('='));
    return std::any_of(extra_environment.begin(), extra_environment.end(),
                       [&](const std::string& e) { return e.compare(0, e.find('='), name) == 0; });
  };
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden(*e)) env.push_back(*e);
  }
  env.push_back(nullptr);

  Pipe err;
  if (!err.Open()) return IoErrorFromErrno("cannot create a pipe for", argv[0], errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err.write_end(), STDERR_FILENO);
  pid_t pid = 0;
  // posix_spawnp: the program may be a bare name found on PATH.
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return NotFound("cannot start ", argv[0], ": ", std::strerror(rc));
  err.CloseWriteEnd();

  ProcessOutcome outcome;
  char buffer[4096];
  while (true) {
    ssize_t n = read(err.read_end(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    outcome.stderr_text.append(buffer, static_cast<size_t>(n));
    if (outcome.stderr_text.size() > 2 * kStderrKept) {
      outcome.stderr_text.erase(0, outcome.stderr_text.size() - kStderrKept);
    }
  }
  if (outcome.stderr_text.size() > kStderrKept) {
    outcome.stderr_text.erase(0, outcome.stderr_text.size() - kStderrKept);
  }
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return IoErrorFromErrno("cannot wait for", argv[0], errno);
  }
  if (WIFEXITED(wstatus)) outcome.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) outcome.signal = WTERMSIG(wstatus);
  return outcome;
}

}  // namespace dlake
