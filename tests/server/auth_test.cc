// Credentials and PagerDuty signatures: what gets in and what does not.
#include "server/auth.h"

#include <gtest/gtest.h>

namespace medic {
namespace {

const std::string kToken = "token-0123456789abcdef";
const std::string kOld = "pd-secret-old-0123456789";
const std::string kNew = "pd-secret-new-0123456789";

TEST(Auth, HmacMatchesTheRfc4231Vector) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Auth, BearerTokensAndBasicPasswordsAreAccepted) {
  Authenticator auth({kToken}, {});
  EXPECT_TRUE(auth.CheckAuthorization("Bearer " + kToken));
  EXPECT_TRUE(auth.CheckAuthorization("bearer   " + kToken));
  // "alertmanager:token-0123456789abcdef"
  EXPECT_TRUE(auth.CheckAuthorization("Basic YWxlcnRtYW5hZ2VyOnRva2VuLTAxMjM0NTY3ODlhYmNkZWY="));
}

TEST(Auth, WrongMissingOrMalformedCredentialsAreRefused) {
  Authenticator auth({kToken}, {});
  EXPECT_FALSE(auth.CheckAuthorization(""));
  EXPECT_FALSE(auth.CheckAuthorization("Bearer"));
  EXPECT_FALSE(auth.CheckAuthorization("Bearer " + kToken + "x"));
  EXPECT_FALSE(auth.CheckAuthorization("Bearer " + kToken.substr(1)));
  EXPECT_FALSE(auth.CheckAuthorization("Token " + kToken));
  EXPECT_FALSE(auth.CheckAuthorization("Basic !!!notbase64"));
  EXPECT_FALSE(auth.CheckAuthorization("Basic dXNlcjp3cm9uZw=="));  // user:wrong
  Authenticator none({}, {});
  EXPECT_FALSE(none.CheckAuthorization("Bearer " + kToken));
}

TEST(Auth, PagerDutySignatureAcceptsAnyRotatedSecretAndValue) {
  Authenticator auth({}, {kOld, kNew});
  std::string body = R"({"event":{"event_type":"incident.triggered"}})";
  std::string good = HmacSha256Hex(kNew, body);
  EXPECT_TRUE(auth.CheckPagerDutySignature(body, "v1=" + good));
  EXPECT_TRUE(auth.CheckPagerDutySignature(body, "v1=deadbeef,v1=" + good));
  EXPECT_TRUE(auth.CheckPagerDutySignature(body, "v1=" + HmacSha256Hex(kOld, body)));
  std::string upper = good;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(auth.CheckPagerDutySignature(body, "v1=" + upper));
}

TEST(Auth, PagerDutySignatureOfAnotherBodyOrSecretIsRefused) {
  Authenticator auth({}, {kNew});
  std::string body = R"({"event":{}})";
  EXPECT_FALSE(auth.CheckPagerDutySignature(body, ""));
  EXPECT_FALSE(auth.CheckPagerDutySignature(body, "v1=" + HmacSha256Hex(kNew, body + " ")));
  EXPECT_FALSE(
      auth.CheckPagerDutySignature(body, "v1=" + HmacSha256Hex("another-secret-123", body)));
  EXPECT_FALSE(auth.CheckPagerDutySignature(body, "v0=" + HmacSha256Hex(kNew, body)));
  EXPECT_FALSE(auth.CheckPagerDutySignature(body, HmacSha256Hex(kNew, body)));
  EXPECT_FALSE(
      Authenticator({kToken}, {}).CheckPagerDutySignature(body, "v1=" + HmacSha256Hex(kNew, body)));
}

TEST(Auth, Base64DecodesWithAndWithoutPadding) {
  std::string out;
  EXPECT_TRUE(DecodeBase64("YWI=", &out));
  EXPECT_EQ(out, "ab");
  EXPECT_TRUE(DecodeBase64("YWI", &out));
  EXPECT_EQ(out, "ab");
  EXPECT_FALSE(DecodeBase64("Y", &out));
  EXPECT_FALSE(DecodeBase64("Y*==", &out));
}

}  // namespace
}  // namespace medic
