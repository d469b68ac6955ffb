// Search against a model: a few hundred tickets with random fields and words, changed and deleted
// after creation, then a battery of queries whose count and pages must equal what a plain
// evaluation of each term over the stored tickets gives, under every plan that picks the pages.
#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/search_facets.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/facet_table.hpp>
#include <rapport/tickets/search.hpp>
#include <rapport/tickets/tickets.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace rapport::tickets {

namespace {

using accounts::system_principal;

// "sopen" and "anyway" look like facet words (a status, and the word every ticket carries): text
// searches for them must not match the facets column.
const std::vector<std::string> k_words = {"printer", "refund", "invoice", "login", "screen", "battery", "sopen", "anyway"};
const std::vector<std::string> k_tags = {"vip", "refund", "hardware", "eu:west"};

struct Model {
  Ticket t;
  std::set<std::string> subject_words, body_words;
};

int prio_rank(const std::optional<std::string>& p) {
  if (!p) return -1;
  if (*p == "low") return 1;
  if (*p == "normal") return 2;
  if (*p == "high") return 3;
  return 4;
}

bool cmp(int a, const std::string& op, int b) {
  if (op == "<") return a < b;
  if (op == ">") return a > b;
  if (op == "<=") return a <= b;
  if (op == ">=") return a >= b;
  return a == b;
}

class SearchModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    // Loaded before any ticket exists, so every row in it comes from the writes' own updates.
    ASSERT_TRUE(load_facet_table(*s));
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      billing = accounts::create_group(tx, {{"name", "Billing"}}, system_principal())->id;
      security = accounts::create_group(tx, {{"name", "Security"}}, system_principal())->id;
      org = accounts::create_organization(tx, {{"name", "Acme"}, {"shared_tickets", true}}, system_principal())->id;
      gone_org = accounts::create_organization(tx, {{"name", "Gone"}}, system_principal())->id;
      agent_id = accounts::create_user(tx, {{"name", "Agent"}, {"email", "agent@x.io"}, {"role", "agent"},
                                            {"group_ids", {billing}}, {"ticket_restriction", "groups"}},
                                       system_principal())
                     ->id;
      customer_id = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@x.io"}, {"organization_id", org}},
                                          system_principal())
                        ->id;
      other_id = accounts::create_user(tx, {{"name", "Other"}, {"email", "other@x.io"}}, system_principal())->id;
      return {};
    }));
    std::mt19937 rng(20261201);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const char* statuses[] = {"new", "open", "open", "pending", "hold"};
    const char* priorities[] = {"", "low", "normal", "high", "urgent"};
    const char* types[] = {"", "question", "task"};
    std::map<int64_t, std::pair<std::set<std::string>, std::set<std::string>>> words;
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      for (int i = 0; i < 240; ++i) {
        std::set<std::string> sw{k_words[pick(k_words.size())]}, bw{k_words[pick(k_words.size())], k_words[pick(k_words.size())]};
        std::string subject, body;
        for (auto& w : sw) subject += w + " ";
        for (auto& w : bw) body += w + " ";
        Json in = {{"subject", subject}, {"comment", {{"body", body}}}, {"status", statuses[pick(5)]},
                   {"requester_id", pick(2) ? customer_id : other_id}};
        if (auto p = priorities[pick(5)]; *p) in["priority"] = p;
        if (auto y = types[pick(3)]; *y) in["type"] = y;
        Json tags = Json::array();
        for (auto& tg : k_tags) if (pick(3) == 0) tags.push_back(tg);
        in["tags"] = tags;
        switch (pick(4)) {
          case 0: break;
          case 1: in["group_id"] = billing; if (pick(2)) in["assignee_id"] = agent_id; break;
          case 2: in["group_id"] = security; break;
          case 3: in["organization_id"] = gone_org; break;
        }
        if (in["status"] == "new" && in.contains("assignee_id")) in["status"] = "open";
        auto r = create_ticket(tx, in, system_principal());
        if (!r) return fail(r.error());
        words[r->ticket.id] = {sw, bw};
      }
      return {};
    }));
    // Changes after creation must reach the index: status, tags, group, subject, a comment.
    int n = 0;
    for (auto& [id, w] : words) {
      if (++n % 7 != 0) continue;
      std::string extra = k_words[pick(k_words.size())];
      Json in = {{"status", pick(2) ? "pending" : "open"}, {"tags", {"changed"}}, {"group_id", security}, {"assignee_id", nullptr},
                 {"comment", {{"body", extra}, {"public", false}}}};
      if (n % 3 == 0) {
        in["subject"] = "renamed " + k_words[0];
        w.first = {"renamed", k_words[0]};
      }
      w.second.insert(extra);
      ASSERT_TRUE(s->writer().run([&, id = id](store::Tx& tx) -> Status {
        auto r = update_ticket(tx, id, in, system_principal());
        if (!r) return fail(r.error());
        return {};
      }));
    }
    // Deleted tickets vanish from search; a deleted organization's tickets become `organization:none`.
    std::vector<int64_t> deleted;
    for (auto& [id, w] : words) if (id % 11 == 0) deleted.push_back(id);
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      for (auto id : deleted) if (auto st = delete_ticket(tx, id, system_principal()); !st) return st;
      return accounts::delete_organization(tx, gone_org, system_principal());
    }));
    // Spread the dates so that the sort orders differ from id order (and have ties).
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      for (auto& [id, w] : words) {
        auto r = tx.conn().run("UPDATE tickets SET updated_at = ?, created_at = ? WHERE id = ?",
                               {int64_t{1'750'000'000} + static_cast<int64_t>(pick(50)) * 3600,
                                int64_t{1'740'000'000} + static_cast<int64_t>(pick(400)) * 60, id});
        if (!r) return fail(r.error());
      }
      return {};
    }));
    for (auto& [id, w] : words) {
      auto t = s->read([&](store::Conn& c) -> Result<std::vector<Ticket>> {
        return tickets_by_ids(c, {id}, system_principal());
      });
      ASSERT_TRUE(t);
      if (t->empty()) continue;  // deleted
      models.push_back({t->front(), w.first, w.second});
    }
    agent = principal(agent_id);
    customer = principal(customer_id);
  }
  domain::Principal principal(int64_t id) {
    return s->read([&](store::Conn& c) { return accounts::load_principal(c, id); }).value();
  }

  // The model's answer: each term evaluated over the ticket as stored.
  bool matches(const Model& m, const SearchTerm& term) {
    const auto& t = m.t;
    const auto& f = term.field;
    auto has_word = [&](const std::set<std::string>& ws) {
      const auto v = to_lower(term.value);  // the index folds case
      return std::any_of(ws.begin(), ws.end(), [&](const std::string& w) { return w.rfind(v, 0) == 0; });
    };
    if (f.empty()) return has_word(m.subject_words) || has_word(m.body_words);
    if (f == "subject") return has_word(m.subject_words);
    if (f == "status") return cmp(*domain::status_rank(t.status), term.op, *domain::status_rank(term.value));
    if (f == "priority") {
      if (term.value == "none") return !t.priority;
      return t.priority && cmp(prio_rank(t.priority), term.op, prio_rank(term.value));
    }
    if (f == "ticket_type") return term.value == "none" ? !t.type : t.type == term.value;
    if (f == "tags") {
      if (term.value == "none") return t.tags.empty();
      return std::find(t.tags.begin(), t.tags.end(), Json(term.value)) != t.tags.end();
    }
    if (f == "group") {
      if (term.value == "none") return !t.group_id;
      if (to_lower(term.value) == "billing") return t.group_id == billing;
      return t.group_id == parse_int(term.value);
    }
    if (f == "organization") return term.value == "none" ? !t.organization_id : t.organization_id == parse_int(term.value);
    if (f == "assignee") return term.value == "none" ? !t.assignee_id : t.assignee_id == agent_id;
    if (f == "requester") return t.requester_id == (term.value == "cust@x.io" ? customer_id : other_id);
    if (f == "via") return t.channel == term.value;
    // `created>DAY` means from the next day on.
    if (f == "created" && term.op == ">") return t.created_at >= *parse_iso8601(term.value) + 86400;
    ADD_FAILURE() << "the model does not know " << f;
    return false;
  }

  std::vector<int64_t> expected(const std::string& query, const domain::Principal& p, const SearchSort& sort) {
    auto q = parse_search(query).value();
    std::vector<const Model*> hits;
    for (auto& m : models) {
      if (!can_see(p, m.t)) continue;
      bool ok = true;
      for (auto& term : q.terms) ok = ok && (matches(m, term) != term.negated);
      if (ok) hits.push_back(&m);
    }
    auto key = [&](const Model* m) -> int64_t {
      if (sort.column == "created_at") return m->t.created_at;
      if (sort.column == "status") return *domain::status_rank(m->t.status);
      if (sort.column == "priority") return std::max(0, prio_rank(m->t.priority));
      return m->t.updated_at;
    };
    std::sort(hits.begin(), hits.end(), [&](const Model* a, const Model* b) {
      auto ka = std::make_pair(key(a), a->t.id), kb = std::make_pair(key(b), b->t.id);
      return sort.desc ? kb < ka : ka < kb;
    });
    std::vector<int64_t> ids;
    for (auto* m : hits) ids.push_back(m->t.id);
    return ids;
  }

  void TearDown() override { drop_facet_table(s->path()); }

  store::TempStore s;
  int64_t billing = 0, security = 0, org = 0, gone_org = 0, agent_id = 0, customer_id = 0, other_id = 0;
  domain::Principal agent, customer;
  std::vector<Model> models;
};

}  // namespace

