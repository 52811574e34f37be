#include "base/redact.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"

extern char** environ;

namespace medic {
namespace {

std::mutex g_mu;
std::vector<std::string>& Secrets() {
  static std::vector<std::string> secrets;
  return secrets;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::regex& BearerPattern() {
  static const std::regex re(R"((Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{4,})", std::regex::icase);
  return re;
}
const std::regex& UrlCredentialPattern() {
  static const std::regex re(R"(([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@)", std::regex::icase);
  return re;
}
const std::regex& KeyValuePattern() {
  static const std::regex re(
      R"(((?:password|passwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|signature|credential)[A-Za-z0-9_-]*["']?\s*[=:]\s*["']?)([^\s"'&,;}]{3,}))",
      std::regex::icase);
  return re;
}

}  // namespace

void RegisterSecret(std::string_view value) {
  std::string v(Trim(value));
  if (v.size() < 4) return;
  std::lock_guard<std::mutex> lock(g_mu);
  auto& s = Secrets();
  if (std::find(s.begin(), s.end(), v) != s.end()) return;
  s.push_back(v);
  // Longest first, so a secret containing another is replaced whole.
  std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

bool LooksSecretName(std::string_view name) {
  std::string n = Lower(name);
  for (const char* word : {"token", "secret", "password", "passwd", "credential"}) {
    if (n.find(word) != std::string::npos) return true;
  }
  // routing_key (PagerDuty) and webhook_url (Slack) are keys by another name: whoever holds
  // one can page or post as medic.
  for (const char* suffix : {"api_key", "apikey", "access_key", "private_key", "signing_key",
                             "routing_key", "integration_key", "webhook_url"}) {
    if (EndsWith(n, suffix)) return true;
  }
  return n == "authorization" || n == "aws_secret_access_key";
}

void RegisterSecretsFromEnvironment() {
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    if (LooksSecretName(kv.substr(0, eq))) RegisterSecret(kv.substr(eq + 1));
  }
}

std::string Redact(std::string_view text) {
  std::string out(text);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (const auto& secret : Secrets()) {
      size_t pos = 0;
      while ((pos = out.find(secret, pos)) != std::string::npos) {
        out.replace(pos, secret.size(), kRedacted);
        pos += kRedacted.size();
      }
    }
  }
  // std::regex is slow and this runs on every record write: only run a pattern when the
  // text holds a word that pattern needs.
  std::string lower = Lower(out);
  auto has = [&](const char* w) { return lower.find(w) != std::string::npos; };
  if (has("bearer") || has("basic") || has("token"))
    out = std::regex_replace(out, BearerPattern(), "$1 [REDACTED]");
  if (has("://") && has("@"))
    out = std::regex_replace(out, UrlCredentialPattern(), "$1[REDACTED]@");
  if ((has("=") || has(":")) && (has("pass") || has("secret") || has("token") || has("key") ||
                                 has("signature") || has("credential")))
    out = std::regex_replace(out, KeyValuePattern(), "$1[REDACTED]");
  return out;
}

Json RedactJson(const Json& value) {
  if (value.is_string()) return Redact(value.get_ref<const std::string&>());
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& v : value) out.push_back(RedactJson(v));
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (LooksSecretName(it.key()) && it.value().is_string() &&
          !it.value().get_ref<const std::string&>().empty())
        out[it.key()] = std::string(kRedacted);
      else
        out[it.key()] = RedactJson(it.value());
    }
    return out;
  }
  return value;
}

}  // namespace medic
