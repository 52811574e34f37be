// Lenient reads of one field of a JSON object, for data whose shape the record does not
// guarantee (event data written by older medics, step outputs): a missing field or one of
// another type reads as the fallback, never as an exception.
#pragma once

#include <cstdint>
#include <string>

#include "base/json.h"

namespace medic {

/// obj[key] when `obj` is an object and the field a string, else "".
inline std::string StringField(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

/// obj[key] when `obj` is an object and the field a number, else `fallback`.
inline int64_t IntField(const Json& obj, const char* key, int64_t fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

}  // namespace medic
