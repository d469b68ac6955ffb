#include <cmath>
#include <map>

#include <rapport/feedback/recognition.hpp>
#include <rapport/feedback/recovery.hpp>
#include <rapport/feedback/testing.hpp>

namespace rapport::feedback {

namespace {

class RecoveryTest : public FeedbackTest {
 protected:
  // A chat ticket solved by `agent` and answered with `a`; returns the rating.
  Rating rated(int64_t agent, Answer a, int64_t requester = 0) {
    auto ticket = solved_ticket(requester ? requester : customer_id, agent, "chat");
    auto reqs = requests(ticket);
    EXPECT_FALSE(reqs.empty());
    auto r = answer(link_token(secret, reqs.back()), a);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : Rating{};
  }
  Answer with(int64_t stars, std::optional<bool> resolved = std::nullopt, std::string comment = "") {
    Answer a;
    a.stars = stars;
    a.resolved = resolved;
    a.comment = std::move(comment);
    return a;
  }
  std::vector<RecoveryCase> cases(int64_t who) {
    return read([&](store::Conn& c) { return list_cases(c, {}, {}, principal(who)); }).value().items;
  }
  Result<RecoveryCase> update(int64_t id, const Json& in, int64_t who) {
    RecoveryCase out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = update_case(tx, id, in, principal(who), "https://help.example.com");
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    if (!st) return fail(st.error());
    return out;
  }
  // A fresh customer each time, so suppression does not get in the way.
  int64_t new_customer() {
    int64_t id = 0;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto c = accounts::create_user(tx, {{"name", "C" + std::to_string(++m_customers)},
                                          {"email", "c" + std::to_string(m_customers) + "@example.com"}},
                                     system_principal());
      if (!c) return fail(c.error());
      id = c->id;
      return {};
    }));
    return id;
  }
  int m_customers = 0;
};

}  // namespace

TEST_F(RecoveryTest, BadOrUnresolvedRatingsOpenACaseGoodOnesDoNot) {
  rated(agent_id, with(5, true), new_customer());
  rated(agent_id, with(3), new_customer());
  EXPECT_TRUE(cases(lead_id).empty());
  auto low = rated(agent_id, with(2), new_customer());
  auto unresolved = rated(agent_id, with(4, false), new_customer());
  auto open = cases(lead_id);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].rating_id, low.id);
  EXPECT_EQ(open[0].trigger, "low_stars");
  EXPECT_EQ(open[0].due_at, k_start + 24 * 3600);
  EXPECT_EQ(open[0].team_group_id, group_id);
  EXPECT_EQ(open[1].rating_id, unresolved.id);
  EXPECT_EQ(open[1].trigger, "not_resolved");
}

TEST_F(RecoveryTest, ClosingNeedsAnOutcomeAndSendsAFollowUpWhoseStarsGiveTheUplift) {
  rated(agent_id, with(1, false, "Nobody listened"));
  auto c = cases(lead_id).at(0);
  auto no_outcome = update(c.id, {{"status", "closed"}}, lead_id);
  ASSERT_FALSE(no_outcome);
  EXPECT_EQ(no_outcome.error().code, ErrorCode::validation);

  now += 3600;
  auto contacted = update(c.id, {{"status", "contacted"}, {"assignee_id", other_agent_id}, {"note", "Called back"}}, lead_id);
  ASSERT_TRUE(contacted) << contacted.error().message;
  EXPECT_EQ(contacted->contacted_at, now);
  EXPECT_FALSE(contacted->follow_up_request_id);
  auto closed = update(c.id, {{"status", "closed"}, {"outcome", "recovered"}}, other_agent_id);
  ASSERT_TRUE(closed) << closed.error().message;
  ASSERT_TRUE(closed->follow_up_request_id);

  // The follow-up rates the recovery agent, goes by email and opens no case of its own.
  auto reqs = requests(c.ticket_id);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].kind, "follow_up");
  EXPECT_EQ(reqs[1].agent_id, other_agent_id);
  EXPECT_EQ(reqs[1].status, "pending");
  auto follow = answer(link_token(secret, reqs[1]), with(4));
  ASSERT_TRUE(follow) << follow.error().message;
  EXPECT_EQ(cases(lead_id).size(), 1u);
  auto again = read([&](store::Conn& conn) { return get_case(conn, c.id, principal(lead_id)); });
  EXPECT_EQ(again->follow_up_stars, 4);

  auto report = read([&](store::Conn& conn) {
    return recovery_report(conn, k_start - k_day, k_start + k_day, std::nullopt, principal(lead_id));
  });
  ASSERT_TRUE(report) << report.error().message;
  const auto& total = (*report)["total"];
  EXPECT_EQ(total["cases"], 1);
  EXPECT_EQ(total["closed_within_due"], 1);
  EXPECT_DOUBLE_EQ(total["uplift"].get<double>(), 4.0);  // 4 stars after recovery / 1 star before

  auto reopen = update(c.id, {{"status", "open"}}, lead_id);
  ASSERT_FALSE(reopen);
  auto agent_report = read([&](store::Conn& conn) {
    return recovery_report(conn, k_start - k_day, k_start + k_day, std::nullopt, principal(agent_id));
  });
  EXPECT_FALSE(agent_report);
}

