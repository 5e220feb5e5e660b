// Internal to auth/: JSON parsing for untrusted tokens and key sets, on nlohmann::json.
//
// Refuses what nlohmann would silently accept: a member name repeated in one object (nlohmann keeps the last one,
// another parser might keep the first: the classic confusion between two verifiers), and nesting deeper than
// `max_depth`. Never throws. Pure and thread-safe.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "auth/errc.hpp"

namespace mssgw::auth::detail {

struct json_result {
  std::optional<nlohmann::json> value;
  errc error{};  // token_bad_json or token_duplicate_key when !value
};

json_result parse_strict_json(std::string_view text, int max_depth = 16);

}  // namespace mssgw::auth::detail
