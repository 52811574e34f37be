#include "server/router.h"

#include "base/strings.h"
#include "lang/scope.h"
#include "lang/template.h"

namespace medic {
namespace {

// AlertScope() has matched the shape; this only finds the alert's data.
Resolver AlertResolver(const Alert& alert, const std::string& source) {
  return [&alert, &source](const std::string& path) -> Result<Json> {
    return AlertScope().Resolve(path, [&](const Ref& ref) -> Result<Json> {
      if (ref.root == "labels" || ref.root == "annotations") {
        const Json& map = ref.root == "labels" ? alert.labels : alert.annotations;
        auto it = map.find(ref.args[0]);
        if (it != map.end()) return *it;
        return Status::NotFound("the alert has no " +
                                std::string(ref.root == "labels" ? "label" : "annotation") + " '" +
                                ref.args[0] + "'");
      }
      if (ref.root == "status") return Json(alert.status);
      if (ref.root == "fingerprint") return Json(alert.fingerprint);
      if (ref.root == "source") return Json(source);
      return Json(alert.group_key);
    });
  };
}

}  // namespace

const RouteConfig* MatchRoute(const std::vector<RouteConfig>& routes, const Json& labels) {
  for (const auto& route : routes) {
    bool all = true;
    for (const auto& m : route.match) {
      if (!m.Matches(labels)) {
        all = false;
        break;
      }
    }
    if (all) return &route;
  }
  return nullptr;
}

Result<RoutedAlert> ApplyRoute(const RouteConfig& route, const Alert& alert,
                               const std::string& source) {
  Resolver resolve = AlertResolver(alert, source);
  RoutedAlert out;
  out.route = &route;
  Json vars = Json::object();
  for (auto it = route.vars.begin(); it != route.vars.end(); ++it) {
    auto v = RenderString(it->get<std::string>(), resolve);
    if (!v.ok()) return Status::Invalid("vars." + it.key() + ": " + v.status().message());
    vars[it.key()] = std::move(*v);
  }
  if (!route.playbook) return Status::Internal("route '" + route.name + "' has no playbook loaded");
  auto params = BindParams(*route.playbook, vars);
  if (!params.ok()) return Status::Invalid(params.status().message());
  out.params = std::move(*params);
  if (route.dedup_key.empty()) {
    out.dedup_key = route.name + "/" + alert.group_key;
  } else {
    auto key = RenderString(route.dedup_key, resolve);
    if (!key.ok()) return Status::Invalid("dedup_key: " + key.status().message());
    out.dedup_key = route.name + "/" + ValueText(*key);
  }
  if (out.dedup_key.size() > kMaxDedupKeyBytes)
    return Status::Invalid("dedup_key: " + std::to_string(out.dedup_key.size()) +
                           " bytes; at most " + std::to_string(kMaxDedupKeyBytes));
  return out;
}

}  // namespace medic
