#include "directory/extraction.hpp"

#include <algorithm>

namespace mssgw::directory {

const std::array<std::string_view, extraction_column_count> extraction_columns = {
    "Type de BAL",
    "Adresse BAL",
    "Type Identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Type identifiant structure",
    "Identification Structure",
    "Service de rattachement",
    "Civilité d'exercice",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Catégorie profession",
    "Libellé de catégorie profession",
    "Code Profession",
    "Libellé Profession",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Dématérialisation",
    "Raison Sociale structure BAL",
    "Enseigne commerciale structure BAL",
    "L2COMPLEMENTLOCALISATION structure BAL",
    "L3COMPLEMENTDISTRIBUTION structure BAL",
    "L4NUMEROVOIE structure BAL",
    "L4COMPLEMENTNUMEROVOIE structure BAL",
    "NL4TYPEVOIE structure BAL",
    "L4LIBELLEVOIE structure BAL",
    "L5LIEUDITMENTION structure BAL",
    "L6LIGNEACHEMINEMENT structure BAL",
    "Code postal structure BAL",
    "Département structure BAL",
    "Pays structure BAL",
};

namespace {

constexpr int column_ignored = -2;
constexpr int column_type = -1;
constexpr int column_address = 0;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits on '|'; a single trailing '|' (an empty last field) is dropped by the caller when it makes one too many.
void split_fields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    auto bar = line.find('|', start);
    if (bar == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, bar - start));
    start = bar + 1;
  }
}

const std::vector<std::string>& folded_columns() {
  static const std::vector<std::string> folded = [] {
    std::vector<std::string> v;
    for (auto name : extraction_columns) v.push_back(fold(name));
    return v;
  }();
  return folded;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (s.size() > 80) out += "...";
  return out + "\"";
}

}  // namespace

extraction_parser::extraction_parser(sink on_row, extraction_limits limits)
    : sink_(std::move(on_row)), limits_(limits) {}

void extraction_parser::report(std::size_t line, std::string reason) {
  ++error_count_;
  if (errors_.size() < limits_.max_reported_errors) errors_.push_back({line, std::move(reason)});
}

void extraction_parser::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    auto lf = chunk.find('\n');
    std::string_view piece = chunk.substr(0, lf);
    if (skipping_) {
      if (lf == std::string_view::npos) return;
      skipping_ = false;
      chunk.remove_prefix(lf + 1);
      continue;
    }
    if (lf == std::string_view::npos) {
      if (partial_.size() + piece.size() > limits_.max_line_size) {
        // The line is too long to buffer: report it now, then drop the rest of it.
        ++line_;
        report(line_, "line longer than " + std::to_string(limits_.max_line_size) + " bytes");
        partial_.clear();
        skipping_ = true;
        return;
      }
      partial_.append(piece);
      return;
    }
    if (partial_.empty()) {
      line(piece);
    } else {
      partial_.append(piece);
      std::string whole = std::move(partial_);
      partial_.clear();
      line(whole);
    }
    chunk.remove_prefix(lf + 1);
  }
}

void extraction_parser::finish() {
  if (!partial_.empty()) {
    std::string whole = std::move(partial_);
    partial_.clear();
    line(whole);
  }
  skipping_ = false;
  if (!header_ok_ && !header_failed_) {
    header_failed_ = true;
    report(0, "no header line: the file is empty");
  }
}

void extraction_parser::line(std::string_view text) {
  ++line_;
  if (text.size() > limits_.max_line_size) {
    report(line_, "line longer than " + std::to_string(limits_.max_line_size) + " bytes");
    return;
  }
  if (line_ == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (trim(text).empty()) return;  // blank lines carry nothing
  if (header_failed_) return;
  if (!header_ok_) {
    header(text);
  } else {
    row(text);
  }
}

void extraction_parser::header(std::string_view text) {
  std::vector<std::string_view> names;
  split_fields(text, names);
  if (names.size() > 1 && trim(names.back()).empty()) names.pop_back();  // trailing '|'
  const auto& known = folded_columns();
  std::vector<int> seen(extraction_column_count, -1);
  columns_.assign(names.size(), column_ignored);
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string folded = fold(names[i]);
    auto it = std::find(known.begin(), known.end(), folded);
    if (it == known.end()) {
      warnings_.push_back("column " + std::to_string(i + 1) + " " + quoted(trim(names[i])) +
                          " is not an extraction column: ignored");
      continue;
    }
    auto k = static_cast<std::size_t>(it - known.begin());
    if (seen[k] >= 0) {
      problems.push_back("column \"" + std::string(extraction_columns[k]) + "\" appears twice (columns " +
                         std::to_string(seen[k] + 1) + " and " + std::to_string(i + 1) + ")");
      continue;
    }
    seen[k] = static_cast<int>(i);
    columns_[i] = k == 0 ? column_type : static_cast<int>(k) - 1;  // k=1 (address) -> 0, fields -> 1 + index
  }
  for (std::size_t k = 0; k < 2; ++k) {
    if (seen[k] < 0) problems.push_back("required column \"" + std::string(extraction_columns[k]) + "\" is missing");
  }
  if (!problems.empty()) {
    header_failed_ = true;
    std::string reason = "header: ";
    for (std::size_t i = 0; i < problems.size(); ++i) reason += (i ? "; " : "") + problems[i];
    report(line_, std::move(reason));
    return;
  }
  for (std::size_t k = 2; k < extraction_column_count; ++k) {
    if (seen[k] < 0) warnings_.push_back("column \"" + std::string(extraction_columns[k]) + "\" is missing: empty");
  }
  header_ok_ = true;
}

