#pragma once
// Shared by the knowledge API handlers and the public help-center pages (/hc): the wire shape of
// articles, sections and categories, and the contact form's rate limits.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <rapport/base/json.hpp>
#include <rapport/http/api.hpp>
#include <rapport/knowledge/knowledge.hpp>

namespace rapport::http {

Json to_json(const knowledge::Category& c, const std::string& base);
Json to_json(const knowledge::Section& s, const std::string& base);
Json to_json(const knowledge::Article& a, const std::string& base);
// An article as a search result or suggestion: the article plus `snippet` and `result_type`.
Json to_json(const knowledge::SearchHit& h, const std::string& base);

// Fixed one-hour windows per client address and per requester email for submitted requests, so
// a script cannot flood the queue through the anonymous form. In memory (per process), bounded:
// a table past 100,000 keys starts over.
class FormLimiter {
 public:
  FormLimiter(int per_ip, int per_email) : m_per_ip(per_ip), m_per_email(per_email) {}
  // Counts one submission; nullopt when allowed, else the seconds until the window resets.
  std::optional<int64_t> admit(const std::string& ip, const std::string& email);
  // The same for the suggestion step, which writes too: ten times the per-address allowance.
  std::optional<int64_t> admit_suggestions(const std::string& ip);

 private:
  struct Window {
    int64_t hour = 0;
    int count = 0;
  };
  bool take(std::unordered_map<std::string, Window>& table, const std::string& key, int limit, int64_t hour);
  int m_per_ip, m_per_email;
  std::mutex m_mu;
  std::unordered_map<std::string, Window> m_ip, m_email, m_suggest;
};

void register_help_center_pages(Api& api, std::shared_ptr<FormLimiter> limiter);

}  // namespace rapport::http
