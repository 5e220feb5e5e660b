// `mssgw bal create|list|show|delete|grant|revoke`: local mailboxes (BALs) and their delegations.
// Every change goes to the audit log. Exit status: 0 done, 1 refused (the message says why), 2 usage.
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::app {
namespace {

using nlohmann::json;

json to_json(const storage::account_record& a) {
  json delegations = json::array();
  for (const auto& d : a.delegations) {
    delegations.push_back({{"identity", d.identity}, {"rights", storage::rights_to_string(d.rights)}});
  }
  return {{"address", a.address}, {"type", storage::to_string(a.type)}, {"owner", a.owner_idnat},
          {"name", a.display_name}, {"created", a.created}, {"delegations", delegations}};
}

std::string explain(std::error_code ec, std::string_view address) {
  if (ec == storage::errc::not_found) return "no BAL " + std::string(address);
  if (ec == storage::errc::already_exists) return "BAL " + std::string(address) + " already exists";
  return std::string(address) + ": " + ec.message();
}

struct bal_args {
  std::string address, type = "PER", owner, name, identity, rights;
};

}  // namespace

void register_bal(CLI::App& app, global_options& options) {
  auto args = std::make_shared<bal_args>();
  auto* bal = app.add_subcommand("bal", "local mailboxes (BALs) and their delegations");
  bal->require_subcommand(1);

  auto* create = bal->add_subcommand("create", "create a BAL with its INBOX and special-use mailboxes");
  create->add_option("address", args->address, "BAL address")->required();
  create->add_option("--type", args->type, "PER, ORG, APP or CAB")->capture_default_str();
  create->add_option("--owner", args->owner, "owner's national id (idNat); required for PER");
  create->add_option("--name", args->name, "display name");
  create->callback([&options, args] {
    auto type = storage::parse_bal_type(args->type);
    if (!type) {
      print_error("--type must be PER, ORG, APP or CAB, not \"" + args->type + "\"");
      options.exit_code = 2;
      return;
    }
    auto address = storage::normalise_bal_address(args->address);
    if (!address) {
      print_error("\"" + args->address + "\" is not a valid mailbox address");
      options.exit_code = 1;
      return;
    }
    if (*type == storage::bal_type::PER && args->owner.empty()) {
      print_error("a PER BAL needs --owner IDNAT (the professional's national id)");
      options.exit_code = 1;
      return;
    }
    if (!args->owner.empty() && !storage::valid_idnat(args->owner)) {
      print_error("\"" + args->owner + "\" is not a valid national id");
      options.exit_code = 1;
      return;
    }
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    storage::account_record rec;
    rec.address = *address;
    rec.type = *type;
    rec.owner_idnat = args->owner;
    rec.display_name = args->name;
    auto ec = ctx->writer->run([rec](storage::write_txn& txn) { return storage::accounts::create(txn, rec); });
    if (ec) {
      print_error(explain(ec, *address));
      options.exit_code = 1;
      return;
    }
    log::audit("bal.create", {{"bal", *address}, {"type", storage::to_string(*type)}, {"by", "cli"}});
    std::cout << "created " << *address << " (" << storage::to_string(*type) << ")\n";
  });

  auto* list = bal->add_subcommand("list", "list BALs");
  list->add_flag("--json", options.json, "JSON output");
  list->callback([&options] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto all = storage::accounts::list(*ctx->store->begin_read());
    if (options.json) {
      json out = json::array();
      for (const auto& a : all) out.push_back(to_json(a));
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (const auto& a : all) {
      std::cout << a.address << "\t" << storage::to_string(a.type) << "\t" << a.owner_idnat << "\t" << a.display_name
                << "\n";
    }
    std::cout << all.size() << (all.size() == 1 ? " BAL\n" : " BALs\n");
  });

  auto* show = bal->add_subcommand("show", "show a BAL, its delegations and its mailboxes");
  show->add_option("address", args->address, "BAL address")->required();
  show->add_flag("--json", options.json, "JSON output");
  show->callback([&options, args] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto txn = ctx->store->begin_read();
    auto a = storage::accounts::get(*txn, args->address);
    if (!a) {
      print_error("no BAL " + args->address);
      options.exit_code = 1;
      return;
    }
    auto boxes = storage::mailboxes::list(*txn, a->address);
    if (options.json) {
      json out = to_json(*a);
      out["mailboxes"] = json::array();
      for (const auto& mb : boxes) {
        out["mailboxes"].push_back({{"name", mb.name}, {"special_use", mb.special_use}, {"messages", mb.exists},
                                    {"unseen", mb.unseen}, {"size", mb.size}, {"uidvalidity", mb.uidvalidity},
                                    {"uidnext", mb.uidnext}, {"highestmodseq", mb.highestmodseq}});
      }
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << "address:  " << a->address << "\ntype:     " << storage::to_string(a->type) << "\nowner:    "
              << a->owner_idnat << "\nname:     " << a->display_name << "\n";
    std::cout << "delegations:" << (a->delegations.empty() ? " none" : "") << "\n";
    for (const auto& d : a->delegations) std::cout << "  " << d.identity << "\t" << storage::rights_to_string(d.rights) << "\n";
    std::cout << "mailboxes:\n";
    for (const auto& mb : boxes) {
      std::cout << "  " << mb.name << (mb.special_use.empty() ? "" : " (" + mb.special_use + ")") << "\t" << mb.exists
                << " messages, " << mb.unseen << " unseen, " << mb.size << " bytes\n";
    }
  });

  auto* remove = bal->add_subcommand("delete", "delete a BAL with its mailboxes and messages");
  remove->add_option("address", args->address, "BAL address")->required();
  remove->callback([&options, args] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto ec = ctx->writer->run([address = args->address](storage::write_txn& txn) {
      return storage::accounts::remove(txn, address);
    });
    if (ec) {
      print_error(explain(ec, args->address));
      options.exit_code = 1;
      return;
    }
    log::audit("bal.delete", {{"bal", args->address}, {"by", "cli"}});
    std::cout << "deleted " << args->address << "\n";
  });

  for (bool granting : {true, false}) {
    auto* cmd = bal->add_subcommand(granting ? "grant" : "revoke",
                                    granting ? "delegate rights on a BAL to an identity (idNat or dn:<subject DN>)"
                                             : "take rights back (all of them by default)");
    cmd->add_option("address", args->address, "BAL address")->required();
    cmd->add_option("identity", args->identity, "an idNat, or dn:<certificate subject DN>")->required();
    cmd->add_option("--rights", args->rights, "comma-separated: read, write, send, admin, or all")
        ->required(granting);
    cmd->callback([&options, args, granting] {
      auto rights = storage::parse_rights(args->rights.empty() ? "all" : args->rights);
      if (!rights) {
        print_error("--rights takes read, write, send, admin or all, comma-separated");
        options.exit_code = 2;
        return;
      }
      if (!storage::valid_identity(args->identity)) {
        print_error("\"" + args->identity + "\" is neither a national id nor dn:<subject DN>");
        options.exit_code = 1;
        return;
      }
      auto ctx = open_admin(options);
      if (!ctx) return void(options.exit_code = 1);
      auto ec = ctx->writer->run([args, r = *rights, granting](storage::write_txn& txn) {
        return granting ? storage::accounts::grant(txn, args->address, args->identity, r)
                        : storage::accounts::revoke(txn, args->address, args->identity, r);
      });
      if (ec) {
        print_error(ec == storage::errc::not_found && !granting
                        ? args->identity + " has no delegation on " + args->address
                        : explain(ec, args->address));
        options.exit_code = 1;
        return;
      }
      log::audit(granting ? "bal.grant" : "bal.revoke", {{"bal", args->address}, {"identity", args->identity},
                                                          {"rights", storage::rights_to_string(*rights)}, {"by", "cli"}});
      std::cout << (granting ? "granted " : "revoked ") << storage::rights_to_string(*rights) << " on "
                << args->address << (granting ? " to " : " from ") << args->identity << "\n";
    });
  }
}

}  // namespace mssgw::app
