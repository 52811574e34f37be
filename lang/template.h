// Templates in playbook values: "{{ params.service }}", "{{ steps.capture.outputs.path }}".
// A reference is looked up as data and substituted once; the result is never parsed
// again, so a value containing "{{" or quotes cannot inject anything. A string that is a
// single reference keeps the referenced value's JSON type (a list stays a list).
// "{{ path? }}" is an optional reference: when the path has no value (a step that failed
// or was skipped wrote no outputs) it renders as "", and a list element that is nothing but
// a missing optional reference is left out of its list. "{{ path | promql }}" escapes the
// value for where it lands (see TemplateFilters): an alert label in a PromQL string, a URL
// path or a label selector stays data there.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace medic {

/// Looks a dotted path ("params.x", "steps.a.outputs.b") up. Returns the value, or
/// kNotFound when the path does not exist.
using Resolver = std::function<Result<Json>(const std::string& path)>;

/// A reference found in a template, with its offset in the text (for error positions).
struct TemplateRef {
  std::string path;
  size_t offset = 0;
  bool optional = false;  // written "{{ path? }}"
  /// "{{ path | FILTER }}": how the value is escaped for where it lands (TemplateFilters()).
  std::string filter;
};

/// The filters a reference may name, each escaping a value for one destination:
///   promql    inside a PromQL double-quoted string ("..."): \ and " escaped
///   urlpath   one URL path segment: everything but A-Z a-z 0-9 - . _ ~ percent-encoded
///   urlquery  a URL query value: the same
///   label     a Kubernetes label value: checked (63 characters of A-Z a-z 0-9 - _ .,
///             alphanumeric at both ends), not escaped; anything else fails the render
const std::vector<std::string>& TemplateFilters();

/// `text` escaped by `filter` (one of TemplateFilters()); kInvalidArgument when it cannot be
/// (a label value that is not one).
Result<std::string> ApplyFilter(const std::string& filter, const std::string& text);

/// Reads the inside of one "{{ ... }}" (" steps.a.outputs.b? "): the path and whether it is
/// optional (offset 0). Fails with kInvalidArgument when it is not a reference.
Result<TemplateRef> ParseRef(std::string_view inside);

/// Every "{{ path }}" in `text`. Fails on an unterminated "{{" or an invalid path.
Result<std::vector<TemplateRef>> ExtractRefs(const std::string& text);

/// Every reference in every string of `value`, recursively.
Result<std::vector<TemplateRef>> ExtractRefsJson(const Json& value);

/// True when `path` is a well-formed dotted path: segments of [A-Za-z0-9_-].
bool IsValidPath(const std::string& path);

/// Renders one string. Missing paths fail with kNotFound naming the path, unless
/// `missing` is non-null, in which case it is called to produce a stand-in (dry runs), or
/// the reference is optional (rendered as "").
Result<Json> RenderString(const std::string& text, const Resolver& resolve,
                          const std::function<Json(const std::string&)>* missing = nullptr);

/// Renders every string in `value`, recursively (keys are not rendered).
Result<Json> RenderJson(const Json& value, const Resolver& resolve,
                        const std::function<Json(const std::string&)>* missing = nullptr);

/// Follows `rest` ("a.b.0.c") inside `value`; nullptr when absent.
const Json* JsonAtPath(const Json& value, const std::vector<std::string>& rest);

/// The text form of a value substituted into a longer string: strings as-is, null as "",
/// everything else as compact JSON.
std::string ValueText(const Json& value);

}  // namespace medic