TEST_F(RecoveryTest, UnreachableCustomersGetNoFollowUpAndLateClosesCount) {
  rated(agent_id, with(2));
  auto c = cases(lead_id).at(0);
  now += 30 * 3600;  // past the 24 h due time
  auto closed = update(c.id, {{"status", "closed"}, {"outcome", "unreachable"}}, lead_id);
  ASSERT_TRUE(closed);
  EXPECT_FALSE(closed->follow_up_request_id);
  auto report = read([&](store::Conn& conn) {
    return recovery_report(conn, k_start - k_day, k_start + k_day, group_id, principal(lead_id));
  });
  EXPECT_EQ((*report)["teams"][0]["closed"], 1);
  EXPECT_EQ((*report)["teams"][0]["closed_within_due"], 0);
  EXPECT_TRUE((*report)["teams"][0]["uplift"].is_null());
}

TEST_F(RecoveryTest, AgentsSeeOnlyCasesOfTheirRecoveryGroupOrAssignedToThem) {
  Json cfg = {{"recovery_group_id", group_id}};  // Maria is in it, Sam is not
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = update_config(tx, cfg, system_principal());
    if (!r) return fail(r.error());
    return {};
  }));
  rated(other_agent_id, with(1));
  EXPECT_EQ(cases(agent_id).size(), 1u);
  EXPECT_EQ(cases(other_agent_id).size(), 0u);
  auto id = cases(agent_id).at(0).id;
  EXPECT_EQ(cases(agent_id).at(0).ticket_subject, "Refund for order 12");
  EXPECT_EQ(cases(agent_id).at(0).agent_name, "Sam Other");
  // Maria works the case, so she may read the rating it is about (Sam's).
  auto rating_id = cases(agent_id).at(0).rating_id;
  EXPECT_TRUE(read([&](store::Conn& c) { return get_rating(c, rating_id, principal(agent_id)); }));
  auto by_sam = update(id, {{"note", "hi"}}, other_agent_id);
  ASSERT_FALSE(by_sam);
  EXPECT_EQ(by_sam.error().code, ErrorCode::not_found);
  ASSERT_TRUE(update(id, {{"assignee_id", other_agent_id}}, agent_id));
  EXPECT_EQ(cases(other_agent_id).size(), 1u);
  auto by_customer = read([&](store::Conn& c) { return list_cases(c, {}, {}, principal(customer_id)); });
  EXPECT_FALSE(by_customer);
}

