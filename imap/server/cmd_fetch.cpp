// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8; RFC 3516 BINARY; RFC 7162 CHANGEDSINCE, VANISHED, MODSEQ).
//
// Flow: the sequence set is resolved against the view; a FETCH that reads a body without .PEEK in a read-write
// mailbox first commits the implicit \Seen (per user on shared mailboxes) and then reports the new FLAGS with the
// data; the responses are produced in pieces of about settings.output_chunk octets (step::flush), each piece in
// its own short read transaction. ENVELOPE and BODYSTRUCTURE come from the MIME cache as stored wire text; sections
// are cut from the stored body with the cache's part table. No EXPUNGE is sent while answering FETCH (RFC 3501
// §7.4.1); a message expunged under the session gives NO [EXPUNGEISSUED] at the end (RFC 2180 §4.1.2, RFC 5530).
#include "imap/server/message_access.hpp"
#include "imap/server/session.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {
namespace {

using att_kind = proto::fetch_att::kind;

bool view_only(att_kind k) { return k == att_kind::flags || k == att_kind::uid || k == att_kind::modseq; }

bool sets_seen(const proto::fetch_att& a) {
  switch (a.k) {
    case att_kind::rfc822:
    case att_kind::rfc822_text: return true;
    case att_kind::body_section:
    case att_kind::binary: return !a.peek;
    default: return false;
  }
}

std::string_view apply_partial(std::string_view content, const std::optional<proto::partial>& p) {
  if (!p) return content;
  if (p->offset >= content.size()) return {};
  return content.substr(p->offset, p->length);
}

struct fetch_job {
  std::string tag;
  std::vector<proto::fetch_att> atts;
  std::vector<std::uint32_t> seqs;
  std::size_t next = 0;
  bool uid_command = false;
  bool want_uid = false;
  bool want_modseq = false;
  bool needs_storage = false;
  bool expunge_issued = false;
  bool unknown_cte = false;
  std::vector<std::uint32_t> seen_set;  // UIDs whose \Seen this FETCH set (FLAGS then go with the data)
  std::vector<std::pair<std::uint64_t, std::string>> computed;
};

void write_message(const storage::read_txn& txn, const mailbox::view& box, fetch_job& job, std::uint32_t seq,
                   bool utf8, const mime::limits& lim, std::string& out) {
  const auto& e = box.at(seq);
  message_access a(txn, box.mailbox_id(), e.uid, lim);
  const storage::message_view* rec = nullptr;
  if (job.needs_storage) {
    rec = (e.bits & mailbox::view::gone_bit) ? nullptr : a.record();
    if (!rec) {
      job.expunge_issued = true;
      return;
    }
  }
  proto::fetch_writer w(out, seq, utf8);
  if (job.want_uid) w.uid(e.uid);
  bool flags_written = false;
  for (const auto& att : job.atts) {
    switch (att.k) {
      case att_kind::flags:
        w.flags(box.flag_names(seq));
        flags_written = true;
        break;
      case att_kind::uid:
      case att_kind::modseq: break;  // written once, with want_uid / want_modseq
      case att_kind::internaldate: w.internaldate(proto::from_unix(rec->internal_date, 0)); break;
      case att_kind::rfc822_size: w.rfc822_size(rec->size); break;
      case att_kind::envelope:
      case att_kind::body:
      case att_kind::bodystructure: {
        const auto* c = a.cache();
        if (!c) {
          job.expunge_issued = true;
          break;
        }
        std::string item = att.k == att_kind::envelope ? "ENVELOPE " : att.k == att_kind::body ? "BODY "
                                                                                                : "BODYSTRUCTURE ";
        item += att.k == att_kind::envelope ? c->envelope : att.k == att_kind::body ? c->body : c->bodystructure;
        w.raw(item);
        break;
      }
      case att_kind::rfc822:
      case att_kind::rfc822_header:
      case att_kind::rfc822_text:
      case att_kind::body_section: {
        const auto* c = a.cache();
        auto raw = a.raw();
        if (!c || !raw) {
          w.section(att, std::nullopt);
          job.expunge_issued = true;
          break;
        }
        proto::section sec = att.sec;
        if (att.k == att_kind::rfc822) sec = {};
        if (att.k == att_kind::rfc822_header) sec.k = proto::section::kind::header;
        if (att.k == att_kind::rfc822_text) sec.k = proto::section::kind::text;
        auto r = mime::section_content(*raw, c->entities, sec);
        if (!r) {
          w.section(att, std::nullopt);
        } else {
          w.section(att, apply_partial(r->bytes(), att.part));
        }
        break;
      }
      case att_kind::binary:
      case att_kind::binary_size: {
        const auto* c = a.cache();
        auto raw = a.raw();
        std::optional<mime::binary_result> b;
        if (c && raw) b = mime::binary_content(*raw, c->entities, att.sec.part);
        if (b && b->unknown_encoding) {
          job.unknown_cte = true;
          b.reset();
        }
        if (att.k == att_kind::binary_size) {
          w.binary_size(att, b ? b->data.size() : 0);
        } else if (!b) {
          w.section(att, std::nullopt);
        } else {
          w.section(att, apply_partial(b->data, att.part));
        }
        break;
      }
    }
  }
  if (!flags_written && std::binary_search(job.seen_set.begin(), job.seen_set.end(), e.uid)) {
    w.flags(box.flag_names(seq));  // RFC 3501 §6.4.5: the implicit \Seen is reported
  }
  if (job.want_modseq) w.modseq(e.modseq);
  w.finish();
  if (a.computed()) {
    if (const auto* c = a.cache()) job.computed.emplace_back(a.message_id(), mime::encode(*c));
  }
}

}  // namespace

