#include "tests/support/postgres_peer.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

namespace medic::testing {
namespace {

// Debian installs the server under /usr/lib/postgresql/VERSION/bin, off PATH.
std::string ServerBinDir() {
  std::error_code ec;
  std::string best;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string bin = e.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/initdb") && bin > best) best = bin;
  }
  return best;
}

}  // namespace

PostgresPeer::~PostgresPeer() {
  if (dir_.empty()) return;
  if (port_) PgCtl("stop");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresPeer::PgCtl(const std::string& action) {
  std::vector<std::string> argv;
  if (as_postgres_) argv = {"runuser", "-u", "postgres", "--"};
  argv.push_back(bin_.empty() ? "pg_ctl" : bin_ + "/pg_ctl");
  argv.insert(argv.end(), {"-D", dir_ + "/data", "-w", "-t", "60"});
  if (action == "stop") {
    argv.insert(argv.end(), {"-m", "immediate", "stop"});
  } else {
    argv.insert(argv.end(), {"-l", dir_ + "/log", "-o",
                             "-p " + std::to_string(port_) + " -k " + dir_ +
                                 " -c listen_addresses=127.0.0.1 -c fsync=off"
                                 " -c max_connections=300 -c full_page_writes=off",
                             "start"});
  }
  CommandResult r = RunCommand(argv, "", {}, 90'000);
  if (r.exit_code != 0)
    return "pg_ctl " + action + " failed (" + std::to_string(r.exit_code) + "): " + r.err +
           r.out + ReadFile(dir_ + "/log");
  return "";
}

std::string PostgresPeer::Start() {
  bin_ = ServerBinDir();
  if (bin_.empty() && !HaveTool("initdb")) return "PostgreSQL is not installed (apt-get install postgresql)";
  as_postgres_ = geteuid() == 0;
  std::string tmpl = "/tmp/medic-pg-XXXXXX";
  if (!mkdtemp(tmpl.data())) return "mkdtemp failed";
  dir_ = tmpl;
  if (as_postgres_) {
    struct passwd* pw = getpwnam("postgres");
    if (!pw) return "running as root and there is no postgres user to run PostgreSQL as";
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return "cannot chown " + dir_;
  }
  std::vector<std::string> argv;
  if (as_postgres_) argv = {"runuser", "-u", "postgres", "--"};
  argv.push_back(bin_.empty() ? "initdb" : bin_ + "/initdb");
  argv.insert(argv.end(), {"-D", dir_ + "/data", "-U", "medic", "-A", "trust", "-E", "UTF8",
                           "--no-locale", "--no-sync"});
  CommandResult r = RunCommand(argv, "", {}, 120'000);
  if (r.exit_code != 0) return "initdb failed: " + r.err + r.out;
  port_ = FreePort();
  return PgCtl("start");
}

std::string PostgresPeer::Stop() { return PgCtl("stop"); }
std::string PostgresPeer::Restart() { return PgCtl("start"); }

std::string PostgresPeer::Uri(const std::string& name) const {
  return "postgres://medic@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

std::string PostgresPeer::CreateDatabase() {
  std::string name = "medic_" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  PGconn* c = PQconnectdb(Uri("postgres").c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* res = PQexec(c, ("CREATE DATABASE " + name).c_str());
    if (PQresultStatus(res) != PGRES_COMMAND_OK) error = PQresultErrorMessage(res);
    PQclear(res);
  }
  PQfinish(c);
  if (error.empty()) {
    // Tests read the record with SQL both databases run; SQLite's group_concat and
    // json_extract (of '$.key') are what PostgreSQL lacks.
    c = PQconnectdb(Uri(name).c_str());
    PGresult* res = PQexec(
        c,
        "CREATE FUNCTION medic_concat(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS "
        "$$ SELECT CASE WHEN a IS NULL THEN b ELSE a || ',' || b END $$;"
        "CREATE AGGREGATE group_concat(text) (SFUNC = medic_concat, STYPE = text);"
        "CREATE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE "
        "AS $$ SELECT doc::jsonb #>> string_to_array(substr(path, 3), '.') $$;");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) error = PQresultErrorMessage(res);
    PQclear(res);
    PQfinish(c);
  }
  if (!error.empty()) {
    ADD_FAILURE() << "CREATE DATABASE " << name << ": " << error;
    return "";
  }
  return Uri(name);
}

bool TestingPostgres() {
  const char* v = std::getenv("MEDIC_TEST_RECORD");
  return v && std::string(v) == "postgres";
}

std::string TestRecord(const ScopedTempDir& dir) {
  if (!TestingPostgres()) return dir.Join("medic.db");
  static std::unique_ptr<PostgresPeer> peer;
  static std::string failed;
  if (!peer && failed.empty()) {
    peer = std::make_unique<PostgresPeer>();
    failed = peer->Start();
    if (!failed.empty()) peer.reset();
  }
  if (!peer) {
    ADD_FAILURE() << "cannot start PostgreSQL: " << failed;
    return "";
  }
  return peer->CreateDatabase();
}

std::string QueryRecord(const std::string& db, const std::string& sql) {
  std::string out;
  if (db.rfind("postgres", 0) == 0) {
    PGconn* c = PQconnectdb(db.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
      out = PQgetvalue(r, 0, 0);
    PQclear(r);
    PQfinish(c);
    return out;
  }
  sqlite3* s = nullptr;
  if (sqlite3_open_v2(db.c_str(), &s, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(s);
    return "";
  }
  sqlite3_busy_timeout(s, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(s, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    out = text ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(st);
  sqlite3_close(s);
  return out;
}

std::string ExecRecord(const std::string& db, const std::string& sql) {
  std::string error;
  if (db.rfind("postgres", 0) == 0) {
    PGconn* c = PQconnectdb(db.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
      error = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return error;
  }
  sqlite3* s = nullptr;
  if (sqlite3_open(db.c_str(), &s) != SQLITE_OK) error = sqlite3_errmsg(s);
  char* err = nullptr;
  if (error.empty() && sqlite3_exec(s, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK)
    error = err ? err : "sqlite error";
  sqlite3_free(err);
  sqlite3_close(s);
  return error;
}

}  // namespace medic::testing
