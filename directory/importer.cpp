#include "directory/importer.hpp"

#include <fstream>

#include "common/log.hpp"
#include "directory/config.hpp"

namespace mssgw::directory {

namespace {
std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

bool exceeds_delete_guard(const plan& p, int percent) {
  if (p.owned_before < delete_guard_min_entries || percent >= 100) return false;
  return p.deleted * 100 > p.owned_before * static_cast<std::size_t>(std::max(percent, 0));
}

bool load_extraction_file(const std::filesystem::path& path, extraction_loader& loader, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = "cannot open " + path.string();
    return false;
  }
  std::error_code size_ec;
  auto size = std::filesystem::file_size(path, size_ec);
  if (!size_ec) loader.set().reserve(static_cast<std::size_t>(size / 200));  // rows are ~230 bytes in the ANS file
  std::string buffer(1 << 20, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n > 0) loader.feed(std::string_view(buffer.data(), n));
  }
  if (in.bad()) {
    why = "error reading " + path.string();
    return false;
  }
  loader.finish();
  return true;
}

std::error_code import_extraction(storage::kv_store& store, storage::writer& writer, extraction_loader& loader,
                                  const import_options& options, import_report& report) {
  log::context log(log::module::directory);
  const auto& parser = loader.parser();
  report.lines = parser.lines();
  report.rows = parser.rows();
  report.error_count = parser.error_count();
  report.errors = parser.errors();
  report.warnings = parser.warnings();
  report.duplicates = loader.set().duplicates();
  if (!parser.header_ok()) return make_error_code(errc::header_invalid);
  if (parser.error_count() > options.max_errors) {
    log.warn("directory.import.refused", {{"errors", parser.error_count()}, {"ceiling", options.max_errors}});
    return make_error_code(errc::too_many_errors);
  }

  const auto started = std::chrono::steady_clock::now();
  build_session session(store, writer, source_kind::extraction, options.build);
  if (!session.ok()) {
    report.busy_with = session.holder();
    return session.status();
  }
  const std::int64_t now = unix_now();
  plan p = session.plan_replace(loader.set().take(), now);
  report.changes = p.counts();
  if (!options.force && exceeds_delete_guard(p, options.max_delete_percent)) {
    log.warn("directory.import.refused", {{"deletes", p.deleted}, {"owned", p.owned_before},
                                          {"max_delete_percent", options.max_delete_percent}});
    return make_error_code(errc::too_many_deletes);
  }
  if (options.dry_run) return {};
  run_stats stats;
  stats.last_success = now;
  stats.entries = p.owned_after();
  stats.added = p.added + p.taken_over;
  stats.updated = p.updated;
  stats.deleted = p.deleted;
  stats.mode = run_mode::full;
  auto ec = session.apply(p, now, [&stats](storage::write_txn& txn) {
    write_run_stats(txn, source_kind::extraction, stats);
  });
  report.apply_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  if (ec) return ec;
  report.applied = true;
  log.info("directory.import.done", {{"rows", report.rows}, {"added", p.added}, {"updated", p.updated},
                                     {"deleted", p.deleted}, {"unchanged", p.unchanged}, {"shadowed", p.shadowed},
                                     {"entries", stats.entries}, {"ms", report.apply_time.count()}});
  return {};
}

}  // namespace mssgw::directory
