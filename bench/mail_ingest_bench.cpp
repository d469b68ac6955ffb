// In-process benchmark of email intake (Google Benchmark). Run by bench/mail_ingest.sh, which
// writes docs/benchmarks.md; alone: build/release/bench/mail_ingest_bench
//
// Target (issue #4): MIME ingest (parse + thread + commit) >= 2,000 messages/s from a local corpus.
//
// The corpus is generated in memory, deterministic: 8,192 messages from 1,024 senders, in the
// shapes a support mailbox sees: plain text (40 %), multipart/alternative text + HTML with a
// quoted reply (30 %), Windows-1252 quoted-printable (10 %), a PNG attachment (10 %), HTML only
// (10 %); every third message replies (In-Reply-To + References) to an earlier one of its
// sender, so threading finds tickets as it would in a real mailbox.
//
//   BM_Parse                 parse_message only (no store): the CPU floor of intake
//   BM_Ingest/batched        parse + ingest, 256 messages submitted to the writer at once, as
//                            concurrent posts to the inbound endpoint are: group commit (the target)
//   BM_Ingest/sequential     parse + ingest, one write transaction and fsync per message, as the
//                            IMAP poller commits (each before marking \Seen)
//   BM_CreateTicket/batched  baseline: tickets::create_ticket of the same texts, batched the same
//                            way (the API's ticket create path without HTTP)
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/email/intake.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace email = rapport::email;
namespace store = rapport::store;
using rapport::Json;
using rapport::Status;

