#include "integrations/webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/redact.h"
#include "base/strings.h"
#include "env/http_client.h"
#include "integrations/endpoint.h"

namespace medic {
namespace {

class PostAction : public Action {
 public:
  PostAction() {
    info_.name = "webhook.post";
    info_.summary = "POST a JSON body to a webhook, optionally signed with HMAC-SHA256";
    info_.params = {
        UrlParam("receiver URL"),
        EnvVarParam("url_env", "the URL when `url` is not given"),
        {.name = "method",
         .type = ParamType::kString,
         .default_value = "POST",
         .help = "HTTP method",
         .choices = {"POST", "PUT"}},
        {.name = "json",
         .type = ParamType::kAny,
         .help = "the body as JSON; default {source, incident_id, run_id, step, sent_at}"},
        {.name = "body", .type = ParamType::kString, .help = "a raw body instead of `json`"},
        {.name = "content_type",
         .type = ParamType::kString,
         .default_value = "application/json",
         .help = "Content-Type"},
        {.name = "headers",
         .type = ParamType::kStringMap,
         .help =
             "extra headers (values of Authorization and *token*/*secret* names are kept secret)"},
        EnvVarParam("secret_env", "the signing secret"),
        FileParam("secret_file", "the signing secret"),
        {.name = "signature_header",
         .type = ParamType::kString,
         .default_value = "X-Medic-Signature-256",
         .help = "header carrying sha256=<hex HMAC of the raw body>"},
        ExpectStatusParam(),
        RequestTimeoutParam(),
    };
    auto retry = RetryParams(2);
    info_.params.insert(info_.params.end(), retry.begin(), retry.end());
    info_.outputs = {{"status", "HTTP status"},
                     {"body", "the answer's body (first 4 KiB)"},
                     {"attempts", "requests sent"},
                     {"signed", "true when a signature header was sent"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string url = ParamString(with, "url");
    if (url.empty()) url = "$" + ParamString(with, "url_env");
    bool sign =
        !ParamString(with, "secret_env").empty() || !ParamString(with, "secret_file").empty();
    return {ParamString(with, "method") + " " + Redact(url) +
            (sign ? " (signed, " + ParamString(with, "signature_header") + ")" : "")};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    auto url = ResolveConfig(with, "url", "url_env", "", /*secret=*/false);
    if (!url.ok()) return url.status();
    if (url->value.empty()) {
      std::string env = ParamString(with, "url_env");
      return Status::Skipped("not configured: no webhook URL (set `url`" +
                             (env.empty() ? std::string("") : ", or $" + env) + ")");
    }
    MEDIC_RETURN_IF_ERROR(CheckHttpUrl(url->value, "webhook URL from " + url->source));

    HttpRequest req;
    req.method = ParamString(with, "method");
    req.url = url->value;
    if (with.contains("body")) {
      req.body = ParamString(with, "body");
    } else if (with.contains("json")) {
      req.body = with["json"].dump();
    } else {
      req.body = Json{{"source", "medic"},
                      {"incident_id", ctx.incident_id()},
                      {"run_id", ctx.run_id()},
                      {"step", ctx.step_id()},
                      {"sent_at", FormatTimeUtc(ctx.clock().NowUnixMs())}}
                     .dump();
    }
    req.headers.emplace_back("Content-Type", ParamString(with, "content_type"));
    if (with.contains("headers")) {
      for (auto it = with["headers"].begin(); it != with["headers"].end(); ++it) {
        if (LooksSecretName(it.key())) RegisterSecret(it->get<std::string>());
        req.headers.emplace_back(it.key(), it->get<std::string>());
      }
    }
    bool sign =
        !ParamString(with, "secret_env").empty() || !ParamString(with, "secret_file").empty();
    if (sign) {
      auto secret = ResolveConfig(with, "", "secret_env", "secret_file", /*secret=*/true);
      if (!secret.ok()) return secret.status();
      // Asked to sign but no secret: sending unsigned would be refused, or worse, accepted.
      if (secret->value.empty()) {
        return Status::Invalid("the signing secret is not set: $" +
                               ParamString(with, "secret_env") + " is empty or unset");
      }
      std::string header = ParamString(with, "signature_header");
      if (header.empty()) return Status::Invalid("param 'signature_header' is empty");
      req.headers.emplace_back(header, WebhookSignature(secret->value, req.body));
    }
    outputs["signed"] = sign;
    int attempts = 0;
    auto r = SendBounded(ctx, req, SendOptionsFrom(with), &attempts);
    outputs["attempts"] = attempts;
    if (!r.ok()) return r.status();
    outputs["status"] = r->status;
    outputs["body"] = r->body.substr(0, 4096);
    if (!StatusExpected(with, r->status))
      return AnswerStatus(DescribeRequest(req.method, req.url), *r, attempts);
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

void RegisterWebhookActions(Registry& registry) {
  (void)registry.Add(std::make_unique<PostAction>());
}

}  // namespace medic
