#pragma once
// The placeholder shown wherever a secret would be: in reprs, the HTTP settings view, the
// CLI and JSON output. Secrets are write-only, so this is all anyone ever reads back.

namespace harvest_connect::model {

inline constexpr const char* redacted = "••••••";

}  // namespace harvest_connect::model
