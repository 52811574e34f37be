// The JSON value type used across medic (nlohmann::json, ordered so output keeps the
// order fields were written in, which makes --json output and golden files stable).
#pragma once

#include <nlohmann/json.hpp>

namespace medic {
using Json = nlohmann::ordered_json;
}  // namespace medic
