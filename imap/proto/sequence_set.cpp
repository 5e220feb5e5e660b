#include "imap/proto/sequence_set.hpp"

#include <algorithm>

namespace mssgw::imap::proto {
namespace {

// seq-number = nz-number / "*"; nz-number = digit-nz *DIGIT within 32 bits (RFC 3501 §9 number).
bool read_seq_number(std::string_view s, std::size_t& i, std::uint32_t& out, bool allow_star) {
  if (i >= s.size()) return false;
  if (s[i] == '*') {
    if (!allow_star) return false;
    ++i;
    out = seq_star;
    return true;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  std::uint64_t n = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (n > 0xffffffffULL) return false;
    ++i;
  }
  out = static_cast<std::uint32_t>(n);
  return true;
}

void append_range(std::string& out, std::uint32_t a, std::uint32_t b) {
  if (!out.empty()) out.push_back(',');
  out += a == seq_star ? std::string("*") : std::to_string(a);
  if (a != b) {
    out.push_back(':');
    out += b == seq_star ? std::string("*") : std::to_string(b);
  }
}

}  // namespace

errc parse_sequence_set(std::string_view text, sequence_set& out, bool allow_saved, bool allow_star) {
  out = {};
  std::size_t i = 0;
  while (true) {
    // RFC 5182 §2.1: sequence-set =/ seq-last-command ("$"); the ABNF's recursion lets it follow other elements.
    if (i < text.size() && text[i] == '$') {
      if (!allow_saved) return errc::invalid_sequence_set;
      out.saved = true;
      ++i;
      if (i == text.size()) return errc::ok;
      if (text[i] != ',') return errc::invalid_sequence_set;
      ++i;
      continue;
    }
    seq_range r;
    if (!read_seq_number(text, i, r.first, allow_star)) return errc::invalid_sequence_set;
    r.last = r.first;
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (!read_seq_number(text, i, r.last, allow_star)) return errc::invalid_sequence_set;
    }
    out.ranges.push_back(r);
    if (i == text.size()) return errc::ok;
    if (text[i] != ',') return errc::invalid_sequence_set;
    ++i;
  }
}

std::vector<seq_range> normalise(std::vector<seq_range> ranges) {
  for (auto& r : ranges) {
    if (r.first > r.last) std::swap(r.first, r.last);
  }
  // A 0 left by an empty mailbox's "*" names no message.
  std::erase_if(ranges, [](const seq_range& r) { return r.last == 0; });
  for (auto& r : ranges) r.first = std::max<std::uint32_t>(r.first, 1);
  std::sort(ranges.begin(), ranges.end(),
            [](const seq_range& a, const seq_range& b) { return a.first < b.first; });
  std::vector<seq_range> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) {
    if (!out.empty() && static_cast<std::uint64_t>(out.back().last) + 1 >= r.first) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<seq_range> normalise(const sequence_set& set, std::uint32_t star) {
  std::vector<seq_range> ranges = set.ranges;
  for (auto& r : ranges) {
    if (r.first == seq_star) r.first = star;
    if (r.last == seq_star) r.last = star;
  }
  return normalise(std::move(ranges));
}

bool contains(std::span<const seq_range> normalised, std::uint32_t n) {
  auto it = std::upper_bound(normalised.begin(), normalised.end(), n,
                             [](std::uint32_t v, const seq_range& r) { return v < r.first; });
  if (it == normalised.begin()) return false;
  --it;
  return n >= it->first && n <= it->last;
}

std::uint64_t count(std::span<const seq_range> normalised) {
  std::uint64_t n = 0;
  for (const auto& r : normalised) n += static_cast<std::uint64_t>(r.last) - r.first + 1;
  return n;
}

std::uint32_t highest(std::span<const seq_range> normalised) {
  return normalised.empty() ? 0 : normalised.back().last;
}

std::vector<seq_range> clamp(std::span<const seq_range> normalised, std::uint32_t max) {
  std::vector<seq_range> out;
  for (const auto& r : normalised) {
    if (r.first > max) break;
    out.push_back({r.first, std::min(r.last, max)});
  }
  return out;
}

std::string format(const sequence_set& set) {
  std::string out;
  for (const auto& r : set.ranges) append_range(out, r.first, r.last);
  if (set.saved) out += out.empty() ? "$" : ",$";
  return out;
}

std::string format(std::span<const seq_range> normalised) {
  std::string out;
  for (const auto& r : normalised) append_range(out, r.first, r.last);
  return out;
}

std::string compress(std::span<const std::uint32_t> numbers) {
  std::vector<seq_range> ranges;
  ranges.reserve(numbers.size());
  for (const std::uint32_t n : numbers) {
    if (n != 0) ranges.push_back({n, n});
  }
  return format(normalise(std::move(ranges)));
}

std::string compress_ordered(std::span<const std::uint32_t> numbers) {
  std::string out;
  std::size_t i = 0;
  while (i < numbers.size()) {
    if (numbers[i] == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j + 1 < numbers.size() && numbers[j] != 0xffffffffu && numbers[j + 1] == numbers[j] + 1) ++j;
    append_range(out, numbers[i], numbers[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace mssgw::imap::proto
