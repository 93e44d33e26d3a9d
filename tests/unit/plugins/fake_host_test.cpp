// The fake host itself: reference crypto against published vectors, config and random behaviour.
#include "sluice/testing/fake_host.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sluice/sdk.hpp"

namespace sluice::testing {
namespace {

std::span<const uint8_t> b(std::string_view s) {
  return sdk::Host::as_bytes(s);
}

TEST(ReferenceCrypto, md5_matches_rfc_1321_vectors) {
  EXPECT_EQ(sdk::Host::to_hex(crypto::md5(b(""))), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(sdk::Host::to_hex(crypto::md5(b("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(sdk::Host::to_hex(crypto::md5(b("12345678901234567890123456789012345678901234567890"
                                            "123456789012345678901234567890"))),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(ReferenceCrypto, sha256_matches_fips_180_vectors) {
  EXPECT_EQ(sdk::Host::to_hex(crypto::sha256(b("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sdk::Host::to_hex(
                crypto::sha256(b("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(ReferenceCrypto, hmac_and_pbkdf2_match_rfc_vectors) {
  EXPECT_EQ(sdk::Host::to_hex(crypto::hmac_sha256(b("Jefe"), b("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(sdk::Host::to_hex(crypto::pbkdf2_sha256(b("password"), b("salt"), 1)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  EXPECT_EQ(sdk::Host::to_hex(crypto::pbkdf2_sha256(b("password"), b("salt"), 4096)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST(FakeHost, host_wrapper_reads_config_and_random_through_the_c_api) {
  FakeHost fake;
  const sdk::Host host(fake.api());
  EXPECT_EQ(host.config("auth_type"), std::nullopt);
  const std::string long_value(1000, 'x');  // longer than the wrapper's first buffer
  fake.set_config("auth_type", long_value);
  EXPECT_EQ(host.config("auth_type"), long_value);
  const uint8_t queued[] = {9, 8, 7};
  fake.queue_random(queued);
  std::array<uint8_t, 3> out{};
  host.random(out);
  EXPECT_EQ(out, (std::array<uint8_t, 3>{9, 8, 7}));
  EXPECT_EQ(host.md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  host.warning("careful");
  ASSERT_EQ(fake.logs().size(), 1u);
  EXPECT_EQ(fake.logs()[0].level, SLUICE_LOG_WARNING);
  EXPECT_TRUE(fake.has_log("careful"));
}

TEST(FakeHost, serves_canned_lists_and_state_through_the_c_api) {
  FakeHost fake;
  const sluice_host_api* api = fake.api();
  ASSERT_GE(api->struct_size, SLUICE_SIZE_THROUGH(sluice_host_api, state));
  sluice_user_info a{}, b{};
  a.name = "alice";
  b.name = "bob";
  fake.set_list<sluice_user_info>(SLUICE_LIST_USERS, {a, b});
  std::vector<std::string> seen;
  auto visit = [](void* ctx, const void* item) {
    const auto* u = static_cast<const sluice_user_info*>(item);
    EXPECT_EQ(u->struct_size, sizeof(sluice_user_info));
    static_cast<std::vector<std::string>*>(ctx)->push_back(u->name);
  };
  EXPECT_EQ(api->list(api->host_ctx, SLUICE_LIST_USERS, visit, &seen), SLUICE_OK);
  EXPECT_EQ(seen, (std::vector<std::string>{"alice", "bob"}));
  // A kind without canned items answers SLUICE_ERROR, as the daemon does for an unknown kind.
  EXPECT_EQ(api->list(api->host_ctx, 999, visit, &seen), SLUICE_ERROR);
  EXPECT_EQ(fake.list_calls(SLUICE_LIST_USERS), 1);
  EXPECT_EQ(fake.list_calls(999), 1);

  sluice_state_info s{};
  s.version = "sluice 9.9";
  s.pools = 3;
  fake.set_state(s);
  sluice_state_info out{};
  out.struct_size = sizeof(out);
  api->state(api->host_ctx, &out);
  EXPECT_STREQ(out.version, "sluice 9.9");
  EXPECT_EQ(out.pools, 3);
  // A caller with a smaller (older) struct gets only what fits.
  sluice_state_info small{};
  small.struct_size = SLUICE_SIZE_THROUGH(sluice_state_info, version);
  api->state(api->host_ctx, &small);
  EXPECT_STREQ(small.version, "sluice 9.9");
  EXPECT_EQ(small.pools, 0);

  fake.set_api_struct_size(SLUICE_SIZE_THROUGH(sluice_host_api, pbkdf2_sha256));
  EXPECT_EQ(api->struct_size, SLUICE_SIZE_THROUGH(sluice_host_api, pbkdf2_sha256));
}

TEST(FakeHost, refuses_a_missing_file_like_the_daemon) {
  FakeHost fake;
  EXPECT_THROW(fake.load("/nonexistent/plugin.so"), std::runtime_error);
}

TEST(ConstantTimeEqual, compares_content_and_length) {
  EXPECT_TRUE(sdk::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(sdk::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(sdk::constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(sdk::constant_time_equal("", "a"));
  EXPECT_TRUE(sdk::constant_time_equal("", ""));
}

}  // namespace
}  // namespace sluice::testing
