// The daemon's host API: log attribution, config lookup swapping, and OpenSSL-backed crypto.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <sstream>
#include <string>
#include <thread>

#include "plugin/host_api.hpp"

namespace sluice::plugin {
namespace {

std::string hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[p[i] >> 4]);
    s.push_back(kDigits[p[i] & 0xf]);
  }
  return s;
}

const uint8_t* bytes(const char* s) {
  return reinterpret_cast<const uint8_t*>(s);
}

TEST(HostApi, gives_one_stable_api_per_plugin) {
  HostApiProvider provider;
  const sluice_host_api* a = provider.api_for("auth_md5");
  EXPECT_EQ(a, provider.api_for("auth_md5"));
  EXPECT_NE(a, provider.api_for("pool_session"));
  EXPECT_EQ(a->struct_size, sizeof(sluice_host_api));
  EXPECT_EQ(a->abi_major, uint32_t{SLUICE_ABI_MAJOR});
}

TEST(HostApi, log_lines_name_the_plugin) {
  std::ostringstream captured;
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_pattern("%l %v");
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  HostApiProvider provider;
  const sluice_host_api* api = provider.api_for("auth_md5");
  api->log(api->host_ctx, SLUICE_LOG_WARNING, "salt is stale");
  spdlog::set_default_logger(previous);
  EXPECT_EQ(captured.str(), "warning [auth_md5] salt is stale\n");
}

TEST(HostApi, config_get_follows_the_installed_lookup_and_truncates) {
  HostApiProvider provider;
  const sluice_host_api* api = provider.api_for("p");
  char buf[8];
  EXPECT_EQ(api->config_get(api->host_ctx, "auth_type", buf, sizeof(buf)), -1);  // none installed
  provider.set_config_lookup([](std::string_view key) -> std::optional<std::string> {
    if (key == "auth_type") return "scram-sha-256";
    return std::nullopt;
  });
  EXPECT_EQ(api->config_get(api->host_ctx, "auth_type", buf, sizeof(buf)), 13);
  EXPECT_STREQ(buf, "scram-s");  // truncated to buf_len, NUL-terminated
  EXPECT_EQ(api->config_get(api->host_ctx, "nope", buf, sizeof(buf)), -1);
}

TEST(HostApi, config_lookup_can_be_swapped_while_other_threads_read) {
  HostApiProvider provider;
  const sluice_host_api* api = provider.api_for("p");
  provider.set_config_lookup([](std::string_view) { return std::optional<std::string>("a"); });
  std::thread reader([&] {
    char buf[4];
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(api->config_get(api->host_ctx, "k", buf, 4), 1);
  });
  for (int i = 0; i < 200; ++i)
    provider.set_config_lookup([](std::string_view) { return std::optional<std::string>("b"); });
  reader.join();
}

TEST(HostApi, crypto_matches_known_vectors) {
  HostApiProvider provider;
  const sluice_host_api* api = provider.api_for("p");
  uint8_t md5[16];
  api->md5(api->host_ctx, bytes("abc"), 3, md5);
  EXPECT_EQ(hex(md5, 16), "900150983cd24fb0d6963f7d28e17f72");
  uint8_t out[32];
  api->sha256(api->host_ctx, bytes("abc"), 3, out);
  EXPECT_EQ(hex(out, 32), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  api->hmac_sha256(api->host_ctx, bytes("Jefe"), 4, bytes("what do ya want for nothing?"), 28, out);
  EXPECT_EQ(hex(out, 32), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  api->pbkdf2_sha256(api->host_ctx, bytes("password"), 8, bytes("salt"), 4, 4096, out);
  EXPECT_EQ(hex(out, 32), "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  std::array<uint8_t, 16> r1{}, r2{};
  api->random_bytes(api->host_ctx, r1.data(), r1.size());
  api->random_bytes(api->host_ctx, r2.data(), r2.size());
  EXPECT_NE(r1, r2);
}

}  // namespace
}  // namespace sluice::plugin