// A job that rolls a create back to a savepoint of its own (a bulk create's failed item) and goes
// on: the index must hold neither that ticket nor block the next one, which reuses its id.
TEST_F(SearchModelTest, ACreateRolledBackInsideACommittedJobLeavesNoTraceInTheIndex) {
  auto count = [&](const std::string& text) {
    auto q = parse_search(text).value();
    return s->read([&](store::Conn& c) { return search_tickets(c, q, system_principal(), {}, 0, 25); }).value().count;
  };
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    if (auto r = tx.conn().exec("SAVEPOINT item"); !r) return r;
    auto t = create_ticket(tx, {{"subject", "phantom"}, {"comment", {{"body", "zebra"}}}, {"requester_id", customer_id}},
                           system_principal());
    if (!t) return fail(t.error());
    return tx.conn().exec("ROLLBACK TO item; RELEASE item");
  }));
  EXPECT_EQ(count("zebra"), 0);
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    auto t = create_ticket(tx, {{"subject", "real"}, {"comment", {{"body", "giraffe"}}}, {"requester_id", customer_id}},
                           system_principal());
    if (!t) return fail(t.error());
    return {};
  }));
  EXPECT_EQ(count("zebra"), 0);
  EXPECT_EQ(count("phantom"), 0);
  EXPECT_EQ(count("giraffe"), 1);
  EXPECT_EQ(count("real giraffe"), 1);
}

