// Sequence sets (RFC 3501 §9 sequence-set, RFC 9051 §9; "$" from RFC 5182 SEARCHRES): parsing, evaluation
// against a mailbox, and compression of UID lists for responses (COPYUID, ESEARCH ALL, VANISHED).
//
//   parse_sequence_set("2,4:7,9,12:*") -> ranges {2,2} {4,7} {9,9} {12,*}; "$" -> saved = true.
//   normalise(set, star)  replaces "*" by `star` (RFC 3501 §9: "*" is the largest number in use: the message
//                         count for sequence numbers, the highest UID for UIDs, or UIDNEXT-1 / UIDNEXT in an empty
//                         mailbox as RFC 9051 §9 says), orders each range (3:* with star 2 is 2:3), sorts and merges.
//   format / compress     the shortest "1:5,7,9:12" spelling.
//
// Numbers are nz-number (1..4294967295); 0 in a seq_range stands for "*". A normalised range list holds no 0,
// is sorted, and its ranges neither overlap nor touch. Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/errc.hpp"

namespace mssgw::imap::proto {

inline constexpr std::uint32_t seq_star = 0;

struct seq_range {
  std::uint32_t first = 0;  // seq_star for "*"
  std::uint32_t last = 0;   // equal to first for a single number
  friend bool operator==(const seq_range&, const seq_range&) = default;
};

struct sequence_set {
  std::vector<seq_range> ranges;  // as sent, in order
  bool saved = false;             // "$" given: add the result saved by SEARCH RETURN (SAVE) (RFC 5182 §2.1)
  friend bool operator==(const sequence_set&, const sequence_set&) = default;
};

// `allow_saved`: accept "$" (not in QRESYNC known-uids, for instance). `allow_star`: accept "*" (RFC 7162
// known-uids and the ESEARCH / VANISHED responses have none).
errc parse_sequence_set(std::string_view text, sequence_set& out, bool allow_saved = true, bool allow_star = true);

// See above. `set.saved` must have been replaced by the caller (it has no meaning here: it yields no ranges).
std::vector<seq_range> normalise(const sequence_set& set, std::uint32_t star);
std::vector<seq_range> normalise(std::vector<seq_range> ranges);  // no "*" left in `ranges`

// Over a normalised list.
bool contains(std::span<const seq_range> normalised, std::uint32_t n);
std::uint64_t count(std::span<const seq_range> normalised);
std::uint32_t highest(std::span<const seq_range> normalised);  // 0 if empty
// Drops numbers above `max` (sequence numbers beyond the message count, UIDs beyond UIDNEXT-1).
std::vector<seq_range> clamp(std::span<const seq_range> normalised, std::uint32_t max);

// "1:5,7,9:12" from a set (as sent, "*" and "$" spelled out) or from a normalised list.
std::string format(const sequence_set& set);
std::string format(std::span<const seq_range> normalised);
// Any list of numbers (unsorted, repeated, zeros ignored) -> the shortest spelling; "" if empty.
std::string compress(std::span<const std::uint32_t> numbers);
// The same list in the given order, for COPYUID, where the source and destination sets must correspond
// (RFC 4315 §3): consecutive runs become ranges, order is kept.
std::string compress_ordered(std::span<const std::uint32_t> numbers);

}  // namespace mssgw::imap::proto
