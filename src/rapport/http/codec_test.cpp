// write_json must give the bytes of to_json(...).dump() exactly as json_response sends them, for
// every shape of ticket: the list and show endpoints use it instead of the tree.
#include <rapport/http/codec.hpp>

#include <gtest/gtest.h>

namespace rapport::http {
namespace {

std::string dumped(const domain::Ticket& t, const std::string& base) {
  return to_json(t, base).dump(-1, ' ', false, Json::error_handler_t::replace);
}
std::string written(const domain::Ticket& t, const std::string& base) {
  std::string out;
  write_json(out, t, base);
  return out;
}

TEST(Codec, TicketWriterGivesTheSameBytesAsTheJsonTree) {
  std::vector<domain::Ticket> cases;
  domain::Ticket plain;
  plain.id = 1;
  plain.requester_id = plain.submitter_id = 2;
  plain.created_at = plain.updated_at = plain.generated_ts = 1'700'000'000;
  cases.push_back(plain);

  domain::Ticket full = plain;
  full.id = 987654321;
  full.external_id = "ext-\"42\"";
  full.channel = "email";
  full.via_source = {{"from", {{"address", "ana@example.com"}, {"name", "Ana"}}}, {"to", Json::object()}, {"rel", nullptr}};
  full.type = "incident";
  full.priority = "urgent";
  full.subject = "Caf\u00e9 \"quoted\" \\ back\tslash\nnew line \x01\x1f \u2603 \U0001F600 </script>";
  full.description = std::string("ctl \x7f \b\f\r end");
  full.status = "pending";
  full.recipient = "support@example.com";
  full.assignee_id = 7;
  full.organization_id = 8;
  full.group_id = 9;
  full.is_public = false;
  full.due_at = 1'800'000'000;
  full.tags = {"vip", "eu:west"};
  full.custom_fields = Json::array({{{"id", 5}, {"value", "x"}}});
  full.collaborator_ids = {3, 4};
  full.follower_ids = {5};
  full.email_cc_ids = {6};
  full.problem_id = 11;
  full.satisfaction_id = 12;
  full.satisfaction_score = "good";
  full.satisfaction_comment = "Thanks \"a lot\"";
  full.solved_at = 1'700'000'500;
  cases.push_back(full);

  domain::Ticket deleted = full;
  deleted.deleted_at = 1'700'000'900;
  deleted.satisfaction_comment.reset();
  cases.push_back(deleted);

  domain::Ticket broken = plain;
  broken.subject = std::string("bad \xff\xfe utf8 \xc3");  // stored before validation existed
  broken.description = std::string("\xed\xa0\x80 surrogate");
  broken.tags = Json::array({std::string("t\xff")});
  cases.push_back(broken);

  for (const auto& t : cases) {
    EXPECT_EQ(written(t, "https://help.example.com"), dumped(t, "https://help.example.com"));
    EXPECT_EQ(written(t, "http://127.0.0.1:8080"), dumped(t, "http://127.0.0.1:8080"));
  }
  // Appends: a page is several objects in one buffer.
  std::string page = "[";
  write_json(page, cases[0], "");
  page += ",";
  write_json(page, cases[1], "");
  page += "]";
  EXPECT_EQ(page, Json::array({to_json(cases[0], ""), to_json(cases[1], "")}).dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace
}  // namespace rapport::http
