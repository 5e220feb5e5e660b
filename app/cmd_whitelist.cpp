// `mssgw whitelist show|check DOMAIN|refresh`: inspect and refresh the ANS whitelist (the trust space).
//
// show and check read the last good copy kept in the state store (what a running `serve` uses after a restart), or,
// with --file PATH, a whitelist file directly (an operator checking a download before installing it). refresh fetches
// from the configured [whitelist] url or file now, conditionally on the stored validators (--force: unconditionally),
// and stores the result as the last good copy; a running server picks it up at its next refresh or on SIGHUP.
// Exit status: 0 done / listed, 1 refused / not listed / failed, 2 usage.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "app/commands.hpp"
#include "trustspace/refresher.hpp"
#include "trustspace/verdict.hpp"

namespace mssgw::app {
namespace {

using nlohmann::json;
using trustspace::clock;

struct whitelist_args {
  std::string file;
  std::string domain;
  std::string dn;
  bool force = false;
  bool list = false;
};

// What show and check work on: a parsed copy and where it came from.
struct loaded_copy {
  std::shared_ptr<const trustspace::snapshot> snap;
  std::string source;
  std::optional<trustspace::stored_meta> meta;      // state copies only
  std::optional<clock::time_point> current_as_of;  // when the copy was last known current
  std::chrono::seconds max_age{0};
};

std::string human_age(std::chrono::seconds age) {
  auto s = age.count();
  if (s < 0) return "in the future";
  std::ostringstream out;
  if (s >= 86400) out << s / 86400 << "d" << (s % 86400) / 3600 << "h";
  else if (s >= 3600) out << s / 3600 << "h" << (s % 3600) / 60 << "m";
  else if (s >= 60) out << s / 60 << "m" << s % 60 << "s";
  else out << s << "s";
  return out.str();
}

// Loads settings without opening the store (for --file). Prints errors.
bool settings_only(const global_options& options, settings& out) {
  common::config_errors errors;
  if (!load_settings(options, out, errors)) {
    for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
    return false;
  }
  log::config lc = out.log;
  for (auto& l : lc.module_levels) l = std::max(l, log::level::warn);
  log::init(lc);
  return true;
}

std::optional<loaded_copy> load_copy(const global_options& options, const std::string& file) {
  loaded_copy copy;
  if (!file.empty()) {
    settings s;
    if (!settings_only(options, s)) return std::nullopt;
    copy.max_age = s.whitelist.max_age;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      print_error(file + ": " + std::error_code(errno, std::generic_category()).message());
      return std::nullopt;
    }
    if (static_cast<std::uint64_t>(st.st_size) > s.whitelist.max_size) {
      print_error(file + ": " + std::to_string(st.st_size) + " bytes, over the limit of " +
                  std::to_string(s.whitelist.max_size) + " ([whitelist] max_size)");
      return std::nullopt;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    auto r = trustspace::parse_whitelist(bytes.str(), s.whitelist.parsing());
    if (!r) {
      print_error(file + ": " + r.issue.to_string());
      return std::nullopt;
    }
    copy.snap = r.value;
    copy.source = file;
    copy.current_as_of = clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec));
    return copy;
  }
  auto ctx = open_admin(options);
  if (!ctx) return std::nullopt;
  copy.max_age = ctx->config.whitelist.max_age;
  std::optional<std::pair<trustspace::stored_meta, std::string>> stored;
  {
    auto txn = ctx->store->begin_read();
    stored = trustspace::read_stored(*txn);
  }
  if (!stored) {
    print_error("no whitelist copy in " + ctx->config.server.state_dir.string() +
                ": run `mssgw whitelist refresh`, or give --file PATH");
    return std::nullopt;
  }
  auto r = trustspace::parse_whitelist(stored->second, ctx->config.whitelist.parsing());
  if (!r) {
    print_error("the stored whitelist copy does not parse: " + r.issue.to_string());
    return std::nullopt;
  }
  copy.snap = r.value;
  copy.source = stored->first.source;
  copy.current_as_of = clock::time_point(std::chrono::milliseconds(stored->first.verified_ms));
  copy.meta = stored->first;
  return copy;
}

json entry_json(const trustspace::whitelist_entry& e) {
  return {{"domain", e.domain},
          {"description", e.description},
          {"dn", e.dn_text},
          {"responsable_contact", e.responsable_contact},
          {"support_contact", e.support_contact},
          {"date_maj", e.date_maj},
          {"line", e.line}};
}

}  // namespace

