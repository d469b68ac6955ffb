// Knowledge-base search over 10,000 articles, in process (Google Benchmark).
//
//   cmake --build build/release --target kb_bench && build/release/bench/kb_bench
//   (bench/kb.sh runs it and rewrites the kb block of docs/benchmarks.md)
//
// The articles are generated through the service (knowledge::create_article: Markdown rendered,
// FTS row written) from a fixed-seed vocabulary of 20,000 made-up words drawn with Zipf's law
// (s = 1), so a common word matches thousands of articles and a rare one a handful. Each benchmark records
// every call's latency and reports p50/p99 (µs) as counters, beside Google Benchmark's mean.
//
// Baseline, same run and same database: `BM_FtsBaseline` is the bare FTS5 query for one fixed
// common word (MATCH, no ranking, no join, no visibility filter, first 25 rowids): the floor the
// full search (bm25 ranking, snippet, join with articles and sections, visibility, count) stands on.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <benchmark/benchmark.h>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/knowledge/deflection.hpp>
#include <rapport/knowledge/knowledge.hpp>
#include <rapport/store/testing.hpp>

namespace {

using namespace rapport;
constexpr int k_articles = 10'000;
constexpr int k_vocabulary = 20'000;

std::vector<std::string> make_vocabulary() {
  // Pronounceable made-up words (no real-language stop words among them), stable across runs.
  static const char* k_syll[] = {"ka", "lo", "mi", "ner", "tu", "sa", "vin", "ro", "pe", "dal", "qui", "zo", "ba", "fen",
                                 "gri", "hu", "jo", "lex", "mor", "nu", "pra", "sil", "tor", "ul", "vek", "wy", "xan", "yel"};
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> syll(0, 27), len(2, 4);
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  while (static_cast<int>(out.size()) < k_vocabulary) {
    std::string w;
    for (int i = len(rng); i > 0; --i) w += k_syll[syll(rng)];
    if (seen.insert(w).second) out.push_back(w);
  }
  return out;
}

struct Fixture {
  // KB_BENCH_DB=path keeps the generated database there (and reuses it when it has the articles),
  // for looking at query plans with the sqlite3 shell; by default a temporary store.
  std::unique_ptr<store::TempStore> temp;
  std::unique_ptr<store::Store> kept;
  store::Store* s = nullptr;
  std::vector<std::string> vocab = make_vocabulary();
  domain::Principal visitor{};

