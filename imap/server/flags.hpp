// IMAP flag names (RFC 3501 §2.3.2) <-> storage::message_flags. System flags are stored as bits, keywords as text;
// \Recent is a session property and never stored. Pure; header-only.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

// The bit of a canonically spelled system flag (proto::canonical_flag), 0 for others.
inline std::uint32_t system_bit(std::string_view flag) {
  if (flag == "\\Seen") return storage::flag_seen;
  if (flag == "\\Answered") return storage::flag_answered;
  if (flag == "\\Flagged") return storage::flag_flagged;
  if (flag == "\\Deleted") return storage::flag_deleted;
  if (flag == "\\Draft") return storage::flag_draft;
  return 0;
}

inline bool same_keyword(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// Splits a flag list into bits and keywords (keywords compared case-insensitively, kept as first spelt). Other
// "\" flags (extensions we do not know, \Recent) are dropped.
template <class List>
storage::message_flags to_flags(const List& names) {
  storage::message_flags f;
  for (const auto& name : names) {
    if (name.empty()) continue;
    if (name[0] == '\\') {
      f.system |= system_bit(name);
      continue;
    }
    if (std::none_of(f.keywords.begin(), f.keywords.end(), [&](const std::string& k) { return same_keyword(k, name); })) {
      f.keywords.push_back(name);
    }
  }
  return f;
}

}  // namespace mssgw::imap::server
