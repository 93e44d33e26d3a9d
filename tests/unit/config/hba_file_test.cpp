// auth_hba_file / auth_ident_file: PgBouncer's pg_hba.conf subset (reference §3.4) — parsing,
// first-match-wins matching, and errors that name file and line.
#include "config/hba_file.hpp"

#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

HbaConnection tcp(std::string addr, std::string db, std::string user, bool tls = false) {
  HbaConnection c;
  c.address = std::move(addr);
  c.database = std::move(db);
  c.user = std::move(user);
  c.is_tls = tls;
  return c;
}

HbaConnection local(std::string db, std::string user) {
  HbaConnection c = tcp("", std::move(db), std::move(user));
  c.is_unix = true;
  return c;
}

// The line of the rule that matches, 0 for none.
int line_of(const HbaFile& f, const HbaConnection& c) {
  const HbaRule* r = f.match(c);
  return r ? r->line : 0;
}

TEST(HbaFile, first_matching_line_wins) {
  const HbaFile f = HbaFile::parse(
      "# comment\n"
      "local   all        all                       peer\n"
      "host    app        bob      10.0.0.0/8       reject\n"
      "host    app,stats  all      10.0.0.0/8       md5\n"
      "hostssl all        all      0.0.0.0/0        cert\n"
      "host    sameuser   all      192.168.1.0 255.255.255.0  scram-sha-256\n"
      "host    all        all      ::1/128          trust\n"
      "host    all        all      all              password  # the rest\n",
      "hba.conf");
  ASSERT_EQ(f.rules().size(), 7u);
  EXPECT_EQ(line_of(f, local("app", "bob")), 2);
  EXPECT_EQ(f.match(local("app", "bob"))->method, HbaMethod::Peer);
  EXPECT_EQ(line_of(f, tcp("10.1.2.3", "app", "bob")), 3);
  EXPECT_EQ(line_of(f, tcp("10.1.2.3", "app", "alice")), 4);
  EXPECT_EQ(line_of(f, tcp("10.1.2.3", "stats", "alice")), 4);
  EXPECT_EQ(line_of(f, tcp("10.1.2.3", "other", "alice", true)), 5);  // only over TLS
  EXPECT_EQ(line_of(f, tcp("10.1.2.3", "other", "alice")), 8);
  EXPECT_EQ(line_of(f, tcp("192.168.1.7", "carol", "carol")), 6);  // sameuser, address + mask
  EXPECT_EQ(line_of(f, tcp("192.168.1.7", "app", "carol")), 8);
  EXPECT_EQ(line_of(f, tcp("::1", "app", "carol")), 7);
  EXPECT_EQ(line_of(f, tcp("::ffff:10.9.9.9", "app", "x")), 4);  // IPv4-mapped client
  EXPECT_EQ(f.match(tcp("10.1.2.3", "other", "alice"))->method, HbaMethod::Password);
}

TEST(HbaFile, no_match_and_the_replication_keyword) {
  const HbaFile f = HbaFile::parse(
      "host all         all 127.0.0.1/32 trust\n"
      "host replication all 127.0.0.1/32 md5\n",
      "hba.conf");
  EXPECT_EQ(line_of(f, tcp("127.0.0.2", "app", "bob")), 0);
  EXPECT_EQ(line_of(f, local("app", "bob")), 0);
  HbaConnection repl = tcp("127.0.0.1", "app", "bob");
  repl.replication = true;
  EXPECT_EQ(line_of(f, repl), 2);  // "all" does not cover replication connections
  EXPECT_EQ(line_of(f, tcp("127.0.0.1", "replication", "bob")), 1);
}

TEST(HbaFile, quoted_names_are_literal_and_lists_may_have_spaces) {
  const HbaFile f = HbaFile::parse(
      "host \"all\" \"my user\", bob all md5\n"
      "host \"a,b\" all all trust\n",
      "hba.conf");
  EXPECT_EQ(line_of(f, tcp("1.2.3.4", "all", "my user")), 1);
  EXPECT_EQ(line_of(f, tcp("1.2.3.4", "all", "bob")), 1);
  EXPECT_EQ(line_of(f, tcp("1.2.3.4", "app", "bob")), 0);  // quoted "all" is a name
  EXPECT_EQ(line_of(f, tcp("1.2.3.4", "a,b", "x")), 2);
}

