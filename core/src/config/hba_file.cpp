// pg_hba.conf / pg_ident.conf subset (PostgreSQL docs "The pg_hba.conf File" and "User Name
// Maps"; PgBouncer's hba.c supports: local/host/hostssl/hostnossl; all, sameuser, replication,
// @file and lists; CIDR, address+mask and all; trust, reject, md5, password, scram-sha-256, cert,
// peer; map=).
#include "config/hba_file.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config_error.hpp"

namespace sluice::config {

namespace {

constexpr const char* kKey = "auth_hba_file";

struct Token {
  std::string text;
  bool quoted = false;
};
using Field = std::vector<Token>;  // a comma-separated list

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Splits one line into fields; a field is a comma list whose items may be double-quoted (quotes
// keep spaces, commas and keywords literal; "" is a quote). '#' outside quotes starts a comment.
std::vector<Field> split_fields(std::string_view line, const std::string& file, int lineno,
                                const char* key) {
  std::vector<Field> fields;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < line.size() && is_space(line[i])) ++i;
  };
  for (;;) {
    skip_ws();
    if (i >= line.size() || line[i] == '#') break;
    Field field;
    for (;;) {
      Token t;
      while (i < line.size() && !is_space(line[i]) && line[i] != ',' && line[i] != '#') {
        if (line[i] == '"') {
          t.quoted = true;
          ++i;
          for (;;) {
            if (i >= line.size())
              throw ConfigError(file, lineno, key, "unterminated quoted string");
            if (line[i] == '"') {
              if (i + 1 < line.size() && line[i + 1] == '"') {
                t.text.push_back('"');
                i += 2;
                continue;
              }
              ++i;
              break;
            }
            t.text.push_back(line[i++]);
          }
        } else {
          t.text.push_back(line[i++]);
        }
      }
      field.push_back(std::move(t));
      if (i < line.size() && line[i] == ',') {
        ++i;
        skip_ws();  // "a, b" continues the list
        continue;
      }
      break;
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

std::string read_file(const std::string& path, const char* key) {
  std::ifstream in(path);
  if (!in)
    throw ConfigError(path, 0, "", std::string("cannot open ") + key + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Names from an @file: whitespace- or comma-separated, '#' comments, quotes as in the hba file.
void add_names_from(const std::string& hba_path, const std::string& name, const std::string& file,
                    int lineno, std::set<std::string, std::less<>>& out) {
  const std::string path =
      !name.empty() && name.front() == '/' ? name : dir_of(hba_path) + "/" + name;
  std::ifstream in(path);
  if (!in)
    throw ConfigError(file, lineno, kKey,
                      "cannot open @" + name + " (" + path + "): " + std::strerror(errno));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    for (const Field& f : split_fields(line, path, n, kKey))
      for (const Token& t : f) out.insert(t.text);
  }
}

// Parses an IPv4 or IPv6 address into 16 bytes (IPv4 in the first 4); 0 when it is not one.
// An IPv4-mapped IPv6 address ("::ffff:1.2.3.4") counts as IPv4, as the client it stands for.
int parse_address(const std::string& text, std::array<uint8_t, 16>& out) {
  out.fill(0);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    std::memcpy(out.data(), &v4, 4);
    return 4;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kMapped, 12) == 0) {
      std::memcpy(out.data(), v6.s6_addr + 12, 4);
      return 4;
    }
    std::memcpy(out.data(), v6.s6_addr, 16);
    return 6;
  }
  return 0;
}

void set_prefix_mask(std::array<uint8_t, 16>& mask, int bits) {
  mask.fill(0);
  for (int i = 0; i < bits; ++i)
    mask[static_cast<size_t>(i / 8)] |= static_cast<uint8_t>(0x80 >> (i % 8));
}

std::optional<HbaMethod> parse_method(std::string_view m) {
  if (m == "trust") return HbaMethod::Trust;
  if (m == "reject") return HbaMethod::Reject;
  if (m == "md5") return HbaMethod::Md5;
  if (m == "password") return HbaMethod::Password;
  if (m == "scram-sha-256") return HbaMethod::ScramSha256;
  if (m == "cert") return HbaMethod::Cert;
  if (m == "peer") return HbaMethod::Peer;
  return std::nullopt;
}

HbaRule parse_rule(const std::vector<Field>& fields, const std::string& path, int lineno) {
  auto error = [&](const std::string& msg) { return ConfigError(path, lineno, kKey, msg); };
  auto single = [&](const Field& f, const char* what) -> const Token& {
    if (f.size() != 1) throw error(std::string(what) + " cannot be a list");
    return f.front();
  };
  HbaRule r;
  r.line = lineno;
  const std::string& type = single(fields[0], "connection type").text;
  if (type == "local")
    r.type = HbaConnType::Local;
  else if (type == "host")
    r.type = HbaConnType::Host;
  else if (type == "hostssl")
    r.type = HbaConnType::HostSsl;
  else if (type == "hostnossl")
    r.type = HbaConnType::HostNoSsl;
  else
    throw error("unsupported connection type \"" + type + "\" (local, host, hostssl, hostnossl)");
  const size_t need = r.type == HbaConnType::Local ? 4 : 5;
  if (fields.size() < need)
    throw error("line is too short: expected " + std::to_string(need) + " fields");

  for (const Token& t : fields[1]) {
    if (!t.quoted && t.text == "all")
      r.db_all = true;
    else if (!t.quoted && t.text == "sameuser")
      r.db_sameuser = true;
    else if (!t.quoted && t.text == "replication")
      r.db_replication = true;
    else if (!t.quoted && (t.text == "samerole" || t.text == "samegroup"))
      throw error("\"" + t.text + "\" is not supported");
    else if (!t.quoted && t.text.starts_with("@"))
      add_names_from(path, t.text.substr(1), path, lineno, r.databases);
    else
      r.databases.insert(t.text);
  }
  for (const Token& t : fields[2]) {
    if (!t.quoted && t.text == "all")
      r.user_all = true;
    else if (!t.quoted && t.text.starts_with("+"))
      throw error("group membership (\"" + t.text + "\") is not supported");
    else if (!t.quoted && t.text.starts_with("@"))
      add_names_from(path, t.text.substr(1), path, lineno, r.users);
    else
      r.users.insert(t.text);
  }

  size_t next = 3;
  if (r.type != HbaConnType::Local) {
    const std::string addr = single(fields[3], "address").text;
    next = 4;
    if (addr == "all") {
      r.addr_all = true;
    } else if (addr == "samehost" || addr == "samenet") {
      throw error("\"" + addr + "\" is not supported");
    } else if (const size_t slash = addr.find('/'); slash != std::string::npos) {
      r.family = parse_address(addr.substr(0, slash), r.addr);
      int bits = -1;
      const std::string_view b = std::string_view(addr).substr(slash + 1);
      auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
      const int max_bits = r.family == 4 ? 32 : 128;
      if (r.family == 0 || ec != std::errc() || end != b.data() + b.size() || bits < 0 ||
          bits > max_bits)
        throw error("invalid CIDR address \"" + addr + "\"");
      set_prefix_mask(r.mask, bits);
    } else {
      r.family = parse_address(addr, r.addr);
      if (r.family == 0)
        throw error("host names are not supported (\"" + addr + "\"): use an address");
      // "ADDRESS MASK" in two fields.
      if (fields.size() < 6)
        throw error("address \"" + addr + "\" needs a /prefix or a mask field");
      const std::string mask_text = single(fields[4], "mask").text;
      if (parse_address(mask_text, r.mask) != r.family)
        throw error("invalid mask \"" + mask_text + "\"");
      next = 5;
    }
    for (size_t i = 0; i < r.addr.size(); ++i) r.addr[i] &= r.mask[i];
  }

  const std::string& method = single(fields[next], "method").text;
  auto m = parse_method(method);
  if (!m) throw error("unsupported authentication method \"" + method + "\"");
  r.method = *m;
  if (r.method == HbaMethod::Peer && r.type != HbaConnType::Local)
    throw error("peer authentication is only supported on local sockets");
  for (size_t i = next + 1; i < fields.size(); ++i) {
    const std::string& opt = single(fields[i], "option").text;
    const size_t eq = opt.find('=');
    if (eq == std::string::npos) throw error("option \"" + opt + "\" is not key=value");
    if (opt.substr(0, eq) != "map") throw error("unsupported option \"" + opt.substr(0, eq) + "\"");
    if (r.method != HbaMethod::Cert && r.method != HbaMethod::Peer)
      throw error("map= is only valid for cert and peer");
    r.map = opt.substr(eq + 1);
  }
  return r;
}

bool names_match(bool all, const std::set<std::string, std::less<>>& names, std::string_view name) {
  return all || names.contains(name);
}

}  // namespace

std::string_view hba_method_name(HbaMethod m) {
  switch (m) {
    case HbaMethod::Trust:
      return "trust";
    case HbaMethod::Reject:
      return "reject";
    case HbaMethod::Md5:
      return "md5";
    case HbaMethod::Password:
      return "password";
    case HbaMethod::ScramSha256:
      return "scram-sha-256";
    case HbaMethod::Cert:
      return "cert";
    case HbaMethod::Peer:
      return "peer";
  }
  return "";
}

std::string_view hba_method_auth_type(HbaMethod m) {
  if (m == HbaMethod::Reject || m == HbaMethod::Peer) return "";  // decided by the daemon
  if (m == HbaMethod::Password) return "plain";                   // PgBouncer's name for it
  return hba_method_name(m);
}

HbaFile HbaFile::load(const std::string& path) {
  return parse(read_file(path, kKey), path);
}

HbaFile HbaFile::parse(std::string_view text, const std::string& path) {
  HbaFile f;
  f.path_ = path;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++lineno;
    const auto fields = split_fields(text.substr(pos, nl - pos), path, lineno, kKey);
    if (!fields.empty()) f.rules_.push_back(parse_rule(fields, path, lineno));
    pos = nl + 1;
  }
  return f;
}

