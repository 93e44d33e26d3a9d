// The shipped samples and docs stay in step with the parameter table.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/userlist.hpp"
#include "test_support.hpp"

namespace sluice::config {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kSource = SLUICE_SOURCE_DIR;

TEST(Samples, sample_ini_loads_and_is_a_working_minimal_setup) {
  Config c = load_config(kSource + "/configs/sluice.ini", test::fake_env());
  EXPECT_FALSE(c.databases().empty());
  EXPECT_FALSE(c.str("listen_addr").empty());
}

TEST(Samples, sample_ini_mentions_every_key) {
  std::string text = slurp(kSource + "/configs/sluice.ini");
  for (const ParamDef& def : param_table()) {
    std::string key(def.name);
    bool found = text.find("\n;" + key + " =") != std::string::npos ||
                 text.find("\n" + key + " =") != std::string::npos;
    EXPECT_TRUE(found) << key << " missing from configs/sluice.ini";
  }
}

TEST(Samples, configuration_doc_mentions_every_key) {
  std::string text = slurp(kSource + "/docs/configuration.md");
  for (const ParamDef& def : param_table()) {
    EXPECT_NE(text.find("`" + std::string(def.name) + "`"), std::string::npos)
        << def.name << " missing from docs/configuration.md";
  }
}

TEST(Samples, sample_userlist_parses) {
  Userlist u = load_userlist(kSource + "/configs/userlist.txt");
  EXPECT_FALSE(u.empty());
}

}  // namespace
}  // namespace sluice::config
