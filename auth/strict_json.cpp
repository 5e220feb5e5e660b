#include "auth/strict_json.hpp"

#include <set>
#include <string>
#include <vector>

namespace mssgw::auth::detail {

json_result parse_strict_json(std::string_view text, int max_depth) {
  json_result out;
  // The parser callback sees each member name before its value: one set of names per open object.
  std::vector<std::set<std::string>> names;
  bool duplicate = false, too_deep = false;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    if (depth > max_depth) too_deep = true;
    switch (event) {
      case ev::object_start: names.emplace_back(); break;
      case ev::object_end:
        if (!names.empty()) names.pop_back();
        break;
      case ev::key:
        if (!names.empty() && parsed.is_string() && !names.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      default: break;
    }
    return true;
  };
  try {
    nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                                                 /*ignore_comments=*/false);
    if (too_deep) {
      out.error = errc::token_bad_json;
    } else if (duplicate) {
      out.error = errc::token_duplicate_key;
    } else {
      out.value = std::move(value);
    }
  } catch (const std::exception&) {
    out.error = errc::token_bad_json;
  }
  return out;
}

}  // namespace mssgw::auth::detail