const HbaRule* HbaFile::match(const HbaConnection& c) const {
  std::array<uint8_t, 16> client{};
  const int family = c.is_unix ? 0 : parse_address(c.address, client);
  for (const HbaRule& r : rules_) {
    switch (r.type) {
      case HbaConnType::Local:
        if (!c.is_unix) continue;
        break;
      case HbaConnType::Host:
        if (c.is_unix) continue;
        break;
      case HbaConnType::HostSsl:
        if (c.is_unix || !c.is_tls) continue;
        break;
      case HbaConnType::HostNoSsl:
        if (c.is_unix || c.is_tls) continue;
        break;
    }
    if (r.type != HbaConnType::Local && !r.addr_all) {
      if (family != r.family) continue;
      bool in = true;
      for (size_t i = 0; i < client.size(); ++i) in &= (client[i] & r.mask[i]) == r.addr[i];
      if (!in) continue;
    }
    // "replication" matches only replication connections, "all" only the others (as PostgreSQL).
    const bool db_ok = c.replication ? r.db_replication
                                     : (r.db_all || (r.db_sameuser && c.database == c.user) ||
                                        r.databases.contains(c.database));
    if (!db_ok || !names_match(r.user_all, r.users, c.user)) continue;
    return &r;
  }
  return nullptr;
}

