// `mssgw directory sync|import|lookup|search|export|export-ldif|status`: the Annuaire Santé mirror (directory/).
// Exit status: 0 done, 1 refused or failed (the message says why), 2 usage. Imports and syncs go to the audit log.
#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "directory/extraction.hpp"
#include "directory/importer.hpp"
#include "directory/ldap/sync.hpp"
#include "directory/ldif.hpp"
#include "directory/lookup.hpp"
#include "storage/account_store.hpp"

namespace mssgw::app {
namespace {

using nlohmann::json;
namespace dir = directory;

std::string iso_time(std::int64_t t) {
  if (t <= 0) return "";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json to_json(const dir::entry& e) {
  json j = {{"address", e.address},
            {"type", storage::to_string(e.type)},
            {"source", dir::to_string(e.source)},
            {"local", e.local},
            {"liste_rouge", e.liste_rouge}};
  for (std::size_t i = 0; i < dir::field_count; ++i) {
    auto f = static_cast<dir::field>(i);
    j[std::string(dir::field_name(f))] = e.text(f);
  }
  j["entry_uuid"] = e.entry_uuid.empty() ? "" : dir::format_uuid(e.entry_uuid);
  j["updated"] = iso_time(e.updated);
  j["last_seen"] = iso_time(e.last_seen);
  return j;
}

void print_entry(const dir::entry& e) {
  auto line = [](std::string_view label, std::string_view value) {
    if (value.empty()) return;
    std::cout << label << ":" << std::string(label.size() < 26 ? 26 - label.size() : 1, ' ') << value << "\n";
  };
  line("address", e.address);
  line("type", storage::to_string(e.type));
  line("source", std::string(dir::to_string(e.source)) + (e.local ? " (hosted here)" : ""));
  for (std::size_t i = 0; i < dir::field_count; ++i) {
    auto f = static_cast<dir::field>(i);
    line(dir::field_name(f), e.text(f));
  }
  if (e.liste_rouge) line("liste_rouge", "yes");
  if (!e.entry_uuid.empty()) line("entry_uuid", dir::format_uuid(e.entry_uuid));
  line("updated", iso_time(e.updated));
  line("last_seen", iso_time(e.last_seen));
}

void print_summary_line(const dir::entry& e) {
  std::string name = e.surname;
  if (!e.given_name.empty()) name += (name.empty() ? "" : " ") + e.given_name;
  if (name.empty()) name = e.service.empty() ? e.structure_name : e.service;
  std::cout << e.address << "\t" << storage::to_string(e.type) << "\t" << e.idnat << "\t" << name << "\t"
            << e.profession_label << "\t" << e.structure_name << "\n";
}

dir::local_policy local_policy_of(const settings& s) {
  dir::local_policy p;
  for (const auto& d : s.server.local_domains) {
    std::string lower = d;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    p.domains.push_back(lower);
  }
  return p;
}

json plan_json(const dir::plan& p) {
  return {{"added", p.added + p.taken_over}, {"updated", p.updated}, {"deleted", p.deleted},
          {"unchanged", p.unchanged},       {"shadowed", p.shadowed}, {"entries", p.owned_after()}};
}

std::string plan_text(const dir::plan& p) {
  return std::to_string(p.added + p.taken_over) + " added, " + std::to_string(p.updated) + " updated, " +
         std::to_string(p.deleted) + " deleted, " + std::to_string(p.unchanged) + " unchanged" +
         (p.shadowed ? ", " + std::to_string(p.shadowed) + " left to LDAP" : "") + "; " +
         std::to_string(p.owned_after()) + " entries";
}

std::string busy_text(const std::optional<dir::lease_info>& holder) {
  if (!holder) return "another directory update is in progress";
  return "another directory update is in progress (" + std::string(dir::to_string(holder->source)) + ", pid " +
         std::to_string(holder->pid) + " on " + holder->host + ", since " + iso_time(holder->started) + ")";
}

// Writes `content` to `path` through a temporary file and a rename, so a reader never sees half a file.
bool write_file(const std::filesystem::path& path, const std::string& content, std::string& why) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      why = "cannot write " + tmp.string();
      return false;
    }
    out << content;
    if (!out.flush()) {
      why = "error writing " + tmp.string();
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    why = "cannot rename " + tmp.string() + ": " + ec.message();
    return false;
  }
  return true;
}

struct directory_args {
  std::string file, out, address, text, idnat, structure, cookie, base;
  bool full = false, force = false, dry_run = false, all = false;
  int max_errors = -1;
  std::size_t limit = 50;
};

}  // namespace