TEST_F(RecoveryTest, LeaderboardRanksByTheBayesianScoreNotTheRawAverage) {
  // Sam: 40 ratings averaging 4.75; Maria: 2 five-star ratings; Mona: 20 three-star ratings,
  // which pull the team mean down to m = 260 / 62. With C = 10, Sam ranks above Maria.
  for (int i = 0; i < 40; ++i) rated(other_agent_id, with(i % 4 == 0 ? 4 : 5, true), new_customer());
  for (int i = 0; i < 2; ++i) rated(agent_id, with(5, i == 0), new_customer());
  for (int i = 0; i < 20; ++i) rated(manager_id, with(3), new_customer());
  auto board = read([&](store::Conn& c) {
    LeaderboardQuery q;
    q.from_day = k_start / k_day - 1;
    q.to_day = k_start / k_day + 1;
    return leaderboard(c, q, principal(agent_id));
  });
  ASSERT_TRUE(board) << board.error().message;
  const auto& agents = (*board)["agents"];
  ASSERT_EQ(agents.size(), 3u);
  EXPECT_EQ(agents[0]["agent_id"], other_agent_id);
  EXPECT_EQ(agents[1]["agent_id"], agent_id);
  EXPECT_EQ(agents[2]["agent_id"], manager_id);
  EXPECT_EQ(agents[0]["responses"], 40);
  EXPECT_DOUBLE_EQ(agents[0]["average_stars"].get<double>(), 4.75);
  double m = 260.0 / 62.0;
  EXPECT_NEAR((*board)["team_mean_stars"].get<double>(), m, 1e-9);
  EXPECT_NEAR(agents[0]["ranking_score"].get<double>(), (10 * m + 190) / 50, 1e-9);
  EXPECT_NEAR(agents[1]["ranking_score"].get<double>(), (10 * m + 10) / 12, 1e-9);
  EXPECT_DOUBLE_EQ(agents[1]["fcr"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(agents[0]["csat"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(agents[2]["csat"].get<double>(), 0.0);
  // A different period has nobody.
  auto empty = read([&](store::Conn& c) {
    LeaderboardQuery q;
    q.from_day = k_start / k_day + 1;
    q.to_day = k_start / k_day + 2;
    return leaderboard(c, q, principal(agent_id));
  });
  EXPECT_TRUE((*empty)["agents"].empty());
}

TEST_F(RecoveryTest, RewardsFollowGreatRatingsOnceAndManagersFulfilThem) {
  auto choose = [&](const Request& req, const std::string& item, bool share) {
    std::optional<Reward> out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = choose_reward(tx, secret, link_token(secret, req), item, share);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    return st ? Result<std::optional<Reward>>(out) : Result<std::optional<Reward>>(fail(st.error()));
  };
  auto c1 = new_customer();
  auto t1 = solved_ticket(c1, agent_id, "chat");
  auto req1 = requests(t1)[0];
  EXPECT_FALSE(choose(req1, "coffee", false));  // not answered yet
  ASSERT_TRUE(answer(link_token(secret, req1), with(5, true, "Lovely")));
  EXPECT_FALSE(choose(req1, "yacht", false));  // not in the catalog
  auto ok = choose(req1, "coffee", true);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)->points, 50);
  auto twice = choose(req1, "lunch", false);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::conflict);

  auto t2 = solved_ticket(new_customer(), agent_id, "chat");
  auto req2 = requests(t2)[0];
  ASSERT_TRUE(answer(link_token(secret, req2), with(3)));
  EXPECT_FALSE(choose(req2, "coffee", false));  // 3 stars: no reward step

  auto kudos = read([&](store::Conn& c) { return public_kudos(c, std::nullopt, 10); });
  ASSERT_EQ(kudos->size(), 1u);
  EXPECT_EQ((*kudos)[0].agent_first_name, "Maria");
  EXPECT_EQ((*kudos)[0].comment, "Lovely");

  auto ledger = [&](int64_t who) { return read([&](store::Conn& c) { return list_rewards(c, {}, {}, principal(who)); }); };
  EXPECT_EQ(ledger(agent_id)->points_earned, 50);
  EXPECT_EQ(ledger(other_agent_id)->page.items.size(), 0u);
  auto fulfil = [&](int64_t who) {
    return write([&](store::Tx& tx) -> Status {
      auto r = update_reward(tx, (*ok)->id, {{"status", "fulfilled"}}, principal(who));
      if (!r) return fail(r.error());
      return {};
    });
  };
  EXPECT_FALSE(fulfil(agent_id));
  EXPECT_FALSE(fulfil(lead_id));  // leads coach; managers fulfil
  ASSERT_TRUE(fulfil(manager_id));
  EXPECT_EQ(ledger(agent_id)->points_fulfilled, 50);
}

TEST_F(RecoveryTest, TheDigestShowsTheLeadsTeamsBestAndWorstAndIsQueuedOnce) {
  rated(agent_id, with(5, true, "Brilliant"), new_customer());
  rated(other_agent_id, with(1, false, "Rude"), new_customer());
  rated(agent_id, with(4), new_customer());
  int64_t day = k_start / k_day;
  auto d = read([&](store::Conn& c) { return daily_digest(c, lead_id, day, principal(lead_id)); });
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)["responses"], 3);
  EXPECT_EQ((*d)["best"][0]["comment"], "Brilliant");
  EXPECT_EQ((*d)["worst"][0]["comment"], "Rude");
  EXPECT_EQ((*d)["worst"].size(), 1u);
  EXPECT_FALSE(read([&](store::Conn& c) { return daily_digest(c, lead_id, day, principal(agent_id)); }));
  auto queue = [&] {
    int n = -1;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = queue_digests(tx, day, "https://help.example.com");
      if (!r) return fail(r.error());
      n = *r;
      return {};
    }));
    return n;
  };
  EXPECT_EQ(queue(), 1);
  EXPECT_EQ(queue(), 0);
  auto mail = read([&](store::Conn& c) { return c.scalar_text("SELECT body_text FROM outbox WHERE kind = 'digest'"); });
  ASSERT_TRUE(mail && *mail);
  EXPECT_NE((*mail)->find("Rude"), std::string::npos);
}