namespace {

constexpr int k_corpus = 8192;
constexpr int k_senders = 1024;
constexpr int k_batch = 256;

struct Message {
  std::string raw, subject, body, from;
};

std::string id_of(int i) { return "<m" + std::to_string(i) + ".bench@customer.example>"; }

std::vector<Message> make_corpus() {
  std::vector<Message> out;
  out.reserve(k_corpus);
  std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(3000, '\x42');
  auto png64 = rapport::crypto::base64_encode(png);
  for (int i = 0; i < k_corpus; ++i) {
    int sender = i % k_senders;
    Message m;
    m.from = "customer" + std::to_string(sender) + "@customer.example";
    m.subject = "Order " + std::to_string(10000 + i) + " has not arrived";
    m.body = "Hello,\n\nmy order " + std::to_string(10000 + i) +
             " was due last week and the tracking page has not changed since. Could you check?\n\nThanks,\nCustomer " +
             std::to_string(sender);
    std::string head = "From: Customer " + std::to_string(sender) + " <" + m.from + ">\r\nTo: Support <support@help.example>\r\n" +
                       "Date: Tue, 02 Jan 2024 10:00:00 +0000\r\nMessage-ID: " + id_of(i) + "\r\nMIME-Version: 1.0\r\n";
    if (i % 3 == 2 && i >= k_senders) {  // a reply to this sender's previous message
      head += "In-Reply-To: " + id_of(i - k_senders) + "\r\nReferences: " + id_of(i - k_senders) + "\r\n";
      m.subject = "Re: Order " + std::to_string(10000 + i - k_senders) + " has not arrived";
    }
    head += "Subject: " + m.subject + "\r\n";
    std::string crlf_body;
    for (char c : m.body) crlf_body += c == '\n' ? std::string("\r\n") : std::string(1, c);
    switch (i % 10) {
      case 0: case 1: case 2: case 3:
        m.raw = head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + crlf_body + "\r\n";
        break;
      case 4: case 5: case 6:
        m.raw = head + "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n\r\n" + crlf_body +
                "\r\n\r\nOn Mon, 1 Jan 2024 at 09:00, Support <support@help.example> wrote:\r\n> How can we help?\r\n"
                "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div><p>" + m.body +
                "</p></div><div class=\"gmail_quote\">On Mon wrote:<blockquote>How can we help?</blockquote></div>\r\n--alt--\r\n";
        break;
      case 7:
        m.raw = head + "Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                       "Gr=FC=DFe, caf=E9 =80 " + crlf_body + "\r\n";
        break;
      case 8:
        m.raw = head + "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain\r\n\r\n" +
                crlf_body + "\r\n--mix\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"photo" +
                std::to_string(i) + ".png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + png64 + "\r\n--mix--\r\n";
        break;
      default:
        m.raw = head + "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{}</style></head><body><p>" + m.body +
                "</p></body></html>\r\n";
    }
    out.push_back(std::move(m));
  }
  return out;
}

const std::vector<Message>& corpus() {
  static const auto c = make_corpus();
  return c;
}

// A migrated temporary store with the support mailbox.
std::unique_ptr<store::TempStore> fresh_store() {
  auto s = std::make_unique<store::TempStore>();
  auto st = (*s)->writer().run([](store::Tx& tx) -> Status {
    auto r = tx.conn().run("INSERT INTO mailboxes(address, address_key, name, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
                           {"support@help.example", "support@help.example", "Support"});
    if (!r) return rapport::fail(r.error());
    return {};
  });
  if (!st) throw std::runtime_error(st.error().message);
  return s;
}

// Submits every job in `jobs` to the writer at once and waits for all of them.
void run_batch(store::Store& s, std::vector<store::Writer::Job> jobs, benchmark::State& state) {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t done = 0;
  std::atomic<int> failed{0};
  for (auto& j : jobs) {
    s.writer().submit(std::move(j), [&](Status st) {
      if (!st) failed++;
      std::lock_guard lock(mu);
      ++done;
      cv.notify_one();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done == jobs.size(); });
  if (failed) state.SkipWithError("a write job failed");
}

void BM_Parse(benchmark::State& state) {
  const auto& c = corpus();
  std::size_t i = 0;
  for (auto _ : state) {
    auto m = email::parse_message(c[i++ % c.size()].raw);
    if (!m) state.SkipWithError(m.error().message.c_str());
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}

// Each iteration ingests the next k_batch messages (batched) or the next one (sequential); the
// fixed iteration counts keep every message new (a repeat would take the cheap duplicate path).
void BM_Ingest(benchmark::State& state) {
  bool batched = state.range(0) == 1;
  const auto& c = corpus();
  auto s = fresh_store();
  email::IntakeConfig cfg;
  std::size_t next = 0;
  int64_t tickets = 0, comments = 0;
  for (auto _ : state) {
    std::size_t n = batched ? k_batch : 1;
    std::vector<store::Writer::Job> jobs;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& raw = c[next++].raw;
      // Parsing happens before the write job, as on the endpoint's database thread.
      auto parsed = std::make_shared<email::ParsedMessage>(email::parse_message(raw).value());
      jobs.push_back([parsed, &raw, &cfg, &tickets, &comments](store::Tx& tx) -> Status {
        auto r = email::ingest(tx, *parsed, raw, cfg);
        if (!r) return rapport::fail(r.error());
        (r->outcome == "created" ? tickets : comments)++;
        return {};
      });
    }
    if (batched) run_batch(**s, std::move(jobs), state);
    else if (auto st = (*s)->writer().run(std::move(jobs.front())); !st) state.SkipWithError(st.error().message.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(next));
  state.counters["tickets"] = static_cast<double>(tickets);
  state.counters["comments"] = static_cast<double>(comments);
}

void BM_CreateTicket(benchmark::State& state) {
  const auto& c = corpus();
  auto s = fresh_store();
  std::size_t next = 0;
  for (auto _ : state) {
    std::vector<store::Writer::Job> jobs;
    for (int k = 0; k < k_batch; ++k) {
      const auto& m = c[next++];
      jobs.push_back([&m](store::Tx& tx) -> Status {
        auto t = rapport::tickets::create_ticket(
            tx, {{"subject", m.subject}, {"comment", {{"body", m.body}}}, {"requester", {{"email", m.from}, {"name", m.from}}}},
            rapport::accounts::system_principal());
        if (!t) return rapport::fail(t.error());
        return {};
      });
    }
    run_batch(**s, std::move(jobs), state);
  }
  state.SetItemsProcessed(static_cast<int64_t>(next));
}

}  // namespace

BENCHMARK(BM_Parse)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Ingest)->Arg(1)->ArgName("batched")->Iterations(k_corpus / k_batch - 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Ingest)->Arg(0)->ArgName("sequential")->Iterations(1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CreateTicket)->Iterations(k_corpus / k_batch - 2)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  rapport::crypto::init();
  (void)corpus();  // generated before anything is timed
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
