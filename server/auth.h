// Who may post to medic serve: bearer tokens (or HTTP basic auth whose password is one of
// them) for every endpoint but /healthz and /metrics, and PagerDuty's HMAC signatures
// (X-PagerDuty-Signature: v1=<hex>, several during secret rotation) for /hooks/pagerduty.
// Every comparison is constant-time; secrets are registered for redaction when loaded and
// never logged. Start with Authenticator.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace medic {

class Authenticator {
 public:
  /// `bearer_tokens` and `pagerduty_secrets` are kept as SHA-256 digests / keys; both may be
  /// empty (then nothing authenticates that way).
  Authenticator(const std::vector<std::string>& bearer_tokens,
                const std::vector<std::string>& pagerduty_secrets);

  /// True when the Authorization header value is "Bearer TOKEN" or "Basic base64(user:TOKEN)"
  /// for a configured token. Thread-safe.
  bool CheckAuthorization(std::string_view header) const;

  bool has_pagerduty_secrets() const { return !pagerduty_secrets_.empty(); }

  /// True when any "v1=<hex>" in the X-PagerDuty-Signature header value is the
  /// HMAC-SHA256 of `body` under any configured secret. Thread-safe.
  bool CheckPagerDutySignature(std::string_view body, std::string_view header) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest Sha256(std::string_view data);
  bool KnownToken(std::string_view token) const;

  std::vector<Digest> token_digests_;
  std::vector<std::string> pagerduty_secrets_;
};

/// Lower-case hex of HMAC-SHA256(key, data).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

/// Decodes standard base64 (with or without padding); false on invalid input.
bool DecodeBase64(std::string_view in, std::string* out);

}  // namespace medic