step session::cmd_fetch(const std::string& tag, proto::cmd::fetch& c, std::string& out) {
  selected& s = *sel();
  if (c.vanished && !qresync_) return bad(tag, "VANISHED needs QRESYNC enabled.", "FETCH VANISHED without QRESYNC", out);
  auto seqs = resolve(c.set, c.uid, tag, out);
  if (!seqs) return {};
  auto job = std::make_shared<fetch_job>();
  job->tag = tag;
  job->uid_command = c.uid;
  job->want_uid = c.uid || qresync_;
  bool implicit_seen = false;
  for (const auto& a : c.atts) {
    if (a.k == att_kind::uid) job->want_uid = true;
    if (a.k == att_kind::modseq) job->want_modseq = true;
    if (!view_only(a.k)) job->needs_storage = true;
    implicit_seen = implicit_seen || sets_seen(a);
  }
  if (c.changed_since) job->want_modseq = true;
  if (job->want_modseq) condstore_ = true;  // RFC 7162 §3.1: FETCH MODSEQ / CHANGEDSINCE enables CONDSTORE
  job->atts = std::move(c.atts);
  if (c.changed_since) {
    std::erase_if(*seqs, [&](std::uint32_t seq) { return s.box.at(seq).modseq <= *c.changed_since; });
  }
  if (c.vanished && c.changed_since) {
    // RFC 7162 §3.2.6: the UIDs of the set expunged since CHANGEDSINCE. "*" reaches UIDNEXT-1 here: the highest
    // UID may be one of those expunged.
    auto ranges = proto::normalise(c.set, std::max<std::uint32_t>(1, s.box.uidnext() - 1));
    std::vector<std::uint32_t> gone;
    auto txn = read();
    storage::mailboxes::expunged_since(*txn, s.box.mailbox_id(), *c.changed_since,
                                       [&](std::uint32_t uid, std::uint64_t) {
                                         if (proto::contains(ranges, uid)) gone.push_back(uid);
                                         return true;
                                       });
    if (!gone.empty()) proto::write_vanished(out, proto::compress(gone), true);
  }
  job->seqs = std::move(*seqs);

  auto run = [this, job](std::string& o) -> bool {
    auto* cur = sel();
    if (!cur) return true;
    {
      auto txn = read();
      while (job->next < job->seqs.size() && o.size() < settings_.output_chunk) {
        write_message(*txn, cur->box, *job, job->seqs[job->next++], rev2_, settings_.mime, o);
      }
    }
    if (job->next < job->seqs.size()) return false;
    if (!job->computed.empty() && deps_.background) {
      storage::write_unit unit = [caches = std::move(job->computed)](storage::write_txn& txn) -> std::error_code {
        for (const auto& [id, cache] : caches) storage::messages::set_cache(txn, id, cache);  // gone: nothing to do
        return {};
      };
      deps_.background(std::move(unit));
    }
    const bool allow_expunge = job->uid_command;
    if (job->unknown_cte) {
      complete(o, job->tag, proto::status_word::no, proto::code::named("UNKNOWN-CTE"),
               "Unknown Content-Transfer-Encoding.", allow_expunge);
    } else if (job->expunge_issued) {
      complete(o, job->tag, proto::status_word::no, proto::code::expungeissued(),
               "Some messages were expunged meanwhile.", allow_expunge);
    } else {
      complete(o, job->tag, proto::status_word::ok, {}, "FETCH completed.", allow_expunge);
    }
    return true;
  };

  std::vector<std::uint32_t> unseen;
  if (implicit_seen && !s.read_only) {
    for (std::uint32_t seq : job->seqs) {
      const auto& e = s.box.at(seq);
      if (!(e.bits & storage::flag_seen) && !(e.bits & mailbox::view::gone_bit)) unseen.push_back(e.uid);
    }
  }
  if (unseen.empty()) {
    job_ = std::move(run);
    return {};
  }
  struct seen_result {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> changed;  // uid, new MODSEQ
  };
  auto result = std::make_shared<seen_result>();
  const std::uint64_t mailbox = s.box.mailbox_id();
  const std::string user = s.box.seen_user();
  storage::write_unit unit = [mailbox, user, uids = std::move(unseen), result](storage::write_txn& txn) {
    result->changed.clear();
    for (std::uint32_t uid : uids) {
      std::uint64_t modseq = 0;
      if (!user.empty()) {
        if (storage::seen::set(txn, mailbox, user, uid, true, &modseq)) continue;  // expunged meanwhile
      } else {
        auto u = storage::mailboxes::get_uid(txn, mailbox, uid);
        if (!u) continue;
        storage::message_flags f = u->flags;
        f.system |= storage::flag_seen;
        if (auto ec = storage::mailboxes::set_flags(txn, mailbox, uid, f, &modseq)) return ec;
      }
      result->changed.emplace_back(uid, modseq);
    }
    return std::error_code{};
  };
  return commit(std::move(unit), [this, job, result, run = std::move(run)](std::error_code ec, std::string&) mutable {
    if (auto* cur = sel(); cur && !ec) {
      for (const auto& [uid, modseq] : result->changed) {
        const std::uint32_t seq = cur->box.seq_of(uid);
        if (seq == 0) continue;
        auto f = cur->box.flags(seq);
        f.system |= storage::flag_seen;
        cur->box.set_flags(seq, f, modseq);
        job->seen_set.push_back(uid);
      }
      std::sort(job->seen_set.begin(), job->seen_set.end());
    }
    job_ = std::move(run);
  });
}

}  // namespace mssgw::imap::server
