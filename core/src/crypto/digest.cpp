// One-shot digests through an EVP_MD fetched once and an EVP_MD_CTX kept per thread.
//
// Why: EVP_Digest() allocates, initialises and frees a context on every call, and EVP_md5() makes
// it look the implementation up again each time; on an md5 login that was most of the cost of
// hashing 36 bytes. A context is not thread-safe, hence one per thread (shards and plugins call
// from several threads).
#include "crypto/digest.hpp"

#include <openssl/evp.h>

namespace sluice::crypto {

namespace {

// Each fetched on first use only (a fetch costs milliseconds' worth of instructions); null when
// the provider lacks the algorithm.
const EVP_MD* md_for(DigestKind kind) {
  if (kind == DigestKind::kMd5) {
    static EVP_MD* const kMd5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return kMd5;
  }
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return kSha256;
}

// The calling thread's context, freed when the thread ends; null if OpenSSL cannot allocate one.
EVP_MD_CTX* thread_context() {
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    Holder() = default;
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Holder holder;
  return holder.ctx;
}

}  // namespace

void warm_up_digests() {
  md_for(DigestKind::kMd5);
  md_for(DigestKind::kSha256);
}

bool digest(DigestKind kind, std::span<const uint8_t> data, std::span<uint8_t> out) {
  const EVP_MD* md = md_for(kind);
  EVP_MD_CTX* ctx = thread_context();
  if (!md || !ctx || static_cast<size_t>(EVP_MD_get_size(md)) != out.size()) return false;
  unsigned int len = 0;
  return EVP_DigestInit_ex2(ctx, md, nullptr) == 1 &&
         EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
         EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
}

}  // namespace sluice::crypto