TEST(HbaFile, reads_names_from_at_files_next_to_it) {
  test::TempDir dir;
  dir.write("admins.txt", "# who may\nalice, bob\ncarol\n");
  dir.write("dbs.txt", "app stats\n");
  const std::string hba = dir.write("hba.conf", "host @dbs.txt @admins.txt all trust\n");
  const HbaFile f = HbaFile::load(hba);
  EXPECT_EQ(line_of(f, tcp("1.1.1.1", "stats", "carol")), 1);
  EXPECT_EQ(line_of(f, tcp("1.1.1.1", "app", "bob")), 1);
  EXPECT_EQ(line_of(f, tcp("1.1.1.1", "app", "dave")), 0);
  EXPECT_EQ(line_of(f, tcp("1.1.1.1", "other", "bob")), 0);
}

TEST(HbaFile, methods_name_the_auth_plugin_that_runs_them) {
  EXPECT_EQ(hba_method_auth_type(HbaMethod::Password), "plain");
  EXPECT_EQ(hba_method_auth_type(HbaMethod::ScramSha256), "scram-sha-256");
  EXPECT_EQ(hba_method_auth_type(HbaMethod::Md5), "md5");
  EXPECT_EQ(hba_method_auth_type(HbaMethod::Trust), "trust");
  EXPECT_EQ(hba_method_auth_type(HbaMethod::Reject), "");
  EXPECT_EQ(hba_method_auth_type(HbaMethod::Peer), "");
  EXPECT_EQ(hba_method_name(HbaMethod::Password), "password");
}

TEST(HbaFile, map_option_for_peer_and_cert) {
  const HbaFile f = HbaFile::parse("local all all peer map=ops\n", "hba.conf");
  EXPECT_EQ(f.rules()[0].map, "ops");
}

struct BadLine {
  const char* text;
  const char* message;
};

class HbaFileErrors : public ::testing::TestWithParam<BadLine> {};

TEST_P(HbaFileErrors, name_file_line_and_reason) {
  try {
    HbaFile::parse(std::string("host all all all trust\n") + GetParam().text + "\n",
                   "/etc/x/hba.conf");
    FAIL() << "accepted: " << GetParam().text;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "/etc/x/hba.conf");
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HbaFileErrors,
    ::testing::Values(BadLine{"hostgssenc all all all trust", "unsupported connection type"},
                      BadLine{"host all all example.com md5", "host names are not supported"},
                      BadLine{"host all all samenet md5", "\"samenet\" is not supported"},
                      BadLine{"host all all 10.0.0.0/33 md5", "invalid CIDR"},
                      BadLine{"host all all 10.0.0.0 md5", "needs a /prefix or a mask"},
                      BadLine{"host all all all gss", "unsupported authentication method"},
                      BadLine{"host all all all ident", "unsupported authentication method"},
                      BadLine{"host samerole all all md5", "\"samerole\" is not supported"},
                      BadLine{"host all +admins all md5", "group membership"},
                      BadLine{"host all all all peer", "only supported on local sockets"},
                      BadLine{"host all all all md5 map=x", "map= is only valid"},
                      BadLine{"host all all all md5 clientcert=1", "unsupported option"},
                      BadLine{"local all all", "line is too short"},
                      BadLine{"host \"app all all all md5", "unterminated quoted string"},
                      BadLine{"host @missing.txt all all md5", "cannot open @missing.txt"}));

TEST(IdentFile, maps_system_users_to_database_users) {
  const IdentFile f = IdentFile::parse(
      "# MAP  SYSTEM  DB\n"
      "ops    root    postgres\n"
      "ops    deploy  all\n",
      "ident.conf");
  EXPECT_TRUE(f.allows("ops", "root", "postgres"));
  EXPECT_FALSE(f.allows("ops", "root", "app"));
  EXPECT_TRUE(f.allows("ops", "deploy", "anything"));
  EXPECT_FALSE(f.allows("other", "root", "postgres"));
  EXPECT_THROW(IdentFile::parse("ops /^(.*)$ \\1\n", "ident.conf"), ConfigError);
  EXPECT_THROW(IdentFile::parse("ops root\n", "ident.conf"), ConfigError);
}

}  // namespace
}  // namespace sluice::config
