// Loads one tiny broken plugin per failure mode through load_plugins() and checks the refusal names
// the file, the field and both values; loads a good plugin and drives its hooks through the
// registry.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugin/loader.hpp"
#include "plugin/plugin_checks.hpp"
#include "sluice/abi.h"

namespace sluice::plugin {
namespace {

const std::string kDir = SLUICE_ABI_PLUGIN_DIR;

std::string path_of(const std::string& stem) {
  return kDir + "/" + stem + ".so";
}

// Plugins keep the host API for ever: one provider for the whole test process, never destroyed.
HostApiProvider& host() {
  static auto* provider = new HostApiProvider();
  return *provider;
}

// The PluginError message of loading `names`, or "" if it loaded.
std::string load_error(const std::vector<std::string>& names) {
  try {
    load_plugins(kDir, names, host());
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

TEST(Loader, refuses_missing_file) {
  EXPECT_EQ(load_error({"does_not_exist"}),
            "plugin " + path_of("does_not_exist") + ": file not found");
}

TEST(Loader, refuses_file_that_is_not_a_shared_object_with_dlerror_text) {
  const std::string err = load_error({"garbage"});
  EXPECT_EQ(err.rfind("plugin " + path_of("garbage") + ": dlopen failed: ", 0), 0u) << err;
  EXPECT_NE(err.find("garbage.so"), std::string::npos) << err;
  EXPECT_EQ(err.find("boost::dll"), std::string::npos) << err;
}

TEST(Loader, refuses_plugin_without_magic_symbol) {
  EXPECT_EQ(load_error({"no_magic"}),
            "plugin " + path_of("no_magic") + ": no magic: symbol sluice_plugin_magic not found");
}

TEST(Loader, refuses_plugin_without_init_symbol) {
  EXPECT_EQ(load_error({"no_init"}),
            "plugin " + path_of("no_init") + ": no init: symbol sluice_plugin_init not found");
}

TEST(Loader, refuses_other_abi_major_naming_both_values) {
  EXPECT_EQ(load_error({"abi_major"}), "plugin " + path_of("abi_major") +
                                           ": abi_major: plugin has " +
                                           std::to_string(SLUICE_ABI_MAJOR + 1) + ", host has " +
                                           std::to_string(SLUICE_ABI_MAJOR));
}

TEST(Loader, refuses_plugin_needing_newer_host_minor) {
  const std::string host_version =
      std::to_string(SLUICE_ABI_MAJOR) + "." + std::to_string(SLUICE_ABI_MINOR);
  const std::string needed =
      std::to_string(SLUICE_ABI_MAJOR) + "." + std::to_string(SLUICE_ABI_MINOR + 1);
  EXPECT_EQ(load_error({"abi_minor"}), "plugin " + path_of("abi_minor") +
                                           ": abi_minor: plugin needs host >= " + needed +
                                           ", host has " + host_version);
}

TEST(Loader, refuses_magic_block_smaller_than_abi_0_1) {
  EXPECT_EQ(load_error({"magic_size"}),
            "plugin " + path_of("magic_size") +
                ": struct_size of sluice_magic: plugin has 8, host needs at least 40");
}

TEST(Loader, refuses_mismatched_sanitizer_build_flags) {
  const uint32_t host_bits = host_build_flags() & SLUICE_BUILD_FLAGS_MUST_MATCH;
  const uint32_t plugin_bits = host_bits ^ SLUICE_BUILD_FLAG_ASAN;
  EXPECT_EQ(load_error({"build_flags"}),
            "plugin " + path_of("build_flags") + ": build_flags: plugin has " +
                build_flag_names(plugin_bits) + ", host has " + build_flag_names(host_bits));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_EQ(load_error({"build_flags"}),
            "plugin " + path_of("build_flags") + ": build_flags: plugin has asan, host has none");
#endif
}

TEST(Loader, reports_init_failure_with_the_plugins_reason) {
  EXPECT_EQ(load_error({"init_error"}),
            "plugin " + path_of("init_error") + ": init failed: database of answers is missing");
}

TEST(Loader, refuses_null_descriptor) {
  EXPECT_EQ(load_error({"null_descriptor"}),
            "plugin " + path_of("null_descriptor") + ": init returned a NULL descriptor");
}

TEST(Loader, refuses_vtable_smaller_than_abi_0_1) {
  EXPECT_EQ(load_error({"vtable_size"}),
            "plugin " + path_of("vtable_size") +
                ": pool_mode extension \"tiny\": struct_size of sluice_pool_mode_vtable: plugin "
                "has 8, host needs at least " +
                std::to_string(sizeof(sluice_pool_mode_vtable)));
}

TEST(Loader, refuses_unknown_extension_kind) {
  EXPECT_EQ(load_error({"unknown_kind"}), "plugin " + path_of("unknown_kind") +
                                              ": extension #0 \"mystery\": unknown extension "
                                              "kind 99");
}

TEST(Loader, refuses_extension_without_name) {
  EXPECT_EQ(load_error({"null_name"}),
            "plugin " + path_of("null_name") + ": extension #0: name is NULL or empty");
}

TEST(Loader, refuses_duplicate_extension_naming_both_files) {
  EXPECT_EQ(load_error({"dup_a", "dup_b"}),
            "plugin " + path_of("dup_b") + ": duplicate pool_mode extension \"dup\" (already " +
                "provided by " + path_of("dup_a") + ")");
}

TEST(Loader, refuses_the_same_plugin_listed_twice) {
  EXPECT_EQ(load_error({"good", path_of("good")}),
            "plugin " + path_of("good") + ": duplicate plugin name \"abi_good\" (already loaded " +
                "from " + path_of("good") + ")");
}

TEST(Loader, loads_good_plugin_and_lists_its_extensions) {
  host().set_config_lookup([](std::string_view key) -> std::optional<std::string> {
    if (key == "good_key") return "forty-two";
    return std::nullopt;
  });
  const auto reg = load_plugins(kDir, {"good"}, host());
  ASSERT_EQ(reg->plugins().size(), 1u);
  const LoadedPlugin& p = reg->plugins()[0];
  EXPECT_EQ(p.path, path_of("good"));
  EXPECT_EQ(p.name, "abi_good");
  EXPECT_EQ(p.version, "1.2.3");
  EXPECT_EQ(p.abi_major, uint32_t{SLUICE_ABI_MAJOR});
  EXPECT_EQ(p.abi_minor, uint32_t{SLUICE_ABI_MINOR});
  EXPECT_EQ(p.sdk_version, SLUICE_SDK_VERSION);
  EXPECT_EQ(p.extensions, (std::vector<std::string>{"pool_mode:good_mode", "auth_method:good_auth",
                                                    "admin_command:SHOW GOOD",
                                                    "metrics_exporter:good_exporter"}));
  EXPECT_NE(reg->pool_mode("good_mode"), nullptr);
  EXPECT_EQ(reg->pool_mode("session"), nullptr);
  EXPECT_NE(reg->auth_method("good_auth"), nullptr);
  EXPECT_NE(reg->admin_command("show good"), nullptr);  // case-insensitive
  EXPECT_EQ(reg->exporters().size(), 1u);
  EXPECT_EQ(reg->names(SLUICE_EXT_POOL_MODE), std::vector<std::string>{"good_mode"});
  host().set_config_lookup(nullptr);
}

TEST(Loader, pool_mode_hooks_answer_and_fail_closed_on_exceptions) {
  const auto reg = load_plugins(kDir, {"good"}, host());
  const sluice_pool_mode_vtable* vt = reg->pool_mode("good_mode");
  ASSERT_NE(vt, nullptr);
  EXPECT_EQ(vt->flags, SLUICE_POOL_FLAG_RESET_ON_RELEASE);
  sluice_ready_event ev{sizeof(ev), 'I', 0, 0};
  sluice_pool_decision d{};
  EXPECT_EQ(vt->on_ready_for_query(vt->ctx, &ev, &d), SLUICE_OK);
  EXPECT_EQ(d.action, SLUICE_POOL_RELEASE);
  ev.tx_status = 'X';  // the plugin throws
  EXPECT_EQ(vt->on_ready_for_query(vt->ctx, &ev, &d), SLUICE_ERROR);
  EXPECT_EQ(d.action, SLUICE_POOL_CLOSE_CLIENT);
  EXPECT_STREQ(d.error_message, "internal error in pool mode plugin");
}

TEST(Loader, auth_hooks_fail_closed_when_the_plugin_throws) {
  const auto reg = load_plugins(kDir, {"good"}, host());
  const sluice_auth_method_vtable* vt = reg->auth_method("good_auth");
  ASSERT_NE(vt, nullptr);
  sluice_auth_request req{sizeof(req), "alice", "db", "secret", "unix", 1, 0};
  void* state = nullptr;
  sluice_auth_output out{};
  ASSERT_EQ(vt->begin(vt->ctx, &req, &state, &out), SLUICE_OK);
  EXPECT_EQ(out.result, SLUICE_AUTH_OK);
  vt->end(vt->ctx, state);

  req.user = "boom";
  ASSERT_EQ(vt->begin(vt->ctx, &req, &state, &out), SLUICE_OK);
  EXPECT_EQ(out.result, SLUICE_AUTH_FAIL);
  EXPECT_STREQ(out.error_message, "internal error in auth plugin");
  vt->end(vt->ctx, state);
}

// A minimal result writer, as the admin console would provide.
struct CollectingWriter {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::string tag;
  static sluice_status add_column(void* c, const char* name, uint32_t) {
    static_cast<CollectingWriter*>(c)->columns.push_back(name);
    return SLUICE_OK;
  }
  static sluice_status add_row(void* c, const char* const* values, uint32_t count) {
    auto& row = static_cast<CollectingWriter*>(c)->rows.emplace_back();
    for (uint32_t i = 0; i < count; ++i) row.push_back(values[i] ? values[i] : "NULL");
    return SLUICE_OK;
  }
  static sluice_status set_tag(void* c, const char* tag) {
    static_cast<CollectingWriter*>(c)->tag = tag;
    return SLUICE_OK;
  }
  static sluice_status set_error(void*, const char*, const char*) { return SLUICE_OK; }
  static sluice_status add_notice(void*, const char*, const char*) { return SLUICE_OK; }
};

TEST(Loader, admin_command_and_exporter_hooks_work_through_the_registry) {
  const auto reg = load_plugins(kDir, {"good"}, host());
  const sluice_admin_command_vtable* cmd = reg->admin_command("SHOW GOOD");
  ASSERT_NE(cmd, nullptr);
  CollectingWriter w;
  const sluice_result_writer writer{sizeof(writer),
                                    &w,
                                    &CollectingWriter::add_column,
                                    &CollectingWriter::add_row,
                                    &CollectingWriter::set_tag,
                                    &CollectingWriter::set_error,
                                    &CollectingWriter::add_notice};
  const sluice_admin_request req{sizeof(req), "SHOW GOOD;", nullptr, "admin", 1};
  EXPECT_EQ(cmd->execute(cmd->ctx, &req, &writer), SLUICE_OK);
  EXPECT_EQ(w.columns, std::vector<std::string>{"answer"});
  ASSERT_EQ(w.rows.size(), 1u);
  EXPECT_EQ(w.rows[0], std::vector<std::string>{"42"});
  EXPECT_EQ(w.tag, "SHOW");

  const sluice_metrics_exporter_vtable* exp = reg->exporters().at(0);
  char buf[128] = {};
  EXPECT_EQ(exp->start(exp->ctx, buf, sizeof(buf)), SLUICE_ERROR);
  EXPECT_STREQ(buf, "port 9127 busy");
}

TEST(Loader, loads_the_default_set_when_no_names_are_given) {
  const auto reg = load_plugins(SLUICE_BUILD_PLUGIN_DIR, {}, host());
  ASSERT_EQ(reg->plugins().size(), 11u);
  EXPECT_NE(reg->pool_mode("session"), nullptr);
  EXPECT_NE(reg->pool_mode("transaction"), nullptr);
  EXPECT_NE(reg->pool_mode("statement"), nullptr);
  for (const char* method : {"any", "trust", "plain", "md5", "scram-sha-256"})
    EXPECT_NE(reg->auth_method(method), nullptr) << method;
  EXPECT_NE(reg->admin_command("SHOW POOLS"), nullptr);
  ASSERT_EQ(reg->exporters().size(), 1u);  // metrics_prometheus, off until prometheus_port is set
}

TEST(PluginPaths, resolves_names_against_the_plugin_dir) {
  EXPECT_EQ(resolve_plugin_path("/usr/lib/sluice/plugins", "auth_md5"),
            "/usr/lib/sluice/plugins/auth_md5.so");
  EXPECT_EQ(resolve_plugin_path("/p/", "auth_md5.so"), "/p/auth_md5.so");
  EXPECT_EQ(resolve_plugin_path("/p", "/opt/x/mine.so"), "/opt/x/mine.so");
  EXPECT_EQ(resolve_plugin_path("/p", "./build/mine.so"), "./build/mine.so");
  EXPECT_EQ(resolve_plugin_path("", "mine"), "./mine.so");
}

TEST(PluginPaths, parses_comma_and_space_separated_lists) {
  EXPECT_EQ(parse_plugin_list(" pool_session, auth_md5  auth_trust,,"),
            (std::vector<std::string>{"pool_session", "auth_md5", "auth_trust"}));
  EXPECT_TRUE(parse_plugin_list("  ").empty());
}

}  // namespace
}  // namespace sluice::plugin
