// LIST and LSUB (RFC 3501 §6.3.8-9), with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), SPECIAL-USE
// (RFC 6154) and CHILDREN (RFC 3348): the personal namespace (the primary BAL), then "Shared" and each shared BAL.
#include <cctype>
#include <map>

#include "imap/server/session.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {
namespace {

// Patterns longer than this match nothing (the wildcard matcher is O(pattern x name)).
constexpr std::size_t max_pattern = 1024;

// RFC 3501 §6.3.8: "*" matches anything, "%" anything but the hierarchy delimiter. A set-of-states simulation:
// linear in name length times pattern length, no backtracking blow-up.
bool matches(std::string_view pattern, std::string_view name) {
  const std::size_t n = pattern.size();
  std::vector<char> states(n + 1, 0), next(n + 1, 0);
  auto close = [&](std::vector<char>& st) {
    for (std::size_t i = 0; i < n; ++i) {
      if (st[i] && (pattern[i] == '*' || pattern[i] == '%')) st[i + 1] = 1;
    }
  };
  states[0] = 1;
  close(states);
  for (const char c : name) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!states[i]) continue;
      const char p = pattern[i];
      if (p == '*' || (p == '%' && c != delimiter)) {
        next[i] = 1;
        any = true;
      } else if (p == c) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    states.swap(next);
  }
  return states[n] != 0;
}

// "inbox", "Inbox/x" in a pattern mean INBOX (RFC 3501 §5.1: INBOX is case-insensitive).
std::string normalise_pattern(std::string p) {
  if (p.size() >= 5) {
    std::string head = p.substr(0, 5);
    for (char& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (head == "INBOX" && (p.size() == 5 || p[5] == delimiter)) p.replace(0, 5, "INBOX");
  }
  return p;
}

struct node {
  const storage::mailbox_info* info = nullptr;  // null: not a mailbox (a namespace node or a missing parent)
  std::size_t bal = 0;
  bool namespace_node = false;  // "Shared", "Shared/<bal>"
  bool subscribed = false;
  bool has_children = false;
  bool subscribed_child = false;
};

}  // namespace

step session::cmd_list(const std::string& tag, const proto::cmd::list& c, bool lsub, std::string& out) {
  const account& a = *acct();
  const char* done = lsub ? "LSUB completed." : "LIST completed.";
  // RFC 3501 §6.3.8: LIST "" "" asks for the hierarchy delimiter.
  if (!lsub && c.patterns.size() == 1 && c.patterns[0].empty() && !c.extended) {
    proto::list_item root;
    root.attributes = {"\\Noselect"};
    proto::write_list(out, root, rev2_);
    complete(out, tag, proto::status_word::ok, {}, done);
    return {};
  }
  std::vector<std::vector<storage::mailbox_info>> boxes(a.bals().size());
  std::map<std::string, node> nodes;
  {
    auto txn = read();
    for (std::size_t i = 0; i < a.bals().size(); ++i) {
      const bal_entry& b = a.bals()[i];
      if (!b.may_read()) continue;
      boxes[i] = storage::mailboxes::list(*txn, b.access.address);
      if (!b.primary) {
        nodes[std::string(shared_root)].namespace_node = true;
        auto& n = nodes[b.prefix.substr(0, b.prefix.size() - 1)];
        n.namespace_node = true;
        n.bal = i;
      }
      for (const auto& mb : boxes[i]) {
        node& n = nodes[a.visible(i, mb.name)];
        n.info = &mb;
        n.bal = i;
        n.subscribed = b.primary ? mb.subscribed : true;
      }
    }
  }
  // Parents that are not mailboxes (a child created by other means) appear as \NonExistent / \Noselect.
  std::vector<std::string> names;
  for (const auto& [name, n] : nodes) names.push_back(name);
  for (const auto& name : names) {
    for (auto slash = name.find(delimiter); slash != std::string::npos; slash = name.find(delimiter, slash + 1)) {
      nodes.try_emplace(name.substr(0, slash));
    }
  }
  for (auto it = nodes.begin(); it != nodes.end(); ++it) {
    const std::string prefix = it->first + delimiter;
    for (auto child = nodes.lower_bound(prefix);
         child != nodes.end() && child->first.compare(0, prefix.size(), prefix) == 0; ++child) {
      it->second.has_children = true;
      if (child->second.info && child->second.subscribed) it->second.subscribed_child = true;
    }
  }

  const bool select_subscribed = lsub || c.select_subscribed;
  const bool show_subscribed = !lsub && (c.select_subscribed || c.return_subscribed);
  std::vector<std::string> patterns;
  for (const auto& p : c.patterns) patterns.push_back(normalise_pattern(c.reference + p));
  std::unique_ptr<storage::read_txn> txn;
  if (c.return_status) txn = read();
  for (const auto& [name, n] : nodes) {
    bool matched = false;
    for (const auto& p : patterns) matched = matched || (p.size() <= max_pattern && matches(p, name));
    if (!matched) continue;
    const bool is_mailbox = n.info != nullptr;
    std::vector<std::string> childinfo;
    if (select_subscribed && !(is_mailbox && n.subscribed)) {
      // RFC 5258 §3.5: with RECURSIVEMATCH, a parent of subscribed mailboxes is listed with CHILDINFO.
      if (!lsub && c.select_recursive_match && n.subscribed_child) {
        childinfo.emplace_back("SUBSCRIBED");
      } else if (lsub && n.subscribed_child) {
        // RFC 3501 §6.3.9: LSUB "%" shows a parent of subscribed mailboxes as \Noselect.
      } else {
        continue;
      }
    }
    if (c.select_special_use && (!is_mailbox || n.info->special_use.empty())) continue;
    proto::list_item item;
    item.name = name;
    item.delimiter = delimiter;
    if (!is_mailbox) {
      item.attributes.emplace_back(n.namespace_node || !c.extended ? "\\Noselect" : "\\NonExistent");
    }
    if (!lsub) item.attributes.emplace_back(n.has_children ? "\\HasChildren" : "\\HasNoChildren");
    if (show_subscribed && is_mailbox && n.subscribed) item.attributes.emplace_back("\\Subscribed");
    if (!lsub && is_mailbox && !n.info->special_use.empty()) item.attributes.push_back(n.info->special_use);
    item.childinfo = std::move(childinfo);
    if (!proto::write_list(out, item, rev2_, lsub)) continue;
    if (c.return_status && is_mailbox && a.bals()[n.bal].may_read()) {
      auto values = status_values(*txn, a, n.bal, *n.info, *c.return_status);
      proto::write_status(out, name, rev2_, values);
    }
  }
  txn.reset();
  complete(out, tag, proto::status_word::ok, {}, done);
  return {};
}

}  // namespace mssgw::imap::server