  Fixture() {
    crypto::init();
    if (const char* path = std::getenv("KB_BENCH_DB")) {
      auto opened = store::Store::open(path);
      if (!opened) {
        std::fprintf(stderr, "cannot open %s: %s\n", path, opened.error().message.c_str());
        std::abort();
      }
      kept = std::move(*opened);
      s = kept.get();
      auto n = s->read([](store::Conn& c) { return c.scalar("SELECT COUNT(*) FROM kb_articles"); });
      if (n && n->value_or(0) >= k_articles) return;
    } else {
      temp = std::make_unique<store::TempStore>();
      s = &**temp;
    }
    auto admin = accounts::system_principal();
    std::mt19937 rng(7);
    // Zipf-like: word i drawn with probability ~ 1/(i+1).
    std::vector<double> weights(k_vocabulary);
    for (int i = 0; i < k_vocabulary; ++i) weights[i] = 1.0 / (i + 1);
    std::discrete_distribution<int> word(weights.begin(), weights.end());
    std::uniform_int_distribution<int> title_len(3, 8), para_len(30, 90), paras(2, 5);
    auto st = s->writer().run([&](store::Tx& tx) -> Status {
      auto c = knowledge::create_category(tx, {{"name", "General"}}, admin);
      if (!c) return fail(c.error());
      std::vector<int64_t> sections;
      for (int i = 0; i < 20; ++i) {
        auto sec = knowledge::create_section(tx, c->id, {{"name", "Section " + std::to_string(i)}}, admin);
        if (!sec) return fail(sec.error());
        sections.push_back(sec->id);
      }
      for (int a = 0; a < k_articles; ++a) {
        std::string title;
        for (int i = title_len(rng); i > 0; --i) title += (title.empty() ? "" : " ") + vocab[word(rng)];
        std::string body;
        for (int p = paras(rng); p > 0; --p) {
          for (int i = para_len(rng); i > 0; --i) body += vocab[word(rng)] + (i % 11 == 0 ? ". " : " ");
          body += "\n\n";
        }
        Json in = {{"title", title}, {"body", body}, {"draft", a % 10 == 0}, {"visibility", a % 7 == 0 ? "internal" : "public"}};
        auto art = knowledge::create_article(tx, sections[a % sections.size()], in, admin);
        if (!art) return fail(art.error());
      }
      return {};
    });
    if (!st) {
      std::fprintf(stderr, "setup failed: %s\n", st.error().message.c_str());
      std::abort();
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Runs `fn` once per iteration, timing each call, and reports p50/p99 in microseconds.
template <typename Fn>
void timed(benchmark::State& state, Fn&& fn) {
  std::vector<double> us;
  us.reserve(100000);
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us.empty() ? 0.0 : us[std::min(us.size() - 1, static_cast<std::size_t>(p * us.size()))]; };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["max_us"] = us.empty() ? 0.0 : us.back();
}

void BM_FtsBaseline(benchmark::State& state) {
  auto& f = fixture();
  auto lease = f.s->reads().acquire();
  auto& conn = **lease;
  const std::string term = "\"" + f.vocab[0] + "\"";
  timed(state, [&] {
    int n = 0;
    auto st = conn.each("SELECT rowid FROM kb_article_fts WHERE kb_article_fts MATCH ? LIMIT 25", {term},
                        [&](const store::Row&) { ++n; });
    benchmark::DoNotOptimize(n);
    if (!st) state.SkipWithError(st.error().message.c_str());
  });
}

// The query mix a help center sees, by word rank (rank 30 is in about half the articles, rank
// 15,000 in a handful): common, medium and rare words, two words, and a word being typed.
void BM_Search(benchmark::State& state) {
  auto& f = fixture();
  auto lease = f.s->reads().acquire();
  auto& conn = **lease;
  std::vector<std::string> queries = {f.vocab[30],  f.vocab[300], f.vocab[3000], f.vocab[15000],
                                      f.vocab[50] + " " + f.vocab[400], f.vocab[100].substr(0, 4)};
  std::size_t i = 0;
  int64_t matched = 0;
  timed(state, [&] {
    auto r = knowledge::search_articles(conn, {queries[i++ % queries.size()]}, f.visitor);
    if (!r) return state.SkipWithError(r.error().message.c_str());
    matched += r->count;
  });
  state.counters["avg_matches"] = benchmark::Counter(static_cast<double>(matched), benchmark::Counter::kAvgIterations);
}

// The worst case: the most frequent word, in every article about 25 times (like "the", which a
// real knowledge base has but nobody searches for). Reported, not part of the target.
void BM_SearchEveryArticle(benchmark::State& state) {
  auto& f = fixture();
  auto lease = f.s->reads().acquire();
  auto& conn = **lease;
  timed(state, [&] {
    auto r = knowledge::search_articles(conn, {f.vocab[0]}, f.visitor);
    if (!r) return state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r->count);
  });
}

// The web form's suggestion query: a customer's sentence, words ORed.
void BM_Suggest(benchmark::State& state) {
  auto& f = fixture();
  auto lease = f.s->reads().acquire();
  auto& conn = **lease;
  std::string text = "Hello, my " + f.vocab[40] + " stopped working after the " + f.vocab[120] + " update and the " +
                     f.vocab[700] + " page shows " + f.vocab[4000] + ". What can I do?";
  timed(state, [&] {
    auto r = knowledge::suggest_articles(conn, text, f.visitor, 3);
    if (!r) return state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r->size());
  });
}

BENCHMARK(BM_FtsBaseline)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_Search)->Unit(benchmark::kMicrosecond)->MinTime(3.0);
BENCHMARK(BM_Suggest)->Unit(benchmark::kMicrosecond)->MinTime(2.0);
BENCHMARK(BM_SearchEveryArticle)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
