// A real PostgreSQL server for tests: initdb into a fresh directory, pg_ctl start on a free
// loopback port, trust authentication for the role `medic`. PostgreSQL refuses to run as
// root, so when the tests do (CI) it runs as the `postgres` user. Stopped (immediate) and
// removed on destruction. TestRecord() picks the backend a test's record lives on.
#pragma once

#include <string>

#include "tests/support/test_support.h"

namespace medic::testing {

class PostgresPeer {
 public:
  PostgresPeer() = default;
  ~PostgresPeer();
  PostgresPeer(const PostgresPeer&) = delete;
  PostgresPeer& operator=(const PostgresPeer&) = delete;

  /// initdb and start; "" or why not.
  std::string Start();
  /// A new empty database; returns its connection URI.
  std::string CreateDatabase();
  /// The URI of database `name` as role medic, over TCP on 127.0.0.1.
  std::string Uri(const std::string& name) const;
  int port() const { return port_; }
  /// pg_ctl stop -m immediate / start again on the same port and data.
  std::string Stop();
  std::string Restart();

 private:
  std::string PgCtl(const std::string& action);
  std::string dir_;  // data directory, also the socket directory
  std::string bin_;  // where initdb and pg_ctl live
  bool as_postgres_ = false;
  int port_ = 0;
  int databases_ = 0;
};

/// True when MEDIC_TEST_RECORD=postgres: the test binary runs against PostgreSQL (CTest's
/// `postgres` label).
bool TestingPostgres();

/// The record a test uses: the SQLite file `dir`/medic.db, or under TestingPostgres() a
/// fresh database on this binary's PostgreSQL (started on first use, stopped at exit).
/// An empty string (and a test failure) when PostgreSQL cannot start.
std::string TestRecord(const ScopedTempDir& dir);

/// The first column of the first row `sql` returns from the record `db` (a SQLite file or a
/// postgres:// URI), as text, read the way any other tool would; "" when there is none.
std::string QueryRecord(const std::string& db, const std::string& sql);
/// Runs `sql` on the record `db` outside medic (as an operator's hand edit would); "" or the
/// database's error.
std::string ExecRecord(const std::string& db, const std::string& sql);

}  // namespace medic::testing
