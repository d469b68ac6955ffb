#include <rapport/events/consumer.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/testing.hpp>

#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace rapport::events {
namespace {

using store::TempStore;
using store::Tx;

std::vector<int64_t> append_events(store::Store& s, const std::vector<std::string>& kinds) {
  std::vector<int64_t> ids;
  EXPECT_TRUE(s.writer().run([&](Tx& tx) -> Status {
    for (const auto& kind : kinds) {
      auto id = append(tx.conn(), Event{kind, "ticket", 1, std::nullopt, std::nullopt, {{"n", ids.size()}}}, 1000);
      if (!id) return fail(id.error());
      ids.push_back(*id);
    }
    return {};
  }));
  return ids;
}

TEST(Consumer, HandlesItsKindsOnceInOrderAndAnIdlePassWritesNothing) {
  TempStore s;
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return start_at_end(tx, "c"); }));
  auto ids = append_events(*s, {"a.x", "b.y", "a.x", "a.x"});
  std::vector<int64_t> mine;
  auto h = [&](Tx&, const StoredEvent& e) -> Status {
    EXPECT_EQ(e.kind, "a.x");
    mine.push_back(e.id);
    return {};
  };
  EXPECT_EQ(consume(*s, "c", {"a.x"}, h).value(), 3);
  EXPECT_EQ(mine, (std::vector<int64_t>{ids[0], ids[2], ids[3]}));
  const auto batches = s->writer().stats().batches.load();
  EXPECT_EQ(consume(*s, "c", {"a.x"}, h).value(), 0);
  EXPECT_EQ(s->writer().stats().batches.load(), batches) << "an idle pass committed";
  EXPECT_EQ(mine.size(), 3u);
}

TEST(Consumer, AFailingHandlerKeepsThePositionAndTheEventsComeAgain) {
  TempStore s;
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return start_at_end(tx, "c"); }));
  auto ids = append_events(*s, {"a.x", "a.x"});
  int calls = 0;
  auto failing = [&](Tx&, const StoredEvent& e) -> Status {
    ++calls;
    if (e.id == ids[1]) return fail(Error::unavailable("not now"));
    return {};
  };
  EXPECT_FALSE(consume(*s, "c", {}, failing).has_value());
  std::vector<int64_t> again;
  EXPECT_EQ(consume(*s, "c", {}, [&](Tx&, const StoredEvent& e) -> Status {
              again.push_back(e.id);
              return {};
            }).value(),
            2);
  EXPECT_EQ(again, ids);
  EXPECT_EQ(calls, 2);
}

TEST(Consumer, WhenThePositionMovesBetweenItsReadAndItsWriteItReadsAgainAndRepeatsNothing) {
  // The consumer reads its next events on a read connection, then handles them in a write job.
  // Here the position moves past the first event in between (as another pass would move it):
  // the job must start from where the position is, not from what the read fetched.
  TempStore s;
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return start_at_end(tx, "c"); }));
  auto ids = append_events(*s, {"a.x", "a.x", "a.x"});

  std::promise<void> entered, release;
  auto gate = release.get_future().share();
  s->writer().submit(
      [&entered, gate](Tx&) -> Status {
        entered.set_value();
        gate.wait();
        return {};
      },
      [](Status) {});
  entered.get_future().wait();  // the writer holds the gate job: the queue below is exact
  // Queued behind the gate, ahead of the consumer's job: moves the position past the first event.
  std::promise<Status> moved;
  s->writer().submit(
      [&](Tx& tx) -> Status {
        auto r = tx.conn().run("UPDATE event_cursors SET last_id = ? WHERE name = 'c'", {ids[0]});
        if (!r) return fail(r.error());
        return {};
      },
      [&](Status st) { moved.set_value(std::move(st)); });
  std::vector<int64_t> handled;
  auto consumed = std::async(std::launch::async, [&] {
    return consume(*s, "c", {"a.x"}, [&](Tx&, const StoredEvent& e) -> Status {
      handled.push_back(e.id);
      return {};
    });
  });
  // The consumer has read (the position was still before the first event) once its job is queued.
  while (s->writer().queue_depth() < 2) std::this_thread::yield();
  release.set_value();
  ASSERT_TRUE(moved.get_future().get().has_value());
  EXPECT_EQ(consumed.get().value(), 2);
  EXPECT_EQ(handled, (std::vector<int64_t>{ids[1], ids[2]}));
}

}  // namespace
}  // namespace rapport::events
