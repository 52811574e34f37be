#include "lang/template.h"

#include <algorithm>
#include <cctype>

#include "base/escape.h"
#include "base/strings.h"

namespace medic {

bool IsValidPath(const std::string& path) {
  if (path.empty()) return false;
  for (const auto& seg : Split(path, '.')) {
    if (seg.empty()) return false;
    for (char c : seg) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    }
  }
  return true;
}

const std::vector<std::string>& TemplateFilters() {
  static const std::vector<std::string> kFilters = {"promql", "urlpath", "urlquery", "label"};
  return kFilters;
}

Result<std::string> ApplyFilter(const std::string& filter, const std::string& text) {
  if (filter == "promql") return EscapeDoubleQuoted(text);
  if (filter == "urlpath" || filter == "urlquery") return UrlEncode(text);
  if (filter == "label") {
    if (!text.empty() && !IsQualifiedName(text))
      return Status::Invalid("'" + text.substr(0, 80) +
                             "' is not a label value (63 characters of letters, digits, - _ ., "
                             "beginning and ending with a letter or digit)");
    return text;
  }
  return Status::Invalid("unknown filter '" + filter + "'");
}

Result<TemplateRef> ParseRef(std::string_view inside) {
  std::string filter;
  if (size_t bar = inside.find('|'); bar != std::string_view::npos) {
    filter = std::string(Trim(inside.substr(bar + 1)));
    inside = inside.substr(0, bar);
    const auto& known = TemplateFilters();
    if (std::find(known.begin(), known.end(), filter) == known.end())
      return Status::Invalid("'| " + filter + "' is not a filter (one of: " + Join(known, ", ") +
                             ")" + DidYouMean(filter, known));
  }
  std::string path(Trim(inside));
  bool optional = !path.empty() && path.back() == '?';
  if (optional) path.pop_back();
  if (!IsValidPath(path))
    return Status::Invalid("'{{ " + path + (optional ? "?" : "") +
                           " }}' is not a reference (expected e.g. {{ params.name }} or "
                           "{{ steps.ID.outputs.KEY? }})");
  return TemplateRef{path, 0, optional, filter};
}

Result<std::vector<TemplateRef>> ExtractRefs(const std::string& text) {
  std::vector<TemplateRef> refs;
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string::npos) {
    size_t end = text.find("}}", pos + 2);
    if (end == std::string::npos)
      return Status::Invalid("unterminated '{{' at offset " + std::to_string(pos) + " in \"" +
                             text + "\"");
    auto ref = ParseRef(std::string_view(text).substr(pos + 2, end - pos - 2));
    if (!ref.ok()) return ref.status();
    ref->offset = pos;
    refs.push_back(std::move(*ref));
    pos = end + 2;
  }
  return refs;
}

Result<std::vector<TemplateRef>> ExtractRefsJson(const Json& value) {
  std::vector<TemplateRef> all;
  if (value.is_string()) return ExtractRefs(value.get<std::string>());
  if (value.is_array() || value.is_object()) {
    for (const auto& v : value) {
      auto refs = ExtractRefsJson(v);
      if (!refs.ok()) return refs.status();
      all.insert(all.end(), refs->begin(), refs->end());
    }
  }
  return all;
}

std::string ValueText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

const Json* JsonAtPath(const Json& value, const std::vector<std::string>& rest) {
  const Json* cur = &value;
  for (const auto& seg : rest) {
    if (cur->is_object()) {
      auto it = cur->find(seg);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && !seg.empty() &&
               seg.find_first_not_of("0123456789") == std::string::npos) {
      std::optional<int64_t> i = ParseInt64(seg);
      if (!i || static_cast<uint64_t>(*i) >= cur->size()) return nullptr;
      cur = &(*cur)[static_cast<size_t>(*i)];
    } else {
      return nullptr;
    }
  }
  return cur;
}

namespace {

// RenderString's work; sets `*absent` when `text` is exactly one optional reference that has
// no value (a list leaves such an element out).
Result<Json> Render(const std::string& text, const Resolver& resolve,
                    const std::function<Json(const std::string&)>* missing, bool* absent) {
  auto refs = ExtractRefs(text);
  if (!refs.ok()) return refs.status();
  if (refs->empty()) return Json(text);
  bool any_absent = false;
  auto value = [&](const TemplateRef& ref) -> Result<Json> {
    auto v = resolve(ref.path);
    if (v.ok() || v.status().code() != Code::kNotFound) return v;
    if (missing) return (*missing)(ref.path);
    if (!ref.optional) return v;
    any_absent = true;
    return Json("");
  };
  // A filtered reference is text, escaped for where it lands.
  auto lookup = [&](const TemplateRef& ref) -> Result<Json> {
    auto v = value(ref);
    if (!v.ok() || ref.filter.empty()) return v;
    auto escaped = ApplyFilter(ref.filter, ValueText(*v));
    if (!escaped.ok())
      return Status::Invalid("{{ " + ref.path + " | " + ref.filter +
                             " }}: " + escaped.status().message());
    return Json(*escaped);
  };
  // A string that is exactly one reference keeps the value's type.
  const TemplateRef& first = refs->front();
  if (refs->size() == 1 && first.offset == text.find_first_not_of(" \t") &&
      Trim(text.substr(text.find("}}", first.offset) + 2)).empty()) {
    auto v = lookup(first);
    if (absent) *absent = any_absent;
    return v;
  }
  std::string out;
  size_t pos = 0;
  for (const auto& ref : *refs) {
    out.append(text, pos, ref.offset - pos);
    auto v = lookup(ref);
    if (!v.ok()) return v.status();
    out += ValueText(*v);
    pos = text.find("}}", ref.offset) + 2;
  }
  out.append(text, pos, std::string::npos);
  return Json(out);
}

}  // namespace

Result<Json> RenderString(const std::string& text, const Resolver& resolve,
                          const std::function<Json(const std::string&)>* missing) {
  return Render(text, resolve, missing, nullptr);
}

Result<Json> RenderJson(const Json& value, const Resolver& resolve,
                        const std::function<Json(const std::string&)>* missing) {
  if (value.is_string()) return RenderString(value.get<std::string>(), resolve, missing);
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& v : value) {
      bool absent = false;
      auto r = v.is_string() ? Render(v.get<std::string>(), resolve, missing, &absent)
                             : RenderJson(v, resolve, missing);
      if (!r.ok()) return r;
      if (!absent) out.push_back(std::move(*r));
    }
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      auto r = RenderJson(*it, resolve, missing);
      if (!r.ok()) return r;
      out[it.key()] = std::move(*r);
    }
    return out;
  }
  return value;
}

}  // namespace medic
