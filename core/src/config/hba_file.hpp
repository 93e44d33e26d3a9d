// auth_hba_file and auth_ident_file: PgBouncer's subset of PostgreSQL's pg_hba.conf and
// pg_ident.conf (reference §3.4), parsed once per (re)load and matched at every login.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

enum class HbaConnType { Local, Host, HostSsl, HostNoSsl };
enum class HbaMethod { Trust, Reject, Md5, Password, ScramSha256, Cert, Peer };

// The auth_type whose plugin runs a rule's method ("password" is PgBouncer's "plain"), or "" for
// the methods the daemon decides itself (reject, peer).
std::string_view hba_method_auth_type(HbaMethod m);
std::string_view hba_method_name(HbaMethod m);

struct HbaRule {
  int line = 0;
  HbaConnType type = HbaConnType::Host;
  // Database field: keywords, else names (from lists and @files).
  bool db_all = false, db_sameuser = false, db_replication = false;
  std::set<std::string, std::less<>> databases;
  bool user_all = false;
  std::set<std::string, std::less<>> users;
  // Address (host* only): all, or a network: family 4 or 6, address and mask in network order.
  bool addr_all = false;
  int family = 0;
  std::array<uint8_t, 16> addr{};
  std::array<uint8_t, 16> mask{};
  HbaMethod method = HbaMethod::Reject;
  std::string map;  // map= option (cert, peer): the auth_ident_file map to apply
};

// What a login brings to the match.
struct HbaConnection {
  bool is_unix = false;
  bool is_tls = false;
  bool replication = false;
  std::string address;  // textual IPv4/IPv6 address of a TCP client ("::ffff:a.b.c.d" works too)
  std::string database;
  std::string user;
};

class HbaFile {
 public:
  // Throws ConfigError "FILE:LINE: auth_hba_file: MESSAGE" for a line it cannot honour (unknown
  // record type, method or option, host names, samehost/samenet, +groups), or when the file (or an
  // @file) cannot be read.
  static HbaFile load(const std::string& path);
  static HbaFile parse(std::string_view text, const std::string& path);

  // The first rule that matches, or nullptr ("no authentication method is found").
  const HbaRule* match(const HbaConnection& c) const;
  const std::vector<HbaRule>& rules() const { return rules_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<HbaRule> rules_;
};

// auth_ident_file: "MAPNAME SYSTEM-USER DATABASE-USER" lines; DATABASE-USER may be "all". No
// regular expressions and no include directives (PgBouncer's subset).
class IdentFile {
 public:
  static IdentFile load(const std::string& path);
  static IdentFile parse(std::string_view text, const std::string& path);
  bool allows(std::string_view map, std::string_view system_user,
              std::string_view database_user) const;

 private:
  std::map<std::string, std::vector<std::pair<std::string, std::string>>, std::less<>> maps_;
};

}  // namespace sluice::config
