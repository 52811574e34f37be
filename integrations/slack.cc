#include "integrations/slack.h"

#include "base/redact.h"
#include "base/strings.h"
#include "env/http_client.h"
#include "integrations/endpoint.h"

namespace medic {
namespace {

// Block Kit limits.
constexpr size_t kMaxHeader = 150;
constexpr size_t kMaxSectionText = 3000;
constexpr size_t kMaxField = 2000;
constexpr size_t kMaxFields = 10;

std::string Cut(const std::string& s, size_t max) {
  return s.size() <= max ? s : s.substr(0, max - 3) + "...";
}

/// Slack reads &, < and > as markup (<!channel> pings everyone): escape what we quote.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Pairs(const Json& with, const std::string& name) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!with.contains(name) || !with[name].is_object()) return out;
  for (auto it = with[name].begin(); it != with[name].end(); ++it)
    out.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  return out;
}

class PostAction : public Action {
 public:
  PostAction() {
    info_.name = "slack.post";
    info_.summary = "Post an incident update to Slack through an incoming webhook";
    info_.params = {
        {.name = "webhook_url",
         .type = ParamType::kString,
         .help = "incoming webhook URL (a secret); prefer webhook_url_env or webhook_url_file"},
        EnvVarParam("webhook_url_env", "the webhook URL", "SLACK_WEBHOOK_URL"),
        FileParam("webhook_url_file", "the webhook URL"),
        {.name = "title", .type = ParamType::kString, .help = "headline; default 'Incident <id>'"},
        {.name = "status",
         .type = ParamType::kString,
         .help = "e.g. investigating, mitigated, resolved"},
        {.name = "summary", .type = ParamType::kString, .help = "body text (Slack mrkdwn)"},
        {.name = "fields",
         .type = ParamType::kStringMap,
         .help = "short facts shown two by two (max 10)"},
        {.name = "links",
         .type = ParamType::kStringMap,
         .help = "{label: url}: dashboards, runbook, record"},
        {.name = "text",
         .type = ParamType::kString,
         .help = "notification fallback; default built from title, status and summary"},
        {.name = "blocks",
         .type = ParamType::kAny,
         .help = "your own Block Kit blocks instead of medic's"},
        RequestTimeoutParam(),
    };
    auto retry = RetryParams(3);
    info_.params.insert(info_.params.end(), retry.begin(), retry.end());
    info_.secret_params = {"webhook_url"};
    // A repeated message is noise, not harm: safe to run again after a crash.
    info_.idempotent = true;
    info_.outputs = {
        {"status", "HTTP status"}, {"attempts", "requests sent"}, {"text", "the fallback text"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string where = ParamString(with, "webhook_url_file").empty()
                            ? "$" + ParamString(with, "webhook_url_env")
                            : ParamString(with, "webhook_url_file");
    if (!ParamString(with, "webhook_url").empty()) where = "webhook_url";
    Json msg = SlackMessage(with, 0, 0);
    return {"POST Slack webhook (from " + where + "): " + msg["text"].get<std::string>()};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    auto url =
        ResolveConfig(with, "webhook_url", "webhook_url_env", "webhook_url_file", /*secret=*/true);
    if (!url.ok()) return url.status();
    if (url->value.empty()) {
      return Status::Skipped("not configured: no Slack webhook URL (set $" +
                             ParamString(with, "webhook_url_env") +
                             ", webhook_url_file or webhook_url)");
    }
    MEDIC_RETURN_IF_ERROR(CheckHttpUrl(url->value, "Slack webhook URL from " + url->source));
    if (with.contains("blocks") && !with["blocks"].is_array())
      return Status::Invalid("param 'blocks' must be a list of Block Kit blocks");
    Json msg = SlackMessage(with, ctx.incident_id(), ctx.run_id());
    outputs["text"] = msg["text"];
    HttpRequest req;
    req.method = "POST";
    req.url = url->value;
    req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    req.body = msg.dump();
    int attempts = 0;
    auto r = SendBounded(ctx, req, SendOptionsFrom(with), &attempts);
    outputs["attempts"] = attempts;
    // The URL is the secret: messages name its source, never the URL.
    std::string what = "slack.post to the webhook from " + url->source;
    if (!r.ok()) return Status(r.status().code(), what + ": " + Redact(r.status().message()));
    outputs["status"] = r->status;
    if (r->status < 200 || r->status >= 300) return AnswerStatus(what, *r, attempts);
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

}  // namespace

Json SlackMessage(const Json& with, int64_t incident_id, int64_t run_id) {
  std::string title = ParamString(with, "title");
  if (title.empty())
    title = "Incident " + (incident_id > 0 ? std::to_string(incident_id) : std::string("<id>"));
  std::string status = ParamString(with, "status");
  std::string summary = ParamString(with, "summary");
  std::string text = ParamString(with, "text");
  if (text.empty()) {
    text = title;
    if (!status.empty()) text += " [" + status + "]";
    if (!summary.empty()) text += ": " + summary;
  }
  Json msg = {{"text", Cut(text, 3000)}};
  if (with.contains("blocks") && with["blocks"].is_array()) {
    msg["blocks"] = with["blocks"];
    return msg;
  }
  Json blocks = Json::array();
  blocks.push_back(
      {{"type", "header"},
       {"text", {{"type", "plain_text"}, {"text", Cut(title, kMaxHeader)}, {"emoji", true}}}});
  std::string body;
  if (!status.empty()) body = "*Status:* " + Escape(status);
  if (!summary.empty()) body += (body.empty() ? "" : "\n") + summary;
  Json section = {{"type", "section"}};
  if (!body.empty()) section["text"] = {{"type", "mrkdwn"}, {"text", Cut(body, kMaxSectionText)}};
  Json fields = Json::array();
  for (const auto& [k, v] : Pairs(with, "fields")) {
    if (fields.size() == kMaxFields) break;
    fields.push_back(
        {{"type", "mrkdwn"}, {"text", Cut("*" + Escape(k) + "*\n" + Escape(v), kMaxField)}});
  }
  if (!fields.empty()) section["fields"] = fields;
  if (section.contains("text") || section.contains("fields")) blocks.push_back(section);
  std::vector<std::string> links;
  for (const auto& [label, url] : Pairs(with, "links"))
    links.push_back("<" + Escape(url) + "|" + Escape(label) + ">");
  if (!links.empty()) {
    blocks.push_back(
        {{"type", "section"},
         {"text", {{"type", "mrkdwn"}, {"text", Cut(Join(links, "  ·  "), kMaxSectionText)}}}});
  }
  std::string footer = "medic";
  if (incident_id > 0) footer += " · incident " + std::to_string(incident_id);
  if (run_id > 0) footer += " · run " + std::to_string(run_id);
  blocks.push_back(
      {{"type", "context"}, {"elements", Json::array({{{"type", "mrkdwn"}, {"text", footer}}})}});
  msg["blocks"] = blocks;
  return msg;
}

void RegisterSlackActions(Registry& registry) {
  (void)registry.Add(std::make_unique<PostAction>());
}

}  // namespace medic
