#pragma once
// A private PostgreSQL server for tests: a fresh cluster (initdb) in a temporary folder, reached
// only through a unix socket in that folder, run by the programs of the postgresql package.

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::testing {

struct PgClusterOptions {
  // The folder of initdb, pg_ctl, psql and createdb. Empty: /usr/lib/postgresql/15/bin when it
  // holds initdb, else `pg_config --bindir`. PATH is not searched (its initdb may be another).
  std::string bin_dir;
  // Where the cluster's temporary folder is made. Empty: $TMPDIR, or /tmp when $TMPDIR is unset,
  // too long for a socket path, or (when running as root) not enterable by the postgres user.
  std::string base_dir;
  // The port, which with no TCP listener only names the socket (.s.PGSQL.<port>). 0: one
  // derived from the process id, different for each cluster the process starts.
  int port = 0;
  // Settings (name, value) written to postgresql.conf after the defaults, which they override:
  // no TCP, the socket folder, fsync and full_page_writes off, shared_buffers 32MB,
  // max_connections 30, timezone UTC. synchronous_commit stays on, so that a commit that returned
  // survives Kill(): without fsync it costs a write(2), not a disk flush.
  std::vector<std::pair<std::string, std::string>> settings;
};

// A running PostgreSQL cluster owned by the test: the superuser `postgres` with trust
// authentication, UTF8, locale C. The destructor stops the server (fast shutdown, SIGKILL if
// that fails) and removes the folder.
//
// Run as root, initdb and postgres refuse to start, so they run as the `postgres` system user
// (through util-linux's setpriv), which then owns the folder; the client programs (psql,
// createdb) run as the calling user.
//
// Thread safety: the accessors, Psql, PsqlFile and CreateDatabase may be called from several
// threads at once; Stop, Kill and Restart must not run concurrently with anything else.
class PgCluster {
 public:
  // Makes the folder, runs initdb and starts the server (pg_ctl -w). Errors name the program
  // that failed and include its stderr (and the server log's end when the server did not start).
  static Result<std::unique_ptr<PgCluster>> Start(PgClusterOptions options = {});
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // A libpq connection string: "host=<socket_dir> port=<port> user=postgres dbname=<dbname>".
  std::string conninfo(const std::string& dbname = "postgres") const;
  // The folder holding the socket: the cluster's temporary folder.
  const std::string& socket_dir() const { return root_; }
  int port() const { return port_; }
  const std::string& bin_dir() const { return bin_dir_; }
  // The cluster's data folder (PGDATA), <socket_dir>/data.
  std::string data_dir() const { return root_ + "/data"; }
  // The server's log file, <socket_dir>/server.log.
  std::string log_path() const { return root_ + "/server.log"; }
  // True between a successful start and Stop or Kill.
  bool running() const { return running_; }

  // createdb `name`, owned by postgres.
  Status CreateDatabase(const std::string& name) const;
  // Runs `sql` (one or more statements) in `dbname` with psql -X -q -A -t -v ON_ERROR_STOP=1 and
  // returns its stdout without the final newline: unaligned rows, fields separated by '|'.
  Result<std::string> Psql(const std::string& dbname, const std::string& sql) const;
  // Runs the SQL script at `path` (a dump to restore, say) the same way.
  Status PsqlFile(const std::string& dbname, const std::string& path) const;

  // pg_ctl stop -m fast: the server ends its sessions and writes a checkpoint. Keeps the data
  // folder; a stopped cluster can be restarted. OK when the server is not running.
  Status Stop();
  // A crash: SIGKILLs the postmaster, then every server process left in the data folder, and
  // waits until they are gone. The lock files they leave (postmaster.pid and the socket's) are
  // removed, as a reboot would make them stale: this machine's init may never reap the dead
  // postmaster, and postgres takes a zombie's pid for a running server. Fails when not running.
  Status Kill();
  // Stops the server if it runs, then starts it (after Kill: with crash recovery).
  Status Restart();

 private:
  PgCluster() = default;
  // pg_ctl -w start, as the server user.
  Status StartServer();
  // `command` as the server user: setpriv in front of it when running as root.
  std::vector<std::string> AsServerUser(std::vector<std::string> command) const;
  // A client program of bin_dir_ with the socket, port and user.
  std::vector<std::string> ClientCommand(const std::string& program) const;
  // psql with the options of Psql and PsqlFile, connected to `dbname`.
  std::vector<std::string> PsqlCommand(const std::string& dbname) const;
  // The pid postmaster.pid names, or -1.
  pid_t PostmasterPid() const;

  std::string root_;
  std::string bin_dir_;
  int port_ = 0;
  // What runs a program as the postgres user ("setpriv ... --") when running as root; empty
  // otherwise.
  std::vector<std::string> server_user_prefix_;
  bool running_ = false;
};

}  // namespace dlake::testing
