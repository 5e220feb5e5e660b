// `mssgw conversation show PATIENT [BAL]`: the citizen conversation state of a patient (routing/citizen.hpp), as
// kept by the operator of the citizen domain. PATIENT is a matricule INS or a citizen address; an invalid INS is
// refused with the reason and exit 2.
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "routing/citizen.hpp"
#include "routing/classify.hpp"

namespace mssgw::app {
namespace {

std::string utc(std::int64_t ms) {
  if (ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void register_conversation(CLI::App& app, global_options& options) {
  auto* cmd = app.add_subcommand("conversation", "citizen conversation state (operator of the citizen domain)");
  cmd->require_subcommand(1);
  struct args_t {
    std::string patient;
    std::string bal;
  };
  auto args = std::make_shared<args_t>();
  auto* show = cmd->add_subcommand("show", "a patient's conversations, or the one with a BAL");
  show->add_option("patient", args->patient, "matricule INS, or <INS>@<citizen domain>")->required();
  show->add_option("bal", args->bal, "the professional's BAL (or the Reply-To address)");
  show->add_flag("--json", options.json, "JSON output");
  show->callback([&options, args] {
    std::string ins = args->patient.substr(0, args->patient.find('@'));
    if (auto problem = routing::citizen::check_ins(ins); problem != routing::citizen::ins_problem::none) {
      print_error("\"" + ins + "\": " + std::string(routing::citizen::describe(problem)));
      options.exit_code = 2;
      return;
    }
    ins = routing::lowercase(routing::citizen::normalise_ins(ins));
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto txn = ctx->store->begin_read();
    std::vector<routing::citizen::conversation> all;
    if (args->bal.empty()) {
      all = routing::citizen::conversations::of_patient(*txn, ins);
    } else if (auto c = routing::citizen::conversations::get(*txn, ins, routing::lowercase(args->bal))) {
      all.push_back(std::move(*c));
    }
    if (options.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& c : all) {
        out.push_back({{"patient", c.ins}, {"address", c.address}, {"bal", c.bal}, {"open", c.open},
                       {"opened", utc(c.opened_ms)}, {"updated", utc(c.updated_ms)}, {"messages", c.messages}});
      }
      std::cout << out.dump(2) << "\n";
    } else {
      for (const auto& c : all) {
        std::cout << c.address << "\t" << (c.open ? "open" : "closed") << "\tby " << c.bal << "\topened "
                  << utc(c.opened_ms) << "\tupdated " << utc(c.updated_ms) << "\t" << c.messages << " messages\n";
      }
      std::cout << all.size() << (all.size() == 1 ? " conversation\n" : " conversations\n");
    }
    if (all.empty() && !args->bal.empty()) options.exit_code = 1;
  });
}

}  // namespace mssgw::app
