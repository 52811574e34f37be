// libFuzzer target for the three webhook bodies medic serve accepts, built once per source
// (MEDIC_FUZZ_SOURCE: 0 Alertmanager, 1 PagerDuty v3, 2 generic). For PagerDuty the input's
// first line is the X-PagerDuty-Signature header and the rest the body, as the server sees
// them: the signature check runs first, then the parser either way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/alert.h"
#include "server/auth.h"

#ifndef MEDIC_FUZZ_SOURCE
#error "define MEDIC_FUZZ_SOURCE"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  medic::Result<medic::Notification> n = medic::Status::Ok();
#if MEDIC_FUZZ_SOURCE == 0
  n = medic::ParseAlertmanager(input);
#elif MEDIC_FUZZ_SOURCE == 1
  static const medic::Authenticator auth({"fuzz-bearer-token-0123456789"},
                                         {"fuzz-pagerduty-secret-0123456789"});
  size_t nl = input.find('\n');
  std::string_view header = nl == std::string_view::npos ? input : input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  (void)auth.CheckPagerDutySignature(body, header);
  (void)auth.CheckAuthorization(header);
  n = medic::ParsePagerDuty(body);
#else
  n = medic::ParseGeneric(input);
#endif
  if (n.ok()) {
    for (const auto& a : n->alerts) {
      // What the router and the record do with every alert next.
      if (medic::FingerprintOf(a.labels).size() != 16) __builtin_trap();
      (void)a.labels.dump();
    }
  } else if (n.status().message().find('\n') != std::string::npos) {
    __builtin_trap();  // every refusal is one line (it goes back to the sender as is)
  }
  return 0;
}