void extraction_parser::row(std::string_view text) {
  thread_local std::vector<std::string_view> values;
  split_fields(text, values);
  if (values.size() == columns_.size() + 1 && trim(values.back()).empty()) values.pop_back();  // trailing '|'
  if (values.size() != columns_.size()) {
    report(line_, "expected " + std::to_string(columns_.size()) + " fields, found " + std::to_string(values.size()));
    return;
  }
  field_views fields{};
  std::string_view type_text, address_text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    int col = columns_[i];
    if (col == column_ignored) continue;
    std::string_view v = trim(values[i]);
    if (v.size() > limits_.max_field_size) {
      report(line_, "field " + std::to_string(i + 1) + " longer than " + std::to_string(limits_.max_field_size) +
                        " bytes");
      return;
    }
    if (!clean_text(v)) {
      report(line_, "field " + std::to_string(i + 1) + " is not valid UTF-8 text (invalid bytes or control characters)");
      return;
    }
    if (col == column_type) {
      type_text = v;
    } else if (col == column_address) {
      address_text = v;
    } else {
      fields[static_cast<std::size_t>(col - 1)] = v;
    }
  }
  auto type = storage::parse_bal_type(type_text);
  if (!type) {
    report(line_, "unknown BAL type " + quoted(type_text) + " (PER, ORG, APP or CAB)");
    return;
  }
  auto address = storage::normalise_bal_address(address_text);
  if (!address) {
    report(line_, "invalid BAL address " + quoted(address_text));
    return;
  }
  ++rows_;
  if (view_sink_) {
    view_sink_(line_, row_view{*type, *address, &fields});
    return;
  }
  entry e;
  e.type = *type;
  e.address = std::move(*address);
  e.source = source_kind::extraction;
  for (std::size_t i = 0; i < field_count; ++i) e.text(static_cast<field>(i)).assign(fields[i]);
  if (sink_) sink_(line_, std::move(e));
}

std::optional<std::string> extraction_set::add(entry&& e) {
  auto [it, inserted] = contents_.try_emplace(e.address);
  if (inserted) {
    it->second = encode_content(e);
    return std::nullopt;
  }
  entry first;
  decode_content(it->second, first);
  if (first.type != e.type) {
    return "duplicate of " + e.address + " with another BAL type (" + std::string(storage::to_string(e.type)) +
           ", first seen as " + std::string(storage::to_string(first.type)) + "): ignored";
  }
  ++duplicates_;
  bool changed = false;
  for (std::size_t i = 0; i < field_count; ++i) {
    std::string& mine = first.text(static_cast<field>(i));
    std::string& theirs = e.text(static_cast<field>(i));
    if (mine.empty() && !theirs.empty()) {
      mine = std::move(theirs);
      changed = true;
    }
  }
  if (changed) it->second = encode_content(first);
  return std::nullopt;
}

std::optional<std::string> extraction_set::add(const row_view& row) {
  auto [it, inserted] = contents_.try_emplace(std::string(row.address));  // one hash per row
  if (inserted) {
    it->second = encode_content(row.type, false, {}, *row.fields);
    return std::nullopt;
  }
  entry e;
  e.address.assign(row.address);
  e.type = row.type;
  for (std::size_t i = 0; i < field_count; ++i) e.text(static_cast<field>(i)).assign((*row.fields)[i]);
  return add(std::move(e));
}

extraction_loader::extraction_loader(extraction_limits limits) : parser_(nullptr, limits) {
  parser_.set_view_sink([this](std::size_t line, const row_view& row) {
    if (auto conflict = set_.add(row)) parser_.report(line, std::move(*conflict));
  });
}

std::string format_extraction_header() {
  std::string out;
  for (std::size_t i = 0; i < extraction_columns.size(); ++i) {
    if (i) out.push_back('|');
    out.append(extraction_columns[i]);
  }
  out.push_back('\n');
  return out;
}

std::string format_extraction_row(const entry& e) {
  std::string out;
  auto put = [&](std::string_view v) {
    for (char c : v) out.push_back(c == '|' || c == '\r' || c == '\n' ? ' ' : c);
  };
  put(storage::to_string(e.type));
  out.push_back('|');
  put(e.address);
  for (std::size_t i = 0; i < field_count; ++i) {
    out.push_back('|');
    put(e.text(static_cast<field>(i)));
  }
  out.push_back('\n');
  return out;
}

}  // namespace mssgw::directory
