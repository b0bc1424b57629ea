#include "testing/pg_cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "testing/test_util.h"

namespace dlake::testing {
namespace {
namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

// One cluster for the whole binary: initdb is most of the time a test takes.
class PgClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = PgCluster::Start();
    ASSERT_THAT(started.status(), IsOk());
    cluster_ = std::move(started).value().release();
  }

  // The destructor stops the server and removes the folder, socket included.
  static void TearDownTestSuite() {
    if (cluster_ == nullptr) return;
    const std::string root = cluster_->socket_dir();
    delete cluster_;
    cluster_ = nullptr;
    EXPECT_FALSE(fs::exists(root)) << root;
  }

  // A test that failed halfway may have left the server down.
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    if (!cluster_->running()) {
      ASSERT_THAT(cluster_->Restart(), IsOk());
    }
  }

  static PgCluster& cluster() { return *cluster_; }

  // A table `t` of `rows` ints in a new database `dbname`.
  static void MakeTable(const std::string& dbname, int rows) {
    ASSERT_THAT(cluster().CreateDatabase(dbname), IsOk());
    ASSERT_THAT(
        cluster()
            .Psql(dbname, "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1, " +
                              std::to_string(rows) + ")")
            .status(),
        IsOk());
  }

  static std::string Count(const std::string& dbname) {
    auto count = cluster().Psql(dbname, "SELECT count(*) FROM t");
    EXPECT_THAT(count.status(), IsOk());
    return count.ok() ? *count : "";
  }

  static PgCluster* cluster_;
};

PgCluster* PgClusterTest::cluster_ = nullptr;

TEST_F(PgClusterTest, RunsSqlInANewDatabase) {
  ASSERT_THAT(cluster().CreateDatabase("round_trip"), IsOk());
  auto answer = cluster().Psql("round_trip",
                               "CREATE TABLE t(x int); INSERT INTO t VALUES (1), (2), (3); "
                               "SELECT count(*) FROM t");
  ASSERT_THAT(answer.status(), IsOk());
  EXPECT_EQ(*answer, "3");

  // Rows unaligned, fields split by '|', no header or footer; the server as promised.
  auto settings =
      cluster().Psql("round_trip",
                     "SELECT current_setting('server_version_num')::int / 10000, "
                     "current_setting('server_encoding'), current_setting('listen_addresses'), "
                     "current_setting('TimeZone'), current_user");
  ASSERT_THAT(settings.status(), IsOk());
  EXPECT_EQ(*settings, "15|UTF8||UTC|postgres");

  EXPECT_EQ(cluster().conninfo("round_trip"), "host=" + cluster().socket_dir() +
                                                  " port=" + std::to_string(cluster().port()) +
                                                  " user=postgres dbname=round_trip");
  EXPECT_TRUE(fs::exists(cluster().socket_dir() + "/.s.PGSQL." + std::to_string(cluster().port())));
  EXPECT_EQ(cluster().bin_dir(), "/usr/lib/postgresql/15/bin");
}

TEST_F(PgClusterTest, CommittedRowsSurviveKillAndRestart) {
  MakeTable("crash", 1000);
  ASSERT_THAT(cluster().Kill(), IsOk());
  EXPECT_FALSE(cluster().running());
  EXPECT_THAT(cluster().Psql("crash", "SELECT 1"),
              StatusIs(StatusCode::kInternal, HasSubstr("psql")));
  EXPECT_THAT(cluster().Kill(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("running")));

  ASSERT_THAT(cluster().Restart(), IsOk());
  EXPECT_THAT(ReadFile(cluster().log_path()), HasSubstr("automatic recovery in progress"));
  EXPECT_EQ(Count("crash"), "1000");
}

TEST_F(PgClusterTest, StopKeepsTheClusterAndRestartServesIt) {
  MakeTable("stopped", 10);
  auto table_file = cluster().Psql("stopped", "SELECT pg_relation_filepath('t')");
  ASSERT_THAT(table_file.status(), IsOk());
  const std::string data = cluster().data_dir();
  const std::string socket =
      cluster().socket_dir() + "/.s.PGSQL." + std::to_string(cluster().port());
  const auto before = ListFilesRecursive(data);

  ASSERT_THAT(cluster().Stop(), IsOk());
  EXPECT_FALSE(cluster().running());
  EXPECT_THAT(cluster().Stop(), IsOk()) << "a second Stop is a no-op";
  // Only what a running server owns goes: its pid file and socket.
  EXPECT_FALSE(fs::exists(data + "/postmaster.pid"));
  EXPECT_FALSE(fs::exists(socket));
  EXPECT_TRUE(fs::exists(cluster().log_path()));
  EXPECT_TRUE(fs::exists(data + "/" + *table_file));
  for (const auto& file : before) {
    // The shutdown checkpoint recycles WAL segments (renames them) as a running server does.
    if (file == "postmaster.pid" || file.starts_with("pg_wal/")) continue;
    EXPECT_TRUE(fs::exists(data + "/" + file)) << file << " was removed by Stop";
  }

  ASSERT_THAT(cluster().Restart(), IsOk());
  EXPECT_TRUE(fs::exists(socket));
  EXPECT_EQ(Count("stopped"), "10");
}

TEST_F(PgClusterTest, RestoresAScriptFile) {
  TempDir scripts;
  const std::string dump = scripts.Join("dump.sql");
  WriteFile(dump,
            "CREATE TABLE t(x int, name text);\n"
            "COPY t (x, name) FROM stdin;\n1\tzürich\n2\tbasel\n\\.\n");
  ASSERT_THAT(cluster().CreateDatabase("restored"), IsOk());
  ASSERT_THAT(cluster().PsqlFile("restored", dump), IsOk());
  EXPECT_EQ(Count("restored"), "2");
  auto name = cluster().Psql("restored", "SELECT name FROM t WHERE x = 1");
  ASSERT_THAT(name.status(), IsOk());
  EXPECT_EQ(*name, "zürich");
}

TEST_F(PgClusterTest, ErrorsNameTheProgramAndItsMessage) {
  EXPECT_THAT(cluster().Psql("postgres", "SELEC 1"),
              StatusIs(StatusCode::kInternal,
                       AllOf(HasSubstr("psql"), HasSubstr("SELEC 1"), HasSubstr("syntax error"))));
  // ON_ERROR_STOP: a script's statements after an error do not run.
  TempDir scripts;
  const std::string script = scripts.Join("fails.sql");
  WriteFile(script, "SELECT 1/0;\nCREATE TABLE after_error(x int);\n");
  EXPECT_THAT(cluster().PsqlFile("postgres", script),
              StatusIs(StatusCode::kInternal, HasSubstr("division by zero")));
  EXPECT_EQ(*cluster().Psql("postgres", "SELECT to_regclass('after_error') IS NULL"), "t");
  EXPECT_THAT(
      cluster().CreateDatabase("postgres"),
      StatusIs(StatusCode::kInternal, AllOf(HasSubstr("createdb"), HasSubstr("already exists"))));
  EXPECT_THAT(cluster().PsqlFile("postgres", "/nonexistent/dump.sql"),
              StatusIs(StatusCode::kInternal,
                       AllOf(HasSubstr("psql"), HasSubstr("No such file or directory"))));
  EXPECT_THAT(PgCluster::Start({.bin_dir = "/nonexistent"}),
              StatusIs(StatusCode::kNotFound, HasSubstr("/nonexistent")));
}

}  // namespace
}  // namespace dlake::testing
