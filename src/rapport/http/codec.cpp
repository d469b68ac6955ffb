#include <rapport/http/codec.hpp>

#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>

namespace rapport::http {

namespace {
template <typename T>
Json opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json opt_time(const std::optional<int64_t>& v) { return v ? Json(iso8601(*v)) : Json(nullptr); }
}  // namespace

Json to_json(const domain::Ticket& t, const std::string& base) {
  Json sat = nullptr;
  if (t.satisfaction_score) {
    sat = {{"id", opt(t.satisfaction_id)}, {"score", *t.satisfaction_score}, {"comment", opt(t.satisfaction_comment)}};
  }
  Json source = t.via_source.empty() ? Json{{"from", Json::object()}, {"to", Json::object()}, {"rel", nullptr}} : t.via_source;
  return {
      {"id", t.id},
      {"url", base + "/api/v2/tickets/" + std::to_string(t.id) + ".json"},
      {"external_id", opt(t.external_id)},
      {"via", {{"channel", t.channel}, {"source", source}}},
      {"created_at", iso8601(t.created_at)},
      {"updated_at", iso8601(t.updated_at)},
      {"generated_timestamp", t.generated_ts},
      {"type", opt(t.type)},
      {"subject", t.subject},
      {"raw_subject", t.subject},
      {"description", t.description},
      {"priority", opt(t.priority)},
      {"status", t.deleted_at ? std::string("deleted") : t.status},
      {"recipient", opt(t.recipient)},
      {"requester_id", t.requester_id},
      {"submitter_id", t.submitter_id},
      {"assignee_id", opt(t.assignee_id)},
      {"organization_id", opt(t.organization_id)},
      {"group_id", opt(t.group_id)},
      {"collaborator_ids", t.collaborator_ids},
      {"follower_ids", t.follower_ids},
      {"email_cc_ids", t.email_cc_ids},
      {"forum_topic_id", nullptr},
      {"problem_id", opt(t.problem_id)},
      {"has_incidents", false},
      {"is_public", t.is_public},
      {"due_at", opt_time(t.due_at)},
      {"tags", t.tags},
      {"custom_fields", t.custom_fields},
      {"fields", t.custom_fields},
      {"satisfaction_rating", sat},
      {"sharing_agreement_ids", Json::array()},
      {"followup_ids", Json::array()},
      {"ticket_form_id", nullptr},
      {"brand_id", nullptr},
      {"allow_channelback", false},
      {"allow_attachments", true},
      {"from_messaging_channel", false},
  };
}

namespace {
// The writer below produces exactly the bytes of to_json(t).dump() as json_response sends them:
// keys in std::map order, nlohmann's escaping, invalid UTF-8 replaced. codec_test compares the two.
void put_string(std::string& out, std::string_view s) {
  if (!valid_utf8(s)) {
    out += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
    return;
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(k_hex[c >> 4]);
          out.push_back(k_hex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}
void put_json(std::string& out, const Json& j) { out += j.dump(-1, ' ', false, Json::error_handler_t::replace); }
template <typename T>
void put_opt(std::string& out, const std::optional<T>& v) {
  if (!v) out += "null";
  else if constexpr (std::is_same_v<T, std::string>) put_string(out, *v);
  else out += std::to_string(*v);
}
void put_time(std::string& out, const std::optional<int64_t>& v) {
  if (v) put_string(out, iso8601(*v));
  else out += "null";
}
}  // namespace

void write_json(std::string& out, const domain::Ticket& t, const std::string& base) {
  // Keys in the order std::map gives them (byte order), as nlohmann would.
  out += "{\"allow_attachments\":true,\"allow_channelback\":false,\"assignee_id\":";
  put_opt(out, t.assignee_id);
  out += ",\"brand_id\":null,\"collaborator_ids\":";
  put_json(out, t.collaborator_ids);
  out += ",\"created_at\":";
  put_string(out, iso8601(t.created_at));
  out += ",\"custom_fields\":";
  const std::string custom = t.custom_fields.dump(-1, ' ', false, Json::error_handler_t::replace);
  out += custom;
  out += ",\"description\":";
  put_string(out, t.description);
  out += ",\"due_at\":";
  put_time(out, t.due_at);
  out += ",\"email_cc_ids\":";
  put_json(out, t.email_cc_ids);
  out += ",\"external_id\":";
  put_opt(out, t.external_id);
  out += ",\"fields\":";
  out += custom;
  out += ",\"follower_ids\":";
  put_json(out, t.follower_ids);
  out += ",\"followup_ids\":[],\"forum_topic_id\":null,\"from_messaging_channel\":false,\"generated_timestamp\":";
  out += std::to_string(t.generated_ts);
  out += ",\"group_id\":";
  put_opt(out, t.group_id);
  out += ",\"has_incidents\":false,\"id\":";
  out += std::to_string(t.id);
  out += ",\"is_public\":";
  out += t.is_public ? "true" : "false";
  out += ",\"organization_id\":";
  put_opt(out, t.organization_id);
  out += ",\"priority\":";
  put_opt(out, t.priority);
  out += ",\"problem_id\":";
  put_opt(out, t.problem_id);
  out += ",\"raw_subject\":";
  put_string(out, t.subject);
  out += ",\"recipient\":";
  put_opt(out, t.recipient);
  out += ",\"requester_id\":";
  out += std::to_string(t.requester_id);
  out += ",\"satisfaction_rating\":";
  if (t.satisfaction_score) {
    put_json(out, {{"id", opt(t.satisfaction_id)}, {"score", *t.satisfaction_score}, {"comment", opt(t.satisfaction_comment)}});
  } else {
    out += "null";
  }
  out += ",\"sharing_agreement_ids\":[],\"status\":";
  put_string(out, t.deleted_at ? std::string_view("deleted") : std::string_view(t.status));
  out += ",\"subject\":";
  put_string(out, t.subject);
  out += ",\"submitter_id\":";
  out += std::to_string(t.submitter_id);
  out += ",\"tags\":";
  put_json(out, t.tags);
  out += ",\"ticket_form_id\":null,\"type\":";
  put_opt(out, t.type);
  out += ",\"updated_at\":";
  put_string(out, iso8601(t.updated_at));
  out += ",\"url\":";
  put_string(out, base + "/api/v2/tickets/" + std::to_string(t.id) + ".json");
  out += ",\"via\":{\"channel\":";
  put_string(out, t.channel);
  out += ",\"source\":";
  if (t.via_source.empty()) out += "{\"from\":{},\"rel\":null,\"to\":{}}";
  else put_json(out, t.via_source);
  out += "}}";
}

Json to_json(const domain::User& u, const std::string& base) {
  Json j = {
      {"id", u.id},
      {"url", base + "/api/v2/users/" + std::to_string(u.id) + ".json"},
      {"name", u.name},
      {"email", opt(u.email)},
      {"created_at", iso8601(u.created_at)},
      {"updated_at", iso8601(u.updated_at)},
      {"time_zone", u.time_zone},
      {"iana_time_zone", u.time_zone},
      {"phone", opt(u.phone)},
      {"shared_phone_number", nullptr},
      {"photo", u.photo_url ? Json{{"content_url", *u.photo_url}} : Json(nullptr)},
      {"locale_id", 1},
      {"locale", u.locale},
      {"organization_id", opt(u.organization_id)},
      {"role", u.role},
      {"verified", u.verified},
      {"external_id", opt(u.external_id)},
      {"tags", u.tags},
      {"alias", u.alias},
      {"active", u.active},
      {"shared", false},
      {"shared_agent", false},
      {"last_login_at", opt_time(u.last_login_at)},
      {"two_factor_auth_enabled", false},
      {"signature", u.signature},
      {"details", u.details},
      {"notes", u.notes},
      {"role_type", nullptr},
      {"custom_role_id", nullptr},
      {"moderator", u.role != "end-user"},
      {"ticket_restriction", u.role == "end-user" ? Json("requested") : opt(u.ticket_restriction)},
      {"only_private_comments", false},
      {"restricted_agent", u.role == "agent" && u.ticket_restriction.has_value()},
      {"suspended", u.suspended},
      {"default_group_id", opt(u.default_group_id)},
      {"report_csv", false},
      {"user_fields", u.user_fields},
      // Rapport's own fields
      {"rapport_role", u.rapport_role.empty() ? Json(nullptr) : Json(u.rapport_role)},
      {"site_id", opt(u.site_id)},
      {"team_lead_id", opt(u.team_lead_id)},
      {"hired_at", opt_time(u.hired_at)},
      {"skills", u.skills},
      {"bio", u.bio},
      {"group_ids", u.group_ids},
  };
  return j;
}

Json to_json(const domain::Organization& o, const std::string& base) {
  return {{"id", o.id},
          {"url", base + "/api/v2/organizations/" + std::to_string(o.id) + ".json"},
          {"name", o.name},
          {"external_id", opt(o.external_id)},
          {"domain_names", o.domain_names},
          {"details", o.details},
          {"notes", o.notes},
          {"group_id", opt(o.group_id)},
          {"shared_tickets", o.shared_tickets},
          {"shared_comments", o.shared_comments},
          {"tags", o.tags},
          {"organization_fields", o.organization_fields},
          {"created_at", iso8601(o.created_at)},
          {"updated_at", iso8601(o.updated_at)}};
}

Json to_json(const domain::Group& g, const std::string& base) {
  return {{"id", g.id},
          {"url", base + "/api/v2/groups/" + std::to_string(g.id) + ".json"},
          {"name", g.name},
          {"description", g.description},
          {"default", g.is_default},
          {"deleted", g.deleted},
          {"is_public", g.is_public},
          {"site_id", opt(g.site_id)},
          {"created_at", iso8601(g.created_at)},
          {"updated_at", iso8601(g.updated_at)}};
}

Json to_json(const domain::Site& s, const std::string& base) {
  return {{"id", s.id},
          {"url", base + "/api/v2/sites/" + std::to_string(s.id) + ".json"},
          {"name", s.name},
          {"kind", s.kind},
          {"vendor", opt(s.vendor)},
          {"time_zone", s.time_zone},
          {"created_at", iso8601(s.created_at)},
          {"updated_at", iso8601(s.updated_at)}};
}

Json to_json(const domain::Comment& c) {
  return {{"id", c.id},
          {"type", "Comment"},
          {"author_id", c.author_id},
          {"body", c.body},
          {"html_body", c.html_body},
          {"plain_body", c.body},
          {"public", c.is_public},
          {"attachments", Json::array()},
          {"audit_id", c.audit_id},
          {"via", c.via},
          {"created_at", iso8601(c.created_at)},
          {"metadata", c.metadata}};
}

Json to_json(const email::StoredAttachment& a, const std::string& base) {
  auto content = base + "/api/v2/attachments/" + std::to_string(a.id) + "/content";
  return {{"id", a.id},
          {"url", base + "/api/v2/attachments/" + std::to_string(a.id) + ".json"},
          {"file_name", a.file_name},
          {"content_url", content},
          {"mapped_content_url", content},
          {"content_type", a.content_type},
          {"size", a.size},
          {"inline", a.is_inline},
          {"deleted", false},
          {"malware_access_override", false},
          {"malware_scan_result", "not_scanned"},
          {"thumbnails", Json::array()}};
}

Json to_json(const domain::Audit& a) {
  return {{"id", a.id},
          {"ticket_id", a.ticket_id},
          {"created_at", iso8601(a.created_at)},
          {"author_id", a.author_id ? Json(*a.author_id) : Json(-1)},
          {"metadata", a.metadata},
          {"via", a.via},
          {"events", a.events}};
}

Json to_json(const domain::JobStatus& j, const std::string& base) {
  return {{"id", j.id},
          {"url", base + "/api/v2/job_statuses/" + j.id + ".json"},
          {"job_type", j.job_type},
          {"total", j.total},
          {"progress", j.progress},
          {"status", j.status},
          {"message", opt(j.message)},
          {"results", j.results}};
}

Json anonymous_user() {
  return {{"id", nullptr}, {"url", nullptr}, {"name", "Anonymous user"}, {"email", "invalid@example.com"},
          {"role", "end-user"}, {"verified", false}, {"active", true}, {"locale", "en-US"}, {"time_zone", "UTC"},
          {"tags", Json::array()}, {"user_fields", Json::object()}};
}

}  // namespace rapport::http