void register_whitelist(CLI::App& app, global_options& options) {
  auto args = std::make_shared<whitelist_args>();
  auto* cmd = app.add_subcommand("whitelist", "inspect and refresh the ANS whitelist (trust space)");
  cmd->require_subcommand(1);

  auto* show = cmd->add_subcommand("show", "summary of the stored whitelist copy (or of --file PATH)");
  show->add_option("--file", args->file, "a whitelist file to inspect instead of the stored copy");
  show->add_flag("--domains", args->list, "also list every domain with its DNs");
  show->add_flag("--json", options.json, "JSON output");
  show->callback([&options, args] {
    auto copy = load_copy(options, args->file);
    if (!copy) return void(options.exit_code = 1);
    const auto& s = *copy->snap;
    auto now = clock::now();
    std::optional<std::chrono::seconds> age;
    if (copy->current_as_of) age = std::chrono::duration_cast<std::chrono::seconds>(now - *copy->current_as_of);
    bool stale = !age || *age > copy->max_age;
    if (options.json) {
      json out = {{"source", copy->source},
                  {"generated", s.generated()},
                  {"entries", s.entries().size()},
                  {"domains", s.domain_count()},
                  {"distinct_dns", s.dns().size()},
                  {"operators", s.operator_count()},
                  {"sha256", s.sha256()},
                  {"size", s.size_bytes()},
                  {"age_seconds", age ? json(age->count()) : json(nullptr)},
                  {"max_age_seconds", copy->max_age.count()},
                  {"stale", stale}};
      if (copy->current_as_of) out["current_as_of"] = trustspace::format_iso8601(*copy->current_as_of);
      if (copy->meta) {
        out["etag"] = copy->meta->etag;
        out["last_modified"] = copy->meta->last_modified;
        out["fetched_at"] = trustspace::format_iso8601(clock::time_point(std::chrono::seconds(copy->meta->fetched_at)));
      }
      json warnings = json::array();
      for (const auto& w : s.warnings()) warnings.push_back(w.to_string());
      out["warnings"] = warnings;
      if (args->list) {
        json domains = json::object();
        for (const auto& name : s.domain_names()) {
          json dns = json::array();
          for (auto i : s.find(name)->dns) dns.push_back(s.dns()[i].to_string());
          domains[name] = dns;
        }
        out["domain_dns"] = domains;
      }
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << "source:        " << copy->source << "\n"
              << "generated:     " << (s.generated().empty() ? "(no DateDeGeneration)" : s.generated()) << "\n"
              << "entries:       " << s.entries().size() << "\n"
              << "domains:       " << s.domain_count() << "\n"
              << "distinct DNs:  " << s.dns().size() << "\n"
              << "operators:     " << s.operator_count() << "\n"
              << "size:          " << s.size_bytes() << " bytes, sha256 " << s.sha256() << "\n";
    if (copy->meta) {
      std::cout << "fetched:       "
                << trustspace::format_iso8601(clock::time_point(std::chrono::seconds(copy->meta->fetched_at))) << "\n";
      if (!copy->meta->etag.empty()) std::cout << "etag:          " << copy->meta->etag << "\n";
      if (!copy->meta->last_modified.empty()) std::cout << "last-modified: " << copy->meta->last_modified << "\n";
    }
    if (copy->current_as_of) {
      std::cout << (copy->meta ? "current as of: " : "modified:      ")
                << trustspace::format_iso8601(*copy->current_as_of) << " (age " << human_age(*age) << ")\n";
    }
    std::cout << "status:        "
              << (stale ? "STALE: older than " + human_age(copy->max_age) + " ([whitelist] max_age)" : "fresh") << "\n";
    if (!s.warnings().empty()) {
      std::cout << "warnings:      " << s.warnings().size() << "\n";
      for (const auto& w : s.warnings()) std::cout << "  " << w.to_string() << "\n";
    }
    if (args->list) {
      for (const auto& name : s.domain_names()) {
        std::cout << name << "\n";
        for (auto i : s.find(name)->dns) std::cout << "  " << s.dns()[i].to_string() << "\n";
      }
    }
  });

  auto* check = cmd->add_subcommand("check", "is DOMAIN whitelisted, and with which DNs (exit 0 listed, 1 not)");
  check->add_option("domain", args->domain, "mail domain")->required();
  check->add_option("--dn", args->dn, "also check that this certificate DN is listed for DOMAIN (RFC 4514)");
  check->add_option("--file", args->file, "a whitelist file to check instead of the stored copy");
  check->add_flag("--json", options.json, "JSON output");
  check->callback([&options, args] {
    std::optional<trustspace::dn> wanted;
    if (!args->dn.empty()) {
      auto parsed = trustspace::dn::parse(args->dn);
      if (!parsed) {
        print_error("--dn: " + parsed.message);
        options.exit_code = 2;
        return;
      }
      wanted = std::move(parsed.value);
    }
    auto copy = load_copy(options, args->file);
    if (!copy) return void(options.exit_code = 1);
    const auto& s = *copy->snap;
    const auto* rec = s.find(args->domain);
    std::optional<trustspace::verdict> dn_verdict;
    if (wanted) dn_verdict = trustspace::inbound(&*wanted, args->domain, s);
    bool ok = rec && (!dn_verdict || dn_verdict->accept);
    options.exit_code = ok ? 0 : 1;
    if (options.json) {
      json out = {{"domain", args->domain}, {"listed", rec != nullptr}, {"source", copy->source}};
      json dns = json::array();
      json entries = json::array();
      if (rec) {
        for (auto i : rec->dns) dns.push_back(s.dns()[i].to_string());
        for (auto i : rec->entries) entries.push_back(entry_json(s.entries()[i]));
      }
      out["dns"] = dns;
      out["entries"] = entries;
      if (dn_verdict) {
        out["dn"] = wanted->to_string();
        out["dn_listed"] = dn_verdict->accept;
        if (!dn_verdict->accept) out["reason"] = dn_verdict->log_reason;
      }
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (!rec) {
      std::cout << args->domain << ": not listed in the whitelist (" << copy->source << ")\n";
      return;
    }
    std::cout << args->domain << ": listed (" << rec->entries.size()
              << (rec->entries.size() == 1 ? " entry, " : " entries, ") << rec->dns.size()
              << (rec->dns.size() == 1 ? " DN)\n" : " DNs)\n");
    for (auto i : rec->entries) {
      const auto& e = s.entries()[i];
      std::cout << "  " << e.dn_text << "\n    " << e.description << " | updated " << e.date_maj << " | line "
                << e.line << "\n";
    }
    if (dn_verdict) {
      std::cout << (dn_verdict->accept ? "DN listed for " + args->domain : "DN NOT listed: " + dn_verdict->log_reason)
                << "\n";
    }
  });

  auto* refresh = cmd->add_subcommand("refresh", "fetch the whitelist now and store it as the last good copy");
  refresh->add_flag("--force", args->force, "no conditional request (ignore the stored ETag / Last-Modified)");
  refresh->add_flag("--json", options.json, "JSON output");
  refresh->callback([&options, args] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    const auto& cfg = ctx->config.whitelist;
    if (!cfg.configured()) {
      print_error("no [whitelist] url or file in the configuration");
      options.exit_code = 1;
      return;
    }
    trustspace::whitelist holder;
    trustspace::refresher refresher(holder, cfg, ctx->store.get(), ctx->writer.get());
    refresher.load_stored();
    auto outcome = refresher.refresh_once(args->force);
    bool stale = refresher.check_age();
    auto snap = holder.current();
    auto result = trustspace::to_string(outcome.result);
    log::audit("whitelist.refresh", {{"result", result}, {"source", cfg.source()}, {"by", "cli"}});
    options.exit_code = outcome.result == trustspace::refresh_outcome::kind::failed ? 1 : 0;
    if (options.json) {
      json out = {{"result", result},       {"source", cfg.source()},         {"entries", snap->entries().size()},
                  {"domains", snap->domain_count()}, {"stale", stale}, {"generated", snap->generated()}};
      if (outcome.result == trustspace::refresh_outcome::kind::failed) out["error"] = outcome.message;
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (outcome.result == trustspace::refresh_outcome::kind::failed) {
      print_error("refresh failed: " + outcome.message);
      if (holder.loaded()) {
        std::cerr << "mssgw: the stored copy is kept (" << snap->entries().size() << " entries"
                  << (stale ? ", STALE" : "") << ")\n";
      }
      return;
    }
    std::cout << result << ": " << snap->entries().size() << " entries, " << snap->domain_count() << " domains, "
              << snap->dns().size() << " distinct DNs (" << cfg.source() << ")"
              << (stale ? " STALE" : "") << "\n";
  });
}

}  // namespace mssgw::app
