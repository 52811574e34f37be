#include "integrations/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <system_error>
#include <vector>

namespace medic {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  // Only fails when out of memory; there is nothing sensible to return then.
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(const void* data, size_t size) {
  if (size > 0) EVP_DigestUpdate(impl_->ctx, data, size);
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, digest, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

BackgroundSha256::BackgroundSha256() {
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error&) {
    // No thread to be had: Submit() hashes on the caller's thread instead.
  }
}

BackgroundSha256::~BackgroundSha256() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundSha256::WaitIdle(std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [this] { return !busy_; });
}

void BackgroundSha256::Submit(std::string_view data) {
  if (!thread_.joinable()) {
    sha_.Update(data);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  WaitIdle(lock);
  pending_ = data;
  busy_ = true;
  lock.unlock();
  cv_.notify_all();
}

std::string BackgroundSha256::HexDigest() {
  std::unique_lock<std::mutex> lock(mu_);
  WaitIdle(lock);
  return sha_.HexDigest();
}

void BackgroundSha256::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return busy_ || stop_; });
    if (busy_) {
      std::string_view data = pending_;
      lock.unlock();
      sha_.Update(data);
      lock.lock();
      busy_ = false;
      cv_.notify_all();
    } else if (stop_) {
      return;
    }
  }
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

Result<std::string> Sha256File(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Io("cannot read " + path);
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    sha.Update(buf.data(), static_cast<size_t>(f.gcount()));
  }
  if (f.bad()) return Status::Io("error reading " + path);
  return sha.HexDigest();
}

}  // namespace medic