TEST_F(SearchModelTest, CountsAndPagesEqualTheModelUnderEveryPlan) {
  const std::vector<std::string> queries = {
      "printer", "status:open", "status<solved printer", "status>=pending", "priority>normal", "priority:none",
      "-tags:vip", "tags:vip refund", "tags:eu:west", "tags:none", "tags:changed", "ticket_type:none",
      "ticket_type:task", "group:none", "group:Billing", "-group:none", "assignee:none", "requester:cust@x.io",
      "-status:open -tags:refund", "status:pending priority:urgent", "via:api", "organization:none", "subject:renamed",
      "invoice -login", "created>2025-02-19 status:open", "-created>2025-02-19", "-printer",
      // Text that a facet word equals or begins with: the column filter must stay.
      "sopen", "any", "SOPEN status:pending", "pnone", "t65", "u1", "-sopen",
      // Plain text that no facet word begins with: searched without it.
      "printer refund", "Refund -screen", "status:open printer"};
  const std::vector<SearchSort> sorts = {{"updated_at", true}, {"created_at", false}, {"status", true}, {"priority", true}};
  const std::vector<std::pair<int64_t, int64_t>> slices = {{0, 25}, {5, 7}};
  int nonempty = 0;
  // With the facet table (kept by the writes above) and the text cache (keeping every answer, so
  // the queries' text conditions come from it from the second sort on), then with the table alone
  // (outside a read transaction the cache is not used), then with the full-text index alone.
  // The writes kept the table up to date (else every search would fall back to the index alone).
  ASSERT_TRUE(facet_table(s->path()));
  EXPECT_EQ(facet_table(s->path())->max_id(), s->read([](store::Conn& c) { return c.scalar("SELECT max(id) FROM tickets"); })->value_or(-1));
  facet_table(s->path())->text().set_limits({.bytes = 1 << 20, .entries = 64, .notes = 1024, .min_build_us = 0});
  uint64_t hits = 0;
  for (int mode : {0, 1, 2}) {
  const bool table = mode < 2, cached = mode == 0;
  if (mode == 1) hits = facet_table(s->path())->text().stats().hits;
  if (!table) drop_facet_table(s->path());
  for (const auto& who : {system_principal(), agent, customer}) {
    for (const auto& text : queries) {
      for (const auto& sort : sorts) {
        auto want = expected(text, who, sort);
        if (!want.empty()) ++nonempty;
        for (auto plan : {SearchPlan::automatic, SearchPlan::walk, SearchPlan::probe}) {
          for (auto [offset, limit] : slices) {
            SCOPED_TRACE(std::string(cached ? "cache " : table ? "table " : "index ") + text + " sort " + sort.column + (sort.desc ? " desc" : " asc") + " plan " +
                         std::to_string(static_cast<int>(plan)) + " user " + std::to_string(who.user_id) + " offset " +
                         std::to_string(offset));
            auto q = parse_search(text).value();
            auto page = s->read([&](store::Conn& c) {
              if (cached) EXPECT_TRUE(c.exec("BEGIN"));
              auto r = search_tickets(c, q, who, sort, offset, limit, plan);
              if (cached) EXPECT_TRUE(c.exec("COMMIT"));
              return r;
            });
            ASSERT_TRUE(page) << page.error().message;
            EXPECT_EQ(page->count, static_cast<int64_t>(want.size()));
            std::vector<int64_t> got, slice;
            for (auto& t : page->items) got.push_back(t.id);
            for (std::size_t i = static_cast<std::size_t>(offset); i < want.size() && slice.size() < static_cast<std::size_t>(limit); ++i)
              slice.push_back(want[i]);
            EXPECT_EQ(got, slice);
          }
        }
      }
    }
  }
  }
  // The battery is not vacuous: most queries match something for someone, and the cache answered.
  EXPECT_GT(nonempty, 600);
  EXPECT_GT(hits, 1000u);
}

