// The ANS public extraction of MSSanté addresses (mssante/README §3): a UTF-8, `|`-separated file with one header
// line and 31 columns. This unit parses it from bytes (no I/O) and writes it back (for `mssgw directory export`).
//
// Parsing (extraction_parser):
// - Push parser: feed() any chunks (split anywhere, even inside a UTF-8 sequence or a CRLF), then finish(). Each
//   accepted row is handed to the sink with its line number; results do not depend on how the input was split.
// - The header is matched by column NAME, not position: names are compared folded (case, accents, spaces and
//   punctuation ignored), so "Civilite d'exercice" matches "Civilité d'exercice". Columns may come in any order;
//   "Type de BAL" and "Adresse BAL" are required, other missing columns are empty (with a warning), unknown
//   columns are ignored (with a warning), a column named twice is a header error.
// - Tolerated: a UTF-8 BOM, CRLF line ends, a trailing `|` on any line, blank lines, spaces around values.
// - A malformed line (wrong number of fields, unknown BAL type, invalid address, invalid UTF-8 or control
//   characters, an over-long line or field) is reported with its line number and skipped.
// - A header error stops the parse: no row is produced.
//
// Duplicates (extraction_set): the file has no stable id and a few addresses appear twice; rows of one address are
// merged (a field empty in the first row is taken from a later one). A duplicate with another BAL type is refused.
//
// Threading: none; one parser per file.
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "directory/entry.hpp"

namespace mssgw::directory {

// The ANS header, in file order: "Type de BAL", "Adresse BAL", then one column per `field`.
inline constexpr std::size_t extraction_column_count = 31;
extern const std::array<std::string_view, extraction_column_count> extraction_columns;

struct extraction_error {
  std::size_t line = 0;  // 1-based; 0 for the file as a whole
  std::string reason;
};

struct extraction_limits {
  std::size_t max_line_size = 64 * 1024;
  std::size_t max_field_size = 2048;
  std::size_t max_reported_errors = 1000;  // errors beyond this are counted but not kept
};

// A parsed row without copies: views into the line being parsed, valid during the sink call only.
struct row_view {
  bal_type type = bal_type::PER;
  std::string_view address;  // normalised (lowercased)
  const field_views* fields = nullptr;
};

class extraction_parser {
 public:
  using sink = std::function<void(std::size_t line, entry&& row)>;
  using view_sink = std::function<void(std::size_t line, const row_view& row)>;
  explicit extraction_parser(sink on_row, extraction_limits limits = {});
  // Rows go to `on_row` as views instead (no entry is built): what large imports use.
  void set_view_sink(view_sink on_row) { view_sink_ = std::move(on_row); }

  void feed(std::string_view chunk);
  // Processes a last line without a line end, and reports an input with no header.
  void finish();

  // Records an error found by the caller (e.g. a conflicting duplicate) in the same list.
  void report(std::size_t line, std::string reason);

  bool header_ok() const { return header_ok_; }
  bool header_failed() const { return header_failed_; }
  std::size_t lines() const { return line_; }
  std::size_t rows() const { return rows_; }
  std::size_t error_count() const { return error_count_; }
  // The first max_reported_errors errors, in line order.
  const std::vector<extraction_error>& errors() const { return errors_; }
  // Notes about the header (unknown or missing optional columns).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  void line(std::string_view text);
  void header(std::string_view text);
  void row(std::string_view text);

  sink sink_;
  view_sink view_sink_;
  extraction_limits limits_;
  std::string partial_;
  bool skipping_ = false;  // inside an over-long line, dropping bytes until its end
  std::size_t line_ = 0;
  std::size_t rows_ = 0;
  std::size_t error_count_ = 0;
  bool header_ok_ = false;
  bool header_failed_ = false;
  // column position in the file -> what it holds: -2 ignored, -1 type, 0 address, 1 + field index.
  std::vector<int> columns_;
  std::vector<extraction_error> errors_;
  std::vector<std::string> warnings_;
};

// Rows keyed by address, with duplicates merged; contents are kept encoded (encode_content) to stay compact.
class extraction_set {
 public:
  // Adds `e` (its address already normalised). Returns an error reason when a duplicate conflicts.
  std::optional<std::string> add(entry&& e);
  std::optional<std::string> add(const row_view& row);
  std::size_t size() const { return contents_.size(); }
  std::size_t duplicates() const { return duplicates_; }
  void reserve(std::size_t rows) { contents_.reserve(rows); }
  // address -> encoded content.
  const content_map& contents() const { return contents_; }
  content_map take() { return std::move(contents_); }

 private:
  content_map contents_;
  std::size_t duplicates_ = 0;
};

// A parser feeding a set: what an import reads a file with. Duplicate conflicts are reported through the parser,
// so that errors() lists every problem in line order.
class extraction_loader {
 public:
  explicit extraction_loader(extraction_limits limits = {});
  extraction_loader(const extraction_loader&) = delete;
  extraction_loader& operator=(const extraction_loader&) = delete;
  void feed(std::string_view chunk) { parser_.feed(chunk); }
  void finish() { parser_.finish(); }
  const extraction_parser& parser() const { return parser_; }
  extraction_set& set() { return set_; }

 private:
  extraction_set set_;
  extraction_parser parser_;
};

// Writing: the ANS header line and one row, each ending with "\n". A `|`, CR or LF inside a value (which the
// format cannot carry) is written as a space.
std::string format_extraction_header();
std::string format_extraction_row(const entry& e);

}  // namespace mssgw::directory