TEST_F(RecoveryTest, SummaryGivesResponseRateAndTheRatingMetrics) {
  Answer happy = with(5, true);
  happy.nps = 10;
  Answer unhappy = with(2, false);
  unhappy.nps = 3;
  rated(agent_id, happy, new_customer());
  rated(agent_id, unhappy, new_customer());
  solved_ticket(new_customer(), agent_id, "chat");      // delivered, never answered
  solved_ticket(other_agent_id, agent_id, "chat");      // staff requester: suppressed
  rated(other_agent_id, with(4), new_customer());
  auto summary = [&](int64_t who, SummaryQuery q) {
    q.from = k_start - k_day;
    q.to = k_start + k_day;
    return read([&](store::Conn& c) { return feedback_summary(c, q, principal(who)); });
  };
  SummaryQuery mine;
  mine.agent_id = agent_id;
  auto s = summary(lead_id, mine);
  ASSERT_TRUE(s) << s.error().message;
  const auto& t = (*s)["total"];
  EXPECT_EQ(t["requests"], 4);
  EXPECT_EQ(t["suppressed"], 1);
  EXPECT_EQ(t["suppressed_reasons"]["requester_is_staff"], 1);
  EXPECT_EQ(t["delivered"], 3);
  EXPECT_EQ(t["answered"], 2);
  EXPECT_NEAR(t["response_rate"].get<double>(), 200.0 / 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(t["average_stars"].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ(t["csat"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(t["dsat"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(t["fcr"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(t["nps"].get<double>(), 0.0);  // one promoter, one detractor

  SummaryQuery by_agent;
  by_agent.by = "agent";
  auto all = summary(lead_id, by_agent);
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)["rows"].size(), 2u);
  EXPECT_EQ((*all)["total"]["answered"], 3);
  // An agent gets their own numbers only, whatever they ask for.
  auto own = summary(agent_id, {});
  EXPECT_EQ((*own)["total"]["answered"], 2);
  SummaryQuery other;
  other.agent_id = other_agent_id;
  EXPECT_FALSE(summary(agent_id, other));
}

}  // namespace rapport::feedback

namespace rapport::feedback {

TEST_F(RecoveryTest, LeaderboardWindowsAgreeWithTheDailySumsForEveryRangeEvenWhenRatingsArriveLate) {
  // Ratings on several days, one of them recorded after later days already had ratings (a rating
  // dated in the past must grow every later running total too).
  const int64_t d0 = k_start / k_day;
  auto on_day = [&](int64_t day, int64_t agent, Answer a) {
    now = day * k_day + 3600;
    rated(agent, a, new_customer());
  };
  on_day(d0, agent_id, with(5, true));
  on_day(d0 + 2, agent_id, with(2, false));
  on_day(d0 + 2, other_agent_id, with(4));
  on_day(d0 + 5, agent_id, with(4, true));
  on_day(d0 + 5, other_agent_id, with(1));
  on_day(d0 + 1, agent_id, with(3));  // late: days 2 and 5 already have running totals
  on_day(d0 + 1, other_agent_id, with(5, true));
  now = k_start;
  for (int64_t from = d0 - 1; from <= d0 + 6; ++from) {
    for (int64_t to = from + 1; to <= d0 + 7; ++to) {
      auto board = read([&](store::Conn& c) {
        LeaderboardQuery q;
        q.from_day = from;
        q.to_day = to;
        return leaderboard(c, q, principal(lead_id));
      });
      ASSERT_TRUE(board) << board.error().message;
      // The reference: the per-day rollup summed over the window.
      std::map<int64_t, std::pair<int64_t, int64_t>> want;  // agent -> (answers, stars)
      ASSERT_TRUE(read([&](store::Conn& c) {
        return c.each("SELECT agent_id, SUM(answers), SUM(stars_sum) FROM rating_daily WHERE day >= ? AND day < ? "
                      "GROUP BY agent_id",
                      {from, to}, [&](const store::Row& r) { want[r.i64(0)] = {r.i64(1), r.i64(2)}; });
      }));
      std::map<int64_t, std::pair<int64_t, int64_t>> got;
      for (const auto& a : (*board)["agents"]) {
        auto n = a["responses"].get<int64_t>();
        got[a["agent_id"].get<int64_t>()] = {n, std::llround(a["average_stars"].get<double>() * static_cast<double>(n))};
      }
      EXPECT_EQ(got, want) << "window [" << from - d0 << ", " << to - d0 << ")";
    }
  }
  // The whole week holds all seven answers.
  auto week = read([&](store::Conn& c) {
    LeaderboardQuery q;
    q.from_day = d0;
    q.to_day = d0 + 7;
    return leaderboard(c, q, principal(lead_id));
  });
  ASSERT_TRUE(week);
  EXPECT_EQ((*week)["responses"], 7);
}

TEST_F(RecoveryTest, RollupsFollowTheOrganizationsDaysAndARebuildEqualsTheIncrementalSums) {
  // The rollups as rows, to compare an incremental build with a bulk rebuild.
  auto snapshot = [&]() {
    std::vector<std::string> rows;
    EXPECT_TRUE(read([&](store::Conn& c) -> Status {
      for (const char* sql : {"SELECT 'd', day, agent_id, group_id, site_id, answers, stars_sum, csat, dsat, resolved_answers, "
                              "resolved_yes, nps_answers, promoters, detractors FROM rating_daily",
                              "SELECT 'r', day, agent_id, group_id, site_id, answers, stars_sum, csat, dsat, resolved_answers, "
                              "resolved_yes, nps_answers, promoters, detractors FROM rating_running",
                              "SELECT 'k', 0, agent_id, group_id, site_id, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM rating_keys"}) {
        auto st = c.each(std::string(sql) + " ORDER BY 2, 3, 4, 5", {}, [&](const store::Row& r) {
          std::string line = r.text(0);
          for (int i = 1; i < 14; ++i) line += " " + std::to_string(r.i64(i));
          rows.push_back(line);
        });
        if (!st) return st;
      }
      return {};
    }));
    return rows;
  };
  auto days_of = [&](int64_t agent) {
    std::map<int64_t, int64_t> out;  // day -> answers
    EXPECT_TRUE(read([&](store::Conn& c) {
      return c.each("SELECT day, answers FROM rating_daily WHERE agent_id = ?", {agent},
                    [&](const store::Row& r) { out[r.i64(0)] = r.i64(1); });
    }));
    return out;
  };
  auto align = [&]() {
    bool rebuilt = false;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = align_rollups_to_time_zone(tx);
      if (!r) return fail(r.error());
      rebuilt = *r;
      return {};
    }));
    return rebuilt;
  };
  struct UtcAfterwards {
    ~UtcAfterwards() { (void)set_organization_time_zone("UTC"); }
  } utc_afterwards;  // the zone is process-wide: later tests expect UTC
  ASSERT_TRUE(set_organization_time_zone("America/New_York"));
  EXPECT_TRUE(align());  // built in UTC so far (nothing yet): now New York's
  EXPECT_FALSE(align());  // once
  // Around New York's midnight (05:00 UTC in winter), and one late arrival.
  const int64_t d0 = *parse_day("2026-11-30");
  for (auto [at, stars] : {std::pair{"2026-11-30T12:00:00Z", 5}, {"2026-12-01T03:00:00Z", 4}, {"2026-12-01T04:59:59Z", 2},
                           {"2026-12-01T05:00:00Z", 3}, {"2026-12-02T18:00:00Z", 5}, {"2026-11-29T23:00:00Z", 1}}) {
    now = *parse_iso8601(at);
    rated(agent_id, with(stars, stars >= 4), new_customer());
  }
  now = k_start;
  EXPECT_EQ(days_of(agent_id), (std::map<int64_t, int64_t>{{d0 - 1, 1}, {d0, 3}, {d0 + 1, 1}, {d0 + 2, 1}}));
  auto incremental = snapshot();
  // Forget which zone built them: the rebuild from the ratings gives exactly the same rows.
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("UPDATE settings SET value = 'Europe/Paris' WHERE key = 'rollup_time_zone'", {});
    if (!r) return fail(r.error());
    return {};
  }));
  EXPECT_TRUE(align());
  EXPECT_EQ(snapshot(), incremental);
  // Back to UTC: the ratings move to their UTC days.
  ASSERT_TRUE(set_organization_time_zone("UTC"));
  EXPECT_TRUE(align());
  EXPECT_EQ(days_of(agent_id), (std::map<int64_t, int64_t>{{d0 - 1, 1}, {d0, 1}, {d0 + 1, 3}, {d0 + 2, 1}}));
}

}  // namespace rapport::feedback