// The predicate that lets plain text skip the column filter: true for every prefix of every facet
// word the model's tickets carry, false for words no facet word begins with.
TEST_F(SearchModelTest, EveryPrefixOfAFacetWordIsKnownAsOne) {
  int checked = 0;
  for (const auto& m : models) {
    for (const auto& word : split(domain::facets::of(m.t), ' ')) {
      for (std::size_t n = 1; n <= word.size(); ++n) {
        EXPECT_TRUE(domain::facets::some_word_starts_with(word.substr(0, n))) << word.substr(0, n) << " of " << word;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1000);
  for (const char* w : {"printer", "refund", "screen", "1234", "sopenx", "anyway", "payment", "tz", "u1x", "gnones"})
    EXPECT_FALSE(domain::facets::some_word_starts_with(w)) << w;
}

// A ticket written without passing through the writes that keep the facet table (as by another
// process): the table is behind the snapshot, so the search asks the full-text index and still
// counts it; reloading the table catches up.
TEST_F(SearchModelTest, ATicketTheFacetTableHasNotSeenIsStillFound) {
  auto count = [&](const std::string& query) {
    auto q = parse_search(query).value();
    return s->read([&](store::Conn& c) { return search_tickets(c, q, system_principal(), {}, 0, 25); }).value().count;
  };
  const auto before = count("status:open");
  ASSERT_GT(before, 0);
  const auto open = std::find_if(models.begin(), models.end(), [](const Model& m) { return m.t.status == "open"; });
  ASSERT_NE(open, models.end());
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    std::string cols;
    auto st = tx.conn().each("SELECT name FROM pragma_table_info('tickets') WHERE name <> 'id'", {},
                             [&](const store::Row& r) { cols += (cols.empty() ? "" : ", ") + r.text(0); });
    if (!st) return st;
    auto copied = tx.conn().run("INSERT INTO tickets(" + cols + ") SELECT " + cols + " FROM tickets WHERE id = ?", {open->t.id});
    if (!copied) return fail(copied.error());
    auto fts = tx.conn().run("INSERT INTO ticket_fts(rowid, subject, body, facets) SELECT ?, subject, body, facets FROM ticket_fts WHERE rowid = ?",
                             {tx.conn().last_insert_id(), open->t.id});
    if (!fts) return fail(fts.error());
    return {};
  }));
  EXPECT_EQ(count("status:open"), before + 1);
  ASSERT_TRUE(load_facet_table(*s));
  EXPECT_EQ(count("status:open"), before + 1);
}

}  // namespace rapport::tickets