void register_directory(CLI::App& app, global_options& options) {
  auto args = std::make_shared<directory_args>();
  auto* cmd = app.add_subcommand("directory", "the Annuaire Santé mirror (LDAP sync, ANS extraction, lookups)");
  cmd->require_subcommand(1);

  // ---- sync ----
  auto* sync = cmd->add_subcommand("sync", "run one LDAP sync now ([directory.ldap])");
  sync->add_flag("--full", args->full, "ignore the stored cookie: full paged reload");
  sync->add_flag("--force", args->force, "apply even if it deletes more than max_delete_percent");
  sync->add_option("--cookie", args->cookie, "resume from this RFC 4533 cookie instead of the stored one");
  sync->add_flag("--json", options.json, "JSON output");
  sync->callback([&options, args] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    const auto& cfg = ctx->config.directory;
    if (!cfg.ldap.enabled()) {
      print_error("directory sync: no LDAP server configured ([directory.ldap] url)");
      options.exit_code = 1;
      return;
    }
    dir::ldap::sync_options so;
    so.force_full = args->full;
    so.force = args->force;
    if (!args->cookie.empty()) so.cookie = args->cookie;
    dir::ldap::sync_report report;
    auto ec = dir::ldap::sync_once(*ctx->store, *ctx->writer, cfg, so, report);
    const char* mode = report.mode == dir::run_mode::full ? "full" : "incremental";
    if (options.json) {
      json out = {{"ok", !ec}, {"mode", mode}, {"cookie_refused", report.cookie_refused},
                  {"received", report.received}, {"skipped", report.skipped},
                  {"fetch_ms", report.fetch_time.count()}, {"apply_ms", report.apply_time.count()}};
      if (!ec) out["changes"] = plan_json(report.changes);
      if (ec) out["error"] = ec == dir::errc::busy ? busy_text(report.busy_with) : ec.message();
      if (!report.detail.empty()) out["detail"] = report.detail;
      std::cout << out.dump(2) << "\n";
    }
    if (ec) {
      if (!options.json) {
        print_error("directory sync: " + (ec == dir::errc::busy ? busy_text(report.busy_with) : ec.message()) +
                    (report.detail.empty() ? "" : " (" + report.detail + ")") + "; the mirror is unchanged");
      }
      log::audit("directory.sync.failed", {{"by", "cli"}, {"reason", ec.message()}});
      options.exit_code = 1;
      return;
    }
    log::audit("directory.sync", {{"by", "cli"}, {"mode", mode}, {"added", report.changes.added},
                                  {"updated", report.changes.updated}, {"deleted", report.changes.deleted}});
    if (!options.json) {
      if (report.cookie_refused) std::cout << "the server refused the stored cookie (" << report.detail << ")\n";
      std::cout << mode << " sync: " << report.received << " received, " << plan_text(report.changes) << " ("
                << report.fetch_time.count() << " ms fetching, " << report.apply_time.count() << " ms applying)\n";
      if (report.skipped) std::cout << report.skipped << " unusable LDAP entries skipped (see the log)\n";
    }
  });

  // ---- import ----
  auto* import = cmd->add_subcommand("import", "apply the ANS extraction file (31 columns, '|') as a diff");
  import->add_option("file", args->file, "the extraction file")->required();
  import->add_flag("--force", args->force, "apply even if it deletes more than max_delete_percent");
  import->add_flag("--dry-run", args->dry_run, "report what would change; apply nothing");
  import->add_option("--max-errors", args->max_errors, "malformed lines tolerated (default: import_max_errors)");
  import->add_flag("--json", options.json, "JSON output");
  import->callback([&options, args] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    const auto& cfg = ctx->config.directory;
    dir::extraction_loader loader;
    std::string why;
    auto parse_started = std::chrono::steady_clock::now();
    if (!dir::load_extraction_file(args->file, loader, why)) {
      print_error("directory import: " + why);
      options.exit_code = 1;
      return;
    }
    auto parse_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                          parse_started);
    dir::import_options io;
    io.max_errors = static_cast<std::size_t>(args->max_errors >= 0 ? args->max_errors : cfg.import_max_errors);
    io.max_delete_percent = cfg.max_delete_percent;
    io.force = args->force;
    io.dry_run = args->dry_run;
    io.build.batch_keys = static_cast<std::size_t>(cfg.batch_keys);
    if (!options.json) {
      // Listed before the import runs, so that its log lines (standard error too) come after them.
      const auto& parser = loader.parser();
      for (const auto& w : parser.warnings()) std::cerr << args->file << ": warning: " << w << "\n";
      for (const auto& e : parser.errors()) std::cerr << args->file << ":" << e.line << ": " << e.reason << "\n";
      if (parser.error_count() > parser.errors().size()) {
        std::cerr << args->file << ": ... and " << (parser.error_count() - parser.errors().size())
                  << " more errors\n";
      }
      std::cerr.flush();
    }
    dir::import_report report;
    auto ec = dir::import_extraction(*ctx->store, *ctx->writer, loader, io, report);
    std::string failure;
    if (ec == dir::errc::busy) {
      failure = busy_text(report.busy_with);
    } else if (ec == dir::errc::too_many_errors) {
      failure = std::to_string(report.error_count) + " malformed lines, more than the ceiling of " +
                std::to_string(io.max_errors) + ": nothing applied";
    } else if (ec == dir::errc::too_many_deletes) {
      failure = "the file would delete " + std::to_string(report.changes.deleted) + " of " +
                std::to_string(report.changes.owned_before) + " entries (max_delete_percent " +
                std::to_string(io.max_delete_percent) + "): nothing applied; use --force if this is intended";
    } else if (ec) {
      failure = ec.message();
    }
    if (options.json) {
      json errors = json::array();
      for (const auto& e : report.errors) errors.push_back({{"line", e.line}, {"reason", e.reason}});
      json out = {{"ok", !ec},
                  {"applied", report.applied},
                  {"lines", report.lines},
                  {"rows", report.rows},
                  {"duplicates", report.duplicates},
                  {"error_count", report.error_count},
                  {"errors", errors},
                  {"warnings", report.warnings},
                  {"parse_ms", parse_ms.count()},
                  {"apply_ms", report.apply_time.count()}};
      if (!ec || ec == dir::errc::too_many_deletes) out["changes"] = plan_json(report.changes);
      if (ec) out["error"] = failure;
      std::cout << out.dump(2) << "\n";
    }
    if (ec) {
      if (!options.json) print_error("directory import: " + failure);
      log::audit("directory.import.refused", {{"by", "cli"}, {"file", args->file}, {"reason", ec.message()}});
      options.exit_code = 1;
      return;
    }
    if (!args->dry_run) {
      log::audit("directory.import", {{"by", "cli"}, {"file", args->file}, {"added", report.changes.added},
                                      {"updated", report.changes.updated}, {"deleted", report.changes.deleted}});
    }
    if (!options.json) {
      std::cout << (args->dry_run ? "dry run: " : "imported ") << report.rows << " rows";
      if (report.duplicates) std::cout << " (" << report.duplicates << " duplicates merged)";
      if (report.error_count) std::cout << ", " << report.error_count << " malformed lines skipped";
      std::cout << ": " << plan_text(report.changes) << "\n";
    }
  });

  // ---- lookup ----
  auto* lookup = cmd->add_subcommand("lookup", "show the directory entry of an address");
  lookup->add_option("address", args->address, "BAL address (case-insensitive)")->required();
  lookup->add_flag("--json", options.json, "JSON output");
  lookup->callback([&options, args] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto policy = local_policy_of(ctx->config);
    auto txn = ctx->store->begin_read();
    dir::reader r(*txn, &policy);
    auto e = r.by_address(args->address);
    if (!e) {
      if (options.json) std::cout << json{{"found", false}, {"address", args->address}}.dump(2) << "\n";
      print_error("no directory entry for " + args->address);
      options.exit_code = 1;
      return;
    }
    if (options.json) {
      json out = to_json(*e);
      out["found"] = true;
      std::cout << out.dump(2) << "\n";
    } else {
      print_entry(*e);
    }
  });

  // ---- search ----
  auto* search = cmd->add_subcommand("search", "find entries by name (accents and case ignored), idNat or structure");
  search->add_option("text", args->text, "name words: each must start a surname or given name");
  search->add_option("--idnat", args->idnat, "entries of this national id instead");
  search->add_option("--structure", args->structure, "entries of this structure id instead");
  search->add_option("--limit", args->limit, "at most this many results")->capture_default_str();
  search->add_flag("--all", args->all, "include liste rouge entries");
  search->add_flag("--json", options.json, "JSON output");
  search->callback([&options, args] {
    int modes = !args->text.empty() + !args->idnat.empty() + !args->structure.empty();
    if (modes != 1) {
      print_error("directory search: give TEXT, --idnat ID or --structure ID (one of them)");
      options.exit_code = 2;
      return;
    }
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto policy = local_policy_of(ctx->config);
    auto txn = ctx->store->begin_read();
    dir::reader r(*txn, &policy);
    dir::search_options so;
    so.limit = args->limit;
    so.include_liste_rouge = args->all;
    std::vector<dir::entry> found = !args->idnat.empty()       ? r.by_idnat(args->idnat, so)
                                    : !args->structure.empty() ? r.by_structure(args->structure, so)
                                                               : r.search_name(args->text, so);
    if (options.json) {
      json out = json::array();
      for (const auto& e : found) out.push_back(to_json(e));
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (const auto& e : found) print_summary_line(e);
    std::cout << found.size() << (found.size() == 1 ? " entry" : " entries")
              << (found.size() == so.limit ? " (limit reached)" : "") << "\n";
  });

  // ---- export ----
  auto* exp = cmd->add_subcommand("export", "write the BALs hosted here in the ANS extraction format");
  exp->add_option("file", args->out, "output file (default: standard output)");
  exp->callback([&options, args] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto policy = local_policy_of(ctx->config);
    auto txn = ctx->store->begin_read();
    dir::reader r(*txn, &policy);
    std::map<std::string, dir::entry> local;
    std::size_t hidden = 0;
    r.for_each([&](const dir::entry& e) {
      if (e.local) local.emplace(e.address, e);
      return true;
    });
    for (const auto& bal : storage::accounts::list(*txn)) {
      if (local.count(bal.address)) continue;
      if (auto e = r.by_address(bal.address)) local.emplace(bal.address, std::move(*e));
    }
    std::string content = dir::format_extraction_header();
    for (const auto& [address, e] : local) {
      if (e.liste_rouge) {  // liste rouge: never published
        ++hidden;
        continue;
      }
      content += dir::format_extraction_row(e);
    }
    const std::size_t written = local.size() - hidden;
    if (args->out.empty()) {
      std::cout << content;
    } else {
      std::string why;
      if (!write_file(args->out, content, why)) {
        print_error("directory export: " + why);
        options.exit_code = 1;
        return;
      }
      std::cout << "exported " << written << " local BALs to " << args->out
                << (hidden ? " (" + std::to_string(hidden) + " on liste rouge left out)" : "") << "\n";
    }
    log::audit("directory.export", {{"by", "cli"}, {"entries", written}});
  });

  // ---- export-ldif ----
  auto* ldif = cmd->add_subcommand("export-ldif", "turn an ANS extraction file into LDIF for the mssgw schema");
  ldif->add_option("extraction", args->file, "the extraction file")->required();
  ldif->add_option("out", args->out, "the LDIF file to write")->required();
  ldif->add_option("--base", args->base, "parent DN of the entries (default: [directory.ldap] base)");
  ldif->add_option("--max-errors", args->max_errors, "malformed lines tolerated (default: import_max_errors)");
  ldif->callback([&options, args] {
    common::config_errors errors;
    settings s;
    if (!load_settings(options, s, errors)) {
      for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
      options.exit_code = 1;
      return;
    }
    std::string base = !args->base.empty() ? args->base : s.directory.ldap.base;
    if (base.empty()) {
      print_error("directory export-ldif: give --base DN (or set [directory.ldap] base)");
      options.exit_code = 2;
      return;
    }
    dir::extraction_loader loader;
    std::string why;
    if (!dir::load_extraction_file(args->file, loader, why)) {
      print_error("directory export-ldif: " + why);
      options.exit_code = 1;
      return;
    }
    const auto& parser = loader.parser();
    for (const auto& e : parser.errors()) std::cerr << args->file << ":" << e.line << ": " << e.reason << "\n";
    const auto ceiling =
        static_cast<std::size_t>(args->max_errors >= 0 ? args->max_errors : s.directory.import_max_errors);
    if (!parser.header_ok() || parser.error_count() > ceiling) {
      print_error("directory export-ldif: " + std::string(!parser.header_ok() ? "unusable header"
                                                                               : "too many malformed lines") +
                  ": nothing written");
      options.exit_code = 1;
      return;
    }
    // Address order, so that the LDIF is stable from one day's file to the next.
    std::vector<std::pair<std::string, std::string>> rows(loader.set().contents().begin(),
                                                          loader.set().contents().end());
    std::sort(rows.begin(), rows.end());
    std::string content;
    dir::entry e;
    for (const auto& [address, bytes] : rows) {
      e = dir::entry{};
      dir::decode_content(bytes, e);
      e.address = address;
      content += dir::format_ldif_entry(e, base);
    }
    if (!write_file(args->out, content, why)) {
      print_error("directory export-ldif: " + why);
      options.exit_code = 1;
      return;
    }
    std::cout << "wrote " << rows.size() << " entries under " << base << " to " << args->out;
    if (parser.error_count()) std::cout << " (" << parser.error_count() << " malformed lines skipped)";
    std::cout << "\n";
  });

  // ---- status ----
  auto* status = cmd->add_subcommand("status", "what the mirror holds, per source, and any update in progress");
  status->add_flag("--json", options.json, "JSON output");
  status->callback([&options] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto policy = local_policy_of(ctx->config);
    auto txn = ctx->store->begin_read();
    dir::reader r(*txn, &policy);
    std::map<std::string, std::size_t> counts;
    std::size_t total = 0, local = 0, hidden = 0;
    r.for_each([&](const dir::entry& e) {
      ++counts[std::string(dir::to_string(e.source))];
      ++total;
      local += e.local;
      hidden += e.liste_rouge;
      return true;
    });
    auto cookie = dir::read_cookie(*txn);
    auto lease = dir::read_lease(*txn);
    json sources = json::object();
    for (auto s : {dir::source_kind::extraction, dir::source_kind::ldap}) {
      json j = {{"entries", counts[std::string(dir::to_string(s))]}};
      if (auto stats = dir::read_run_stats(*txn, s)) {
        j["last_success"] = iso_time(stats->last_success);
        j["last_mode"] = stats->mode == dir::run_mode::full ? "full" : "incremental";
        j["last_added"] = stats->added;
        j["last_updated"] = stats->updated;
        j["last_deleted"] = stats->deleted;
      }
      sources[std::string(dir::to_string(s))] = j;
    }
    json out = {{"generation", r.generation()}, {"entries", total}, {"local", local}, {"liste_rouge", hidden},
                {"sources", sources}, {"cookie", cookie ? cookie->cookie : ""}};
    if (cookie) {
      out["cookie_matches_config"] = cookie->fingerprint == ctx->config.directory.ldap.fingerprint();
    }
    if (lease) {
      out["update_in_progress"] = {{"source", dir::to_string(lease->source)}, {"pid", lease->pid},
                                   {"host", lease->host}, {"started", iso_time(lease->started)},
                                   {"generation", lease->generation}};
    }
    if (options.json) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << "generation:  " << r.generation() << "\nentries:     " << total << " (" << local
              << " hosted here, " << hidden << " on liste rouge)\n";
    for (auto& [name, j] : sources.items()) {
      std::cout << name << ":" << std::string(12 - name.size(), ' ') << j["entries"].get<std::size_t>()
                << " entries";
      if (j.contains("last_success")) {
        std::cout << ", last " << j["last_mode"].get<std::string>() << " run " << j["last_success"].get<std::string>();
      }
      std::cout << "\n";
    }
    std::cout << "cookie:      " << (cookie ? cookie->cookie : "none") << "\n";
    if (lease) {
      std::cout << "in progress: " << dir::to_string(lease->source) << " update by pid " << lease->pid << " on "
                << lease->host << " since " << iso_time(lease->started) << "\n";
    }
  });
}

}  // namespace mssgw::app
