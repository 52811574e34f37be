#include "integrations/golang/known_signatures.h"

#include <fstream>
#include <sstream>

#include "base/json.h"
#include "base/strings.h"
#include "env/files.h"
#include "integrations/golang/classifier.h"

namespace medic::golang {
namespace {

Status FieldError(const std::string& origin, size_t index, const std::string& what) {
  return Status::Invalid(origin + ": signatures[" + std::to_string(index) + "]: " + what);
}

}  // namespace

std::string MakeSignature(const std::string& category, const std::string& function) {
  return function.empty() ? category : category + " " + function;
}

const KnownSignature* KnownSignatures::Match(const std::string& signature,
                                             const std::string& category,
                                             const std::string& function) const {
  for (const KnownSignature& k : entries) {
    if (!k.signature.empty()) {
      if (k.signature == signature) return &k;
      continue;
    }
    if ((k.category.empty() || k.category == category) &&
        (k.function.empty() || k.function == function)) {
      return &k;
    }
  }
  return nullptr;
}

Result<KnownSignatures> ParseKnownSignatures(const std::string& text, const std::string& origin) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::exception& e) {
    return Status::Invalid(origin + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("signatures") || !doc["signatures"].is_array()) {
    return Status::Invalid(origin +
                           ": expected an object with a \"signatures\" array, e.g. "
                           "{\"signatures\": [{\"signature\": \"nil_map_write main.(*R).Put\", "
                           "\"fixed_in\": \"app:1.4.3\"}]}");
  }
  KnownSignatures out;
  const Json& list = doc["signatures"];
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& e = list[i];
    if (!e.is_object()) return FieldError(origin, i, "expected an object");
    KnownSignature k;
    for (const auto& [key, value] : e.items()) {
      if (!value.is_string()) return FieldError(origin, i, "'" + key + "' must be a string");
      const std::string& v = value.get_ref<const std::string&>();
      if (key == "signature") {
        k.signature = v;
      } else if (key == "category") {
        k.category = v;
      } else if (key == "function") {
        k.function = v;
      } else if (key == "fixed_in") {
        k.fixed_in = v;
      } else if (key == "note") {
        k.note = v;
      } else {
        return FieldError(
            origin, i,
            "unknown field '" + key + "' (expected signature, category, function, fixed_in, note)");
      }
    }
    if (k.fixed_in.empty()) return FieldError(origin, i, "'fixed_in' is required");
    if (k.signature.empty() && k.category.empty() && k.function.empty()) {
      return FieldError(origin, i, "needs 'signature', or 'category' and/or 'function'");
    }
    if (!k.category.empty()) {
      const auto& all = Categories();
      bool known = false;
      for (const std::string& c : all) known = known || c == k.category;
      if (!known) {
        return FieldError(origin, i,
                          "unknown category '" + k.category + "'" + DidYouMean(k.category, all));
      }
    }
    out.entries.push_back(std::move(k));
  }
  return out;
}

constexpr size_t kMaxKnownSignaturesBytes = 4 << 20;

Result<KnownSignatures> LoadKnownSignatures(const std::string& path) {
  auto text = ReadWholeFile(path, kMaxKnownSignaturesBytes);
  if (!text.ok()) return text.status().WithContext("the known-signatures file");
  return ParseKnownSignatures(*text, path);
}

}  // namespace medic::golang