namespace rapport::tickets {

// Another process (the CLI has no facet table to keep) changes and deletes tickets and creates
// one. Here it is a second store on the same file under another name, which finds no table for
// its path just as the CLI finds none. The server's searches see the changes at once, through the
// index, and the table takes them so that the searches after use it again.
TEST_F(SearchModelTest, AnotherProcesssChangesAreSeenAndTakenByTheFacetTable) {
  auto ids = [&](const std::string& query) {
    auto q = parse_search(query).value();
    auto page = s->read([&](store::Conn& c) { return search_tickets(c, q, system_principal(), {}, 0, 1000); });
    EXPECT_TRUE(page) << page.error().message;
    std::vector<int64_t> out;
    for (auto& t : page->items) out.push_back(t.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto table = facet_table(s->path());
  ASSERT_TRUE(table);
  auto other = store::Store::open((s.dir() / "." / "test.db").string());
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_FALSE(facet_table((*other)->path()));

  auto open = ids("status:open");
  ASSERT_GE(open.size(), 2u);
  const int64_t solved = open[0], deleted = open[1];
  ASSERT_TRUE(ids("status:solved").empty());
  const int64_t epoch = table->epoch();
  int64_t created = 0;
  auto wrote = (*other)->writer().run([&](store::Tx& tx) -> Status {
    if (auto r = update_ticket(tx, solved, {{"status", "solved"}, {"group_id", billing}, {"assignee_id", agent_id}}, system_principal()); !r) return fail(r.error());
    if (auto st = delete_ticket(tx, deleted, system_principal()); !st) return st;
    auto c = create_ticket(tx, {{"subject", "from elsewhere"}, {"comment", {{"body", "walrus"}}}, {"requester_id", other_id},
                                {"status", "hold"}, {"priority", "urgent"}},
                           system_principal());
    if (!c) return fail(c.error());
    created = c->ticket.id;
    return {};
  });
  ASSERT_TRUE(wrote) << wrote.error().message;
  (*other).reset();

  // At once: the table has not taken the changes, and the search does not trust it.
  auto open_now = open;
  open_now.erase(open_now.begin(), open_now.begin() + 2);
  EXPECT_EQ(ids("status:open"), open_now);
  EXPECT_EQ(ids("status:solved"), std::vector<int64_t>{solved});
  EXPECT_EQ(ids("status:hold priority:urgent walrus"), std::vector<int64_t>{created});

  // That search asked the table to catch up, a write job queued before this one.
  ASSERT_TRUE(s->writer().run([](store::Tx&) -> Status { return {}; }));
  EXPECT_GT(table->epoch(), epoch);
  EXPECT_EQ(s->read([](store::Conn& c) { return c.scalar("SELECT count(*) FROM search_changes"); })->value_or(-1), 0);
  auto in_table = [&](const std::string& word) {
    FacetTable::Clause clause;
    EXPECT_TRUE(clause.add(word));
    return table->scan({clause}, std::numeric_limits<domain::Id>::max());
  };
  EXPECT_EQ(in_table(domain::facets::status("solved")), std::vector<int64_t>{solved});
  EXPECT_EQ(in_table(domain::facets::status("open")), open_now);
  EXPECT_EQ(in_table(domain::facets::status("hold")).back(), created);
  EXPECT_EQ(ids("status:open"), open_now);
  EXPECT_EQ(ids("status:solved"), std::vector<int64_t>{solved});
}

}  // namespace rapport::tickets