IdentFile IdentFile::load(const std::string& path) {
  return parse(read_file(path, "auth_ident_file"), path);
}

IdentFile IdentFile::parse(std::string_view text, const std::string& path) {
  IdentFile f;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++lineno;
    const auto fields = split_fields(text.substr(pos, nl - pos), path, lineno, "auth_ident_file");
    pos = nl + 1;
    if (fields.empty()) continue;
    if (fields.size() != 3 || fields[0].size() != 1 || fields[1].size() != 1 ||
        fields[2].size() != 1)
      throw ConfigError(path, lineno, "auth_ident_file",
                        "expected \"MAPNAME SYSTEM-USER DATABASE-USER\"");
    if (fields[1][0].text.starts_with("/"))
      throw ConfigError(path, lineno, "auth_ident_file", "regular expressions are not supported");
    f.maps_[fields[0][0].text].emplace_back(fields[1][0].text, fields[2][0].text);
  }
  return f;
}

bool IdentFile::allows(std::string_view map, std::string_view system_user,
                       std::string_view database_user) const {
  auto it = maps_.find(map);
  if (it == maps_.end()) return false;
  return std::ranges::any_of(it->second, [&](const auto& entry) {
    return entry.first == system_user && (entry.second == "all" || entry.second == database_user);
  });
}

}  // namespace sluice::config
