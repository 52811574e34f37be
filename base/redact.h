// Redaction of secrets on the way out: everything medic writes to SQLite, logs, timelines
// and error messages passes through Redact(). Secrets are registered by value when they are
// read (from env or files) and common credential shapes are caught by pattern as well.
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"

namespace medic {

inline constexpr std::string_view kRedacted = "[REDACTED]";

/// Remembers `value` as a secret for the rest of the process. Thread-safe. Values shorter
/// than 4 characters are ignored (they would redact ordinary text).
void RegisterSecret(std::string_view value);

/// Registers the values of environment variables whose names look secret
/// (*TOKEN*, *SECRET*, *PASSWORD*, *PASSWD*, *CREDENTIAL*, *API_KEY, *ACCESS_KEY, ...). Idempotent.
void RegisterSecretsFromEnvironment();

/// True when an environment variable name looks like it holds a secret.
bool LooksSecretName(std::string_view name);

/// Returns `text` with registered secrets and credential patterns (Bearer tokens, basic
/// auth in URLs, key=value pairs whose key looks secret) replaced by [REDACTED].
std::string Redact(std::string_view text);

/// Redacts every string in a JSON value, and replaces the values of keys that look secret.
Json RedactJson(const Json& value);

}  // namespace medic
