// `s3.upload`: the evidence upload step (cores, dumps, logs) on top of s3.h's streaming,
// compressing, multipart uploader. Skipped, not failed, when no bucket is configured.
#pragma once

#include "integrations/action.h"

namespace medic {

/// Adds s3.upload to `registry`.
void RegisterS3Actions(Registry& registry);

}  // namespace medic
