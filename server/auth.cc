#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstdio>

#include "base/strings.h"

namespace medic {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

Authenticator::Authenticator(const std::vector<std::string>& bearer_tokens,
                             const std::vector<std::string>& pagerduty_secrets)
    : pagerduty_secrets_(pagerduty_secrets) {
  for (const auto& t : bearer_tokens) token_digests_.push_back(Sha256(t));
}

Authenticator::Digest Authenticator::Sha256(std::string_view data) {
  Digest d{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

// Comparing digests keeps the comparison constant-time in the token's length too.
bool Authenticator::KnownToken(std::string_view token) const {
  if (token.empty()) return false;
  Digest d = Sha256(token);
  bool found = false;
  for (const auto& known : token_digests_)
    found |= CRYPTO_memcmp(known.data(), d.data(), d.size()) == 0;
  return found;
}

bool Authenticator::CheckAuthorization(std::string_view header) const {
  header = Trim(header);
  size_t space = header.find(' ');
  if (space == std::string_view::npos) return false;
  std::string_view scheme = header.substr(0, space);
  std::string_view value = Trim(header.substr(space + 1));
  if (EqualsIgnoreCase(scheme, "Bearer")) return KnownToken(value);
  if (EqualsIgnoreCase(scheme, "Basic")) {
    std::string decoded;
    if (!DecodeBase64(value, &decoded)) return false;
    size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    return KnownToken(std::string_view(decoded).substr(colon + 1));
  }
  return false;
}

bool Authenticator::CheckPagerDutySignature(std::string_view body, std::string_view header) const {
  if (pagerduty_secrets_.empty()) return false;
  std::vector<std::string> expected;
  for (const auto& secret : pagerduty_secrets_) expected.push_back(HmacSha256Hex(secret, body));
  bool ok = false;
  for (const auto& part : Split(header, ',')) {
    std::string_view sig = Trim(part);
    if (!StartsWith(sig, "v1=")) continue;
    sig.remove_prefix(3);
    std::string lower(sig);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& e : expected)
      if (lower.size() == e.size()) ok |= CRYPTO_memcmp(lower.data(), e.data(), e.size()) == 0;
  }
  return ok;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string hex;
  hex.reserve(len * 2);
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return hex;
}

bool DecodeBase64(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return bits < 6;  // a lone trailing character is not valid base64
}

}  // namespace medic
