#include "lang/scope.h"

#include <cctype>

#include "base/strings.h"

namespace medic {
namespace {

constexpr const char* kOpen = "...";

bool IsPlaceholder(const std::string& seg) {
  if (seg.empty() || seg == kOpen) return false;
  for (char c : seg)
    if (!std::isupper(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// "params" + {"NAME", "..."} -> "params.NAME"
std::string Written(const std::string& root, const std::vector<std::string>& shape) {
  std::string out = root;
  for (const auto& seg : shape)
    if (seg != kOpen) out += "." + seg;
  return out;
}

}  // namespace

std::vector<std::string> Ref::Below() const {
  std::vector<std::string> out;
  if (!args.empty()) out.push_back(args.back());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

Scope& Scope::Root(std::string name, std::vector<std::string> shapes,
                   std::map<std::string, std::string> nouns) {
  RootDecl root{std::move(name), {}, {}, std::move(nouns)};
  for (const auto& shape : shapes) {
    bool open = EndsWith(shape, kOpen);
    std::string fixed = open ? shape.substr(0, shape.size() - 3) : shape;
    std::vector<std::string> segs;
    if (!fixed.empty()) segs = Split(fixed, '.');
    if (open) segs.push_back(kOpen);
    root.shapes.push_back(std::move(segs));
    root.written.push_back(shape);
  }
  roots_.push_back(std::move(root));
  return *this;
}

std::vector<std::string> Scope::Roots() const {
  std::vector<std::string> out;
  for (const auto& r : roots_) out.push_back(r.name);
  return out;
}

std::string Scope::Usage() const {
  std::vector<std::string> all;
  for (const auto& r : roots_)
    for (const auto& shape : r.shapes) all.push_back(Written(r.name, shape));
  if (all.size() < 2) return Join(all, "");
  std::string last = all.back();
  all.pop_back();
  return Join(all, ", ") + " or " + last;
}

std::string Scope::ShapeProblem(const RootDecl& root, const std::string& path,
                                const std::vector<std::string>& parts) const {
  // A path that stops short of exactly one shape, just before a placeholder, is missing a
  // name: say which one.
  const std::vector<std::string>* continued = nullptr;
  int continuing = 0;
  for (const auto& shape : root.shapes) {
    size_t given = parts.size() - 1;
    if (given >= shape.size() || shape[given] == kOpen) continue;
    bool prefix = true;
    for (size_t i = 0; i < given && prefix; ++i)
      prefix = IsPlaceholder(shape[i]) ? !parts[i + 1].empty() : shape[i] == parts[i + 1];
    if (prefix) {
      ++continuing;
      continued = &shape;
    }
  }
  if (continuing == 1) {
    const std::string& next = (*continued)[parts.size() - 1];
    if (IsPlaceholder(next)) {
      auto noun = root.nouns.find(next);
      std::string lower;
      for (char c : next) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return "'" + path + "' needs " + (noun != root.nouns.end() ? noun->second : "a " + lower) +
             ": {{ " + Written(root.name, *continued) + " }}";
    }
  }
  std::vector<std::string> forms;
  for (const auto& shape : root.shapes) forms.push_back(Written(root.name, shape));
  return "'" + path + "': use " + Join(forms, " or ");
}

Result<Ref> Scope::Match(const std::string& path) const {
  auto parts = Split(path, '.');
  const RootDecl* root = nullptr;
  for (const auto& r : roots_)
    if (!parts.empty() && r.name == parts[0]) root = &r;
  if (!root) {
    std::string problem = mismatch_ ? mismatch_(*this, path, false) : "";
    if (problem.empty())
      problem = "'" + path + "' does not name anything; use " + Usage() +
                DidYouMean(parts.empty() ? "" : parts[0], Roots());
    return Status::Invalid(problem);
  }
  for (size_t n = 0; n < root->shapes.size(); ++n) {
    const auto& shape = root->shapes[n];
    Ref ref;
    size_t i = 1;
    bool ok = true;
    for (const auto& seg : shape) {
      if (seg == kOpen) {
        ref.rest.assign(parts.begin() + static_cast<std::ptrdiff_t>(i), parts.end());
        i = parts.size();
        break;
      }
      if (i >= parts.size() || parts[i].empty()) {
        ok = false;
        break;
      }
      if (IsPlaceholder(seg)) {
        ref.args.push_back(parts[i]);
      } else if (seg != parts[i]) {
        ok = false;
        break;
      }
      ++i;
    }
    if (!ok || i != parts.size()) continue;
    ref.path = path;
    ref.root = root->name;
    ref.shape = root->written[n];
    return ref;
  }
  std::string problem = mismatch_ ? mismatch_(*this, path, true) : "";
  if (problem.empty()) problem = ShapeProblem(*root, path, parts);
  return Status::Invalid(problem);
}

std::string Scope::Check(const std::string& path, const RefCheck& check) const {
  auto ref = Match(path);
  if (!ref.ok()) return ref.status().message();
  return check ? check(*ref) : "";
}

Result<Json> Scope::Resolve(const std::string& path, const Lookup& lookup) const {
  auto ref = Match(path);
  if (!ref.ok()) return Status::NotFound(ref.status().message());
  return lookup(*ref);
}

}  // namespace medic
