// Feedback: the customer's survey page (server-rendered, works without JavaScript), the link
// list per ticket, Zendesk's satisfaction_ratings, and the feedback settings.
#include <algorithm>

#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/feedback/recognition.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::http {

namespace {

std::string esc(const std::string& s) { return html_escape(s); }

std::string label_of(const std::string& tag) {
  std::string out = tag;
  for (auto& ch : out) if (ch == '_') ch = ' ';
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

constexpr const char* k_css =
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}"
    "main{max-width:560px;margin:0 auto;padding:24px 16px}"
    ".card{background:#fff;border-radius:12px;padding:24px;box-shadow:0 1px 3px rgba(0,0,0,.08)}"
    ".agent{display:flex;gap:16px;align-items:center;margin-bottom:16px}"
    ".avatar{width:64px;height:64px;border-radius:50%;background:#3b5bdb;color:#fff;display:flex;align-items:center;"
    "justify-content:center;font-size:28px;object-fit:cover}"
    "fieldset{border:0;padding:0;margin:20px 0}legend{font-weight:600;margin-bottom:8px}"
    ".stars{display:flex;flex-direction:row-reverse;justify-content:flex-end;gap:4px}"
    ".stars input{position:absolute;opacity:0;width:1px;height:1px}"
    ".stars label{font-size:40px;color:#c9ced6;cursor:pointer;line-height:1}"
    ".stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#f5a623}"
    ".stars input:focus-visible+label{outline:3px solid #3b5bdb;border-radius:4px}"
    ".choices{display:flex;flex-wrap:wrap;gap:8px}.choices label{border:1px solid #c9ced6;border-radius:20px;padding:6px 12px}"
    ".nps label{min-width:28px;text-align:center}"
    "textarea{width:100%;box-sizing:border-box;min-height:96px;font:inherit;padding:8px;border-radius:8px;border:1px solid #c9ced6}"
    "button{background:#3b5bdb;color:#fff;border:0;border-radius:8px;padding:12px 20px;font-size:16px;width:100%}"
    ".error{background:#fdecea;color:#8a1c1c;padding:12px;border-radius:8px}.muted{color:#5b6474}";

Response html_page(unsigned status, const std::string& title, const std::string& body, const std::string& nonce = "") {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "text/html; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("Referrer-Policy", "no-referrer");  // the link is a credential; keep it out of Referer
  res.set("X-Frame-Options", "DENY");
  res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'" +
                                         (nonce.empty() ? std::string() : "; script-src 'nonce-" + nonce + "'; connect-src 'self'"));
  res.body() = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>" +
               esc(title) + "</title><style>" + k_css + "</style></head><body><main>" + body + "</main></body></html>";
  return res;
}

// The first character of `s`, whole: a UTF-8 lead byte plus its continuation bytes.
std::string first_char(const std::string& s) {
  std::size_t n = s.empty() ? 0 : 1;
  while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
  return s.substr(0, n);
}

std::string agent_header(const feedback::Survey& s) {
  std::string avatar = s.agent_photo && s.agent_photo->rfind("https://", 0) == 0
                           ? "<img class=\"avatar\" alt=\"\" src=\"" + esc(*s.agent_photo) + "\">"
                           : "<div class=\"avatar\" aria-hidden=\"true\">" + esc(first_char(s.agent_first_name)) + "</div>";
  return "<div class=\"agent\">" + avatar + "<div><h1 style=\"margin:0;font-size:22px\">How did " + esc(s.agent_first_name) +
         " do?</h1><div class=\"muted\">" + esc(s.agent_name) + (s.agent_bio.empty() ? "" : " &middot; " + esc(s.agent_bio)) +
         "</div></div></div><p class=\"muted\">About: " + esc(s.ticket_subject) + "</p>";
}

// `prev`: the answer the customer sent when it is shown again with an error, so nothing typed is lost.
std::string survey_form(const feedback::Survey& s, const std::string& action, std::optional<int64_t> preselect,
                        const std::string& error, const std::string& nonce, const feedback::Answer* prev = nullptr) {
  if (prev && prev->stars) preselect = prev->stars;
  auto checked = [](bool on) { return on ? std::string(" checked") : std::string(); };
  auto has_tag = [&](const std::string& t) {
    return prev && std::find(prev->tags.begin(), prev->tags.end(), t) != prev->tags.end();
  };
  std::string f = "<div class=\"card\">" + agent_header(s);
  if (!error.empty()) f += "<p class=\"error\" role=\"alert\">" + esc(error) + "</p>";
  f += "<form method=\"post\" action=\"" + esc(action) + "\">";
  f += "<fieldset><legend>Your rating of " + esc(s.agent_first_name) + " (required)</legend><div class=\"stars\">";
  for (int i = 5; i >= 1; --i) {
    auto id = "star" + std::to_string(i);
    f += "<input type=\"radio\" id=\"" + id + "\" name=\"stars\" value=\"" + std::to_string(i) + "\" required" +
         (preselect == i ? " checked" : "") + "><label for=\"" + id + "\" title=\"" + std::to_string(i) + " star" +
         (i > 1 ? "s" : "") + "\">&#9733;<span style=\"position:absolute;left:-9999px\">" + std::to_string(i) +
         " of 5</span></label>";
  }
  f += "</div></fieldset>";
  f += "<fieldset><legend>Was your issue resolved?</legend><div class=\"choices\">"
       "<label><input type=\"radio\" name=\"resolved\" value=\"yes\"" +
       checked(prev && prev->resolved == true) + "> Yes</label><label><input type=\"radio\" name=\"resolved\" value=\"no\"" +
       checked(prev && prev->resolved == false) + "> No</label></div></fieldset>";
  if (s.config.ask_nps) {
    f += "<fieldset class=\"nps\"><legend>How likely are you to recommend us to a friend? (0 = not at all, 10 = "
         "extremely)</legend><div class=\"choices\">";
    for (int i = 0; i <= 10; ++i)
      f += "<label><input type=\"radio\" name=\"nps\" value=\"" + std::to_string(i) + "\"" + checked(prev && prev->nps == i) +
           "> " + std::to_string(i) + "</label>";
    f += "</div></fieldset>";
  }
  auto tag_group = [&](const char* id, const std::string& legend, const std::vector<std::string>& tags) {
    std::string g = "<fieldset id=\"" + std::string(id) + "\"><legend>" + legend + "</legend><div class=\"choices\">";
    for (const auto& t : tags)
      g += "<label><input type=\"checkbox\" name=\"tags\" value=\"" + esc(t) + "\"" + checked(has_tag(t)) + "> " +
           esc(label_of(t)) + "</label>";
    return g + "</div></fieldset>";
  };
  for (const auto& q : s.config.questions) {
    auto sent = prev && prev->custom.count(q.id) ? prev->custom.at(q.id) : std::string();
    f += "<fieldset class=\"choices-q\"><legend>" + esc(q.label) + "</legend><div class=\"choices\">";
    std::vector<std::string> values;
    if (q.type == "scale")
      for (int64_t i = q.min; i <= q.max; ++i) values.push_back(std::to_string(i));
    else
      values = q.options;
    for (const auto& val : values)
      f += "<label><input type=\"radio\" name=\"q_" + esc(q.id) + "\" value=\"" + esc(val) + "\"" + checked(sent == val) +
           "> " + esc(val) + "</label>";
    f += "</div></fieldset>";
  }
  f += tag_group("improve", "If it wasn't great: what could be better?", s.config.improvement_tags);
  f += tag_group("excel", "If it was great: what stood out?", s.config.excellence_tags);
  f += "<fieldset><legend><label for=\"comment\">Anything you'd like to tell " + esc(s.agent_first_name) +
       "?</label></legend><textarea id=\"comment\" name=\"comment\" maxlength=\"5000\">" + (prev ? esc(prev->comment) : "") +
       "</textarea></fieldset>";
  f += "<button type=\"submit\">Send feedback</button></form></div>";
  // With script: count the visit as "opened" (link scanners do not run scripts) and show only the
  // tag list that fits the chosen stars. Without script the form works as it is.
  f += "<script nonce=\"" + nonce + "\">"
       "fetch(location.pathname+'/opened',{method:'POST'}).catch(function(){});"
       "(function(){var i=document.getElementById('improve'),e=document.getElementById('excel');"
       "function u(){var c=document.querySelector('input[name=stars]:checked');var v=c?+c.value:0;"
       "i.hidden=!(v>0&&v<4);e.hidden=!(v>=4);}"
       "document.querySelectorAll('input[name=stars]').forEach(function(r){r.addEventListener('change',u)});u();})();"
       "</script>";
  return f;
}

Result<std::string> secret(const CtxPtr& c) {
  auto lease = c->api.store().reads().acquire();
  if (!lease) return fail(lease.error());
  auto s = feedback::load_secret(**lease);
  if (s) return s;
  std::string out;
  auto st = c->api.store().writer().run([&](store::Tx& tx) -> Status {
    auto r = feedback::ensure_secret(tx);
    if (!r) return fail(r.error());
    out = *r;
    return {};
  });
  if (!st) return fail(st.error());
  return out;
}

Response not_found_page() {
  return html_page(404, "Survey not found",
                   "<div class=\"card\"><h1>This link doesn't work</h1><p>The survey link is incomplete or not valid. "
                   "Please use the link from your email exactly as it was sent.</p></div>");
}

void survey_get(const CtxPtr& c) {
  auto key = secret(c);
  if (!key) return c->api.reply_error(c, key.error());
  const std::string token = c->args.at(0);
  with_read(c, [&](store::Conn& conn) {
    auto s = feedback::open_survey(conn, *key, token);
    if (!s) return c->api.reply(c, not_found_page());
    if (s->rating) {
      return c->api.reply(c, html_page(200, "Thank you", "<div class=\"card\">" + agent_header(*s) +
                                                           "<h2>Thank you!</h2><p>Your feedback was received and " +
                                                           esc(s->agent_first_name) + "'s team can see it.</p></div>"));
    }
    if (s->request.status == "expired" || s->request.status == "suppressed")
      return c->api.reply(c, html_page(410, "Survey closed", "<div class=\"card\">" + agent_header(*s) +
                                                               "<h2>This survey has closed</h2><p>The link expired. If you "
                                                               "still need help, just reply to our last email.</p></div>"));
    std::optional<int64_t> pre;
    if (auto st = c->param("stars")) {
      auto n = parse_int(*st);
      if (n && *n >= 1 && *n <= 5) pre = n;  // pre-selected, never submitted by a GET
    }
    auto nonce = crypto::random_token(12);
    c->api.reply(c, html_page(200, "How did " + s->agent_first_name + " do?",
                              survey_form(*s, c->path, pre, "", nonce), nonce));
  });
}

// Reads the answer from a form post or a JSON body.
Result<feedback::Answer> read_answer(const Ctx& c, bool json) {
  feedback::Answer a;
  const auto& body = c.req.body();
  if (!valid_utf8(body)) return fail(Error::invalid("The request body is not valid UTF-8"));
  auto to_int = [](const std::string& s) -> std::optional<int64_t> { return s.empty() ? std::nullopt : parse_int(s); };
  if (json) {
    if (json_depth(body, 8) > 8) return fail(Error::invalid("The JSON is nested too deeply"));
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(Error::invalid("Malformed JSON"));
    if (j.contains("rating") && j["rating"].is_object()) j = j["rating"];
    Validation v;
    JsonInput in(j, v);
    a.stars = in.integer("stars");
    a.nps = in.integer("nps");
    if (in.has("resolved")) {
      if (j["resolved"].is_boolean()) a.resolved = j["resolved"].get<bool>();
      else if (auto s = in.str("resolved")) {
        if (*s == "yes" || *s == "no") a.resolved = *s == "yes";
        else v.add("resolved", "InvalidValue", "Resolved: answer yes or no");
      }
    }
    a.comment = in.str("comment", 5000).value_or("");
    if (auto t = in.strings("tags")) a.tags = *t;
    if (auto ans = in.object("answers")) {
      for (const auto& [k, val] : ans->items()) {
        if (a.custom.size() >= 20) break;
        if (val.is_string()) a.custom[k] = val.get<std::string>();
        else if (val.is_number_integer()) a.custom[k] = std::to_string(val.get<int64_t>());
        else v.add("answers", "InvalidValue", "Answers: each answer is a number or a text");
      }
    }
    if (!v.ok()) return fail(v.error());
    return a;
  }
  for (const auto& pair : split(body, '&')) {
    auto eq = pair.find('=');
    if (eq == std::string::npos) continue;
    auto k = url_decode(pair.substr(0, eq)), v = url_decode(pair.substr(eq + 1));
    if (!valid_utf8(v)) return fail(Error::invalid("The form is not valid UTF-8"));
    if (k == "stars") a.stars = to_int(v);
    else if (k == "nps") a.nps = to_int(v);
    else if (k == "resolved") {
      if (v == "yes" || v == "no") a.resolved = v == "yes";
      else if (!v.empty()) return fail(Error::field("resolved", "InvalidValue", "Resolved: answer yes or no"));
    }
    else if (k == "comment") a.comment = v;
    else if (k == "tags" || k == "tags[]") a.tags.push_back(v);
    else if (k.rfind("q_", 0) == 0 && a.custom.size() < 20) a.custom[k.substr(2)] = v;
  }
  return a;
}

std::string thank_you(const feedback::Survey& s, const feedback::Rating& r, const std::string& path);

void survey_post(const CtxPtr& c) {
  auto key = secret(c);
  if (!key) return c->api.reply_error(c, key.error());
  auto ct = c->header("Content-Type").value_or("");
  bool json = ct.find("json") != std::string::npos;
  auto answer = read_answer(*c, json);
  const std::string token = c->args.at(0);
  auto sent = std::make_shared<feedback::Answer>(answer ? *answer : feedback::Answer{});
  auto show_form_error = [c, key = *key, token, sent](const std::string& message, unsigned status) {
    with_read(c, [&](store::Conn& conn) {
      auto s = feedback::open_survey(conn, key, token);
      if (!s) return c->api.reply(c, not_found_page());
      auto nonce = crypto::random_token(12);
      c->api.reply(c, html_page(status, "How did " + s->agent_first_name + " do?",
                                survey_form(*s, c->path, std::nullopt, message, nonce, sent.get()), nonce));
    });
  };
  if (!answer) {
    if (json) return c->api.reply_error(c, answer.error());
    const auto& e = answer.error();
    return show_form_error(e.details.empty() ? e.message : e.details.begin()->second.front().description,
                           e.code == ErrorCode::validation ? 422 : 400);
  }
  auto rating = std::make_shared<feedback::Rating>();
  c->api.write(
      c,
      [key = *key, token, a = *answer, rating](store::Tx& tx) -> Status {
        auto r = feedback::submit(tx, key, token, a);
        if (!r) return fail(r.error());
        *rating = *r;
        return {};
      },
      [c, json, rating, show_form_error, key = *key](Status st) {
        if (!st) {
          const auto& e = st.error();
          if (json) {
            if (e.code == ErrorCode::invalid && e.kind == "Expired")
              return c->api.reply_json(c, 410, {{"error", "Expired"}, {"description", e.message}});
            if (e.code == ErrorCode::conflict)
              return c->api.reply_json(c, 409, {{"error", "AlreadyAnswered"}, {"description", e.message}});
            return c->api.reply_error(c, e);
          }
          if (e.code == ErrorCode::not_found) return c->api.reply(c, not_found_page());
          if (e.code == ErrorCode::conflict || e.kind == "Expired")
            return c->api.reply(c, html_page(e.code == ErrorCode::conflict ? 409 : 410, "Survey closed",
                                             "<div class=\"card\"><h2>" + esc(e.message) + "</h2></div>"));
          std::string msg = e.details.empty() ? e.message : e.details.begin()->second.front().description;
          return show_form_error(msg, 422);
        }
        if (json) return c->api.reply_json(c, 201, {{"rating", {{"id", rating->id}, {"stars", *rating->stars}, {"score", rating->score},
                                                                {"can_reward", *rating->stars >= 4}}}});
        with_read(c, [&](store::Conn& conn) {
          auto s = feedback::open_survey(conn, key, c->args.at(0));
          if (!s) return c->api.reply(c, not_found_page());
          c->api.reply(c, html_page(200, "Thank you", thank_you(*s, *rating, c->path)));
        });
      });
}

// After a 4-5 star answer: an optional reward from the catalog and an opt-in public thank-you.
std::string thank_you(const feedback::Survey& s, const feedback::Rating& r, const std::string& path) {
  // The page's one heading is the thank-you: the survey's question ("How did Amy do?") is answered.
  std::string out = "<div class=\"card\"><h1>Thank you!</h1><p>Your feedback is on its way to " +
                    esc(s.agent_first_name) + "'s team.</p>";
  if (!r.stars || *r.stars < 4 || (s.config.reward_catalog.empty() && r.comment.empty())) return out + "</div>";
  out += "<form method=\"post\" action=\"" + esc(path + "/thanks") + "\">";
  if (!s.config.reward_catalog.empty()) {
    out += "<fieldset><legend>Want to say thanks to " + esc(s.agent_first_name) + "?</legend><div class=\"choices\">";
    for (const auto& item : s.config.reward_catalog)
      out += "<label><input type=\"radio\" name=\"reward\" value=\"" + esc(item.id) + "\"> " + esc(item.label) + "</label>";
    out += "<label><input type=\"radio\" name=\"reward\" value=\"\" checked> No, thanks</label></div></fieldset>";
  }
  if (!r.comment.empty())
    out += "<fieldset><label><input type=\"checkbox\" name=\"share\" value=\"yes\"> Share my comment on the public thank-you "
           "wall (only " + esc(s.agent_first_name) + "'s first name and your comment are shown)</label></fieldset>";
  return out + "<button type=\"submit\">Send</button></form></div>";
}

void survey_thanks(const CtxPtr& c) {
  auto key = secret(c);
  if (!key) return c->api.reply_error(c, key.error());
  const auto& body = c->req.body();
  bool json = c->header("Content-Type").value_or("").find("json") != std::string::npos;
  std::string item;
  bool share = false;
  if (!valid_utf8(body)) return c->api.reply_error(c, Error::invalid("The request body is not valid UTF-8"));
  if (json) {
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return c->api.reply_error(c, Error::invalid("Malformed JSON"));
    Validation v;
    JsonInput in(j, v);
    item = in.str("reward", 64).value_or("");
    share = in.boolean("share").value_or(false);
    if (!v.ok()) return c->api.reply_error(c, v.error());
  } else {
    for (const auto& pair : split(body, '&')) {
      auto eq = pair.find('=');
      if (eq == std::string::npos) continue;
      auto k = url_decode(pair.substr(0, eq)), v = url_decode(pair.substr(eq + 1));
      if (k == "reward") item = v;
      else if (k == "share") share = v == "yes";
    }
  }
  auto reward = std::make_shared<std::optional<feedback::Reward>>();
  c->api.write(
      c,
      [key = *key, token = c->args.at(0), item, share, reward](store::Tx& tx) -> Status {
        auto r = feedback::choose_reward(tx, key, token, item, share);
        if (!r) return fail(r.error());
        *reward = *r;
        return {};
      },
      [c, json, reward, share](Status st) {
        if (!st) {
          const auto& e = st.error();
          if (json) {
            // As for the survey itself: a second choice is a conflict the customer can read.
            if (e.code == ErrorCode::conflict)
              return c->api.reply_json(c, 409, {{"error", "AlreadyChosen"}, {"description", e.message}});
            // The thank-you window closed: gone, as an expired survey link is.
            if (e.kind == "Expired") return c->api.reply_json(c, 410, {{"error", "Expired"}, {"description", e.message}});
            return c->api.reply_error(c, e);
          }
          if (e.code == ErrorCode::not_found) return c->api.reply(c, not_found_page());
          std::string msg = e.details.empty() ? e.message : e.details.begin()->second.front().description;
          unsigned status = e.code == ErrorCode::conflict ? 409 : e.kind == "Expired" ? 410 : 422;
          return c->api.reply(c, html_page(status, "Thank you",
                                           "<div class=\"card\"><p class=\"error\" role=\"alert\">" + esc(msg) + "</p></div>"));
        }
        if (json)
          return c->api.reply_json(c, 200, {{"reward", *reward ? feedback::to_json(**reward) : Json(nullptr)}, {"shared", share}});
        // The label is what the customer picked ("Buy them a coffee"): quoted, not spliced into a sentence.
        std::string text = *reward ? "<p>" + esc((*reward)->agent_name.substr(0, (*reward)->agent_name.find(' '))) +
                                         " will hear about your thank-you: <strong>" + esc((*reward)->label) +
                                         "</strong>.</p>"
                                   : "";
        if (share) text += "<p>Your comment is on our <a href=\"/kudos\">thank-you wall</a>.</p>";
        c->api.reply(c, html_page(200, "Thank you", "<div class=\"card\"><h1>Thanks again!</h1>" + text + "</div>"));
      });
}

void survey_opened(const CtxPtr& c) {
  auto key = secret(c);
  if (!key) return c->api.reply_error(c, key.error());
  c->api.write(
      c, [key = *key, token = c->args.at(0)](store::Tx& tx) { return feedback::mark_opened(tx, key, token); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply(c, Response{bhttp::status::no_content, 11});
      });
}

Json rating_json(const feedback::Rating& r, const std::string& base) {
  // Zendesk's shape, plus Rapport's fields (stars, resolved, nps, tags).
  return {{"id", r.id},
          {"url", base + "/api/v2/satisfaction_ratings/" + std::to_string(r.id) + ".json"},
          {"assignee_id", r.agent_id ? Json(*r.agent_id) : Json(nullptr)},
          {"group_id", r.group_id ? Json(*r.group_id) : Json(nullptr)},
          {"requester_id", r.requester_id},
          {"ticket_id", r.ticket_id},
          {"score", r.score == "neither" ? std::string("offered") : r.score},
          {"comment", r.comment},
          {"reason", nullptr},
          {"reason_code", r.reason_code ? Json(*r.reason_code) : Json(nullptr)},
          {"reason_id", nullptr},
          {"created_at", iso8601(r.created_at)},
          {"updated_at", iso8601(r.updated_at)},
          {"stars", r.stars ? Json(*r.stars) : Json(nullptr)},
          {"resolved", r.resolved ? Json(*r.resolved) : Json(nullptr)},
          {"nps", r.nps ? Json(*r.nps) : Json(nullptr)},
          {"tags", r.tags},
          {"answers", r.answers},
          {"kind", r.kind}};
}

// Rapport's additions to each rating: the agent's and the ticket's names, team leads' reactions
// and the customer's reward. Three queries for a whole page, keyed by rating id.
Result<Json> rating_extras(store::Conn& conn, const std::vector<feedback::Rating>& ratings) {
  Json out = Json::object();
  if (ratings.empty()) return out;
  std::vector<int64_t> ids;
  store::Params params;
  for (const auto& r : ratings) {
    ids.push_back(r.id);
    params.push_back(r.id);
    out[std::to_string(r.id)] = {{"agent_name", nullptr}, {"ticket_subject", nullptr}, {"reactions", Json::array()},
                                 {"reward", nullptr}, {"public_kudos", r.public_kudos}};
  }
  auto st = conn.each("SELECT r.id, u.name, t.subject FROM ratings r LEFT JOIN users u ON u.id = r.agent_id "
                      "JOIN tickets t ON t.id = r.ticket_id WHERE r.id IN (" + store::placeholders(ids.size()) + ")",
                      params, [&](const store::Row& row) {
                        auto& o = out[std::to_string(row.i64(0))];
                        if (auto n = row.opt_text(1)) o["agent_name"] = *n;
                        o["ticket_subject"] = row.text(2);
                      });
  if (!st) return fail(st.error());
  auto reactions = feedback::reactions_for(conn, ids);
  if (!reactions) return fail(reactions.error());
  for (const auto& x : *reactions) out[std::to_string(x.rating_id)]["reactions"].push_back(feedback::to_json(x));
  st = conn.each("SELECT rating_id, id, item, label, points, status FROM rewards WHERE rating_id IN (" +
                     store::placeholders(ids.size()) + ")",
                 params, [&](const store::Row& row) {
                   out[std::to_string(row.i64(0))]["reward"] = {{"id", row.i64(1)}, {"item", row.text(2)},
                                                                {"label", row.text(3)}, {"points", row.i64(4)},
                                                                {"status", row.text(5)}};
                 });
  if (!st) return fail(st.error());
  return out;
}

void ticket_requests(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto key = secret(c);
  if (!key) return c->api.reply_error(c, key.error());
  with_read(c, [&](store::Conn& conn) {
    if (auto t = tickets::get_ticket(conn, *id, c->who); !t) return c->api.reply_error(c, t.error());
    auto reqs = feedback::requests_for_ticket(conn, *id);
    if (!reqs) return c->api.reply_error(c, reqs.error());
    Json items = Json::array();
    // The link answers the survey: only admins (the integrations that hand it to customers on
    // other channels) get it, so an agent cannot rate themselves.
    const bool with_links = c->who.is_admin();
    for (const auto& r : *reqs) {
      Json agent = nullptr;
      (void)conn.each("SELECT id, name, photo_url, bio FROM users WHERE id = ?", {r.agent_id}, [&](const store::Row& row) {
        agent = {{"id", row.i64(0)}, {"name", row.text(1)}, {"photo_url", row.opt_text(2) ? Json(*row.opt_text(2)) : Json(nullptr)},
                 {"bio", row.text(3)}};
      });
      auto t = [](const std::optional<int64_t>& v) { return v ? Json(iso8601(*v)) : Json(nullptr); };
      Json item = {{"id", r.id},
                       {"ticket_id", r.ticket_id},
                       {"kind", r.kind},
                       {"channel", r.channel},
                       {"status", r.status},
                       {"suppressed_reason", r.suppressed_reason ? Json(*r.suppressed_reason) : Json(nullptr)},
                       {"agent", agent},
                       {"created_at", iso8601(r.created_at)},
                       {"expires_at", iso8601(r.expires_at)},
                       {"delivered_at", t(r.delivered_at)},
                       {"opened_at", t(r.opened_at)},
                       {"answered_at", t(r.answered_at)}};
      if (with_links)
        item["url"] = r.status == "suppressed" ? Json(nullptr) : Json(feedback::survey_url(c->base, *key, r));
      items.push_back(std::move(item));
    }
    c->api.reply_json(c, 200, {{"feedback_requests", items}, {"count", items.size()}});
  });
}

void ratings_list(const CtxPtr& c) {
  auto pr = page_request(*c, true, {"id", "created_at", "updated_at"});
  if (!pr) return c->api.reply_error(c, pr.error());
  feedback::RatingFilter f;
  if (auto s = c->param("score"); s && !s->empty()) f.score = *s;
  if (auto s = c->param("start_time"); s && !s->empty()) f.start_time = parse_int(*s);
  if (auto s = c->param("end_time"); s && !s->empty()) f.end_time = parse_int(*s);
  for (auto [key, dst] : {std::pair{"agent_id", &f.agent_id}, {"group_id", &f.group_id}, {"site_id", &f.site_id}}) {
    auto s = c->param(key);
    if (!s || s->empty()) continue;
    *dst = parse_int(*s);
    if (!*dst) return c->api.reply_error(c, Error::invalid(std::string(key) + " must be an id"));
  }
  if (auto s = c->param("kind"); s && !s->empty()) f.kind = *s;
  with_read(c, [&](store::Conn& conn) {
    auto page = feedback::list_ratings(conn, f, *pr, c->who);
    if (!page) return c->api.reply_error(c, page.error());
    auto extra = rating_extras(conn, page->items);
    if (!extra) return c->api.reply_error(c, extra.error());
    reply_page<feedback::Rating>(c, "satisfaction_ratings", *page, *pr, [&](const feedback::Rating& r) {
      Json j = rating_json(r, c->base);
      j.update((*extra)[std::to_string(r.id)]);
      return j;
    });
  });
}

void rating_show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = feedback::get_rating(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    auto extra = rating_extras(conn, {*r});
    if (!extra) return c->api.reply_error(c, extra.error());
    Json j = rating_json(*r, c->base);
    j.update((*extra)[std::to_string(r->id)]);
    c->api.reply_json(c, 200, {{"satisfaction_rating", j}});
  });
}

void rating_create(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "satisfaction_rating");
  if (!in) return c->api.reply_error(c, in.error());
  auto out = std::make_shared<feedback::Rating>();
  c->api.write(
      c,
      [in = *in, id = *id, who = c->who, out](store::Tx& tx) -> Status {
        auto r = feedback::rate_ticket(tx, id, in, who);
        if (!r) return fail(r.error());
        *out = *r;
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 200, {{"satisfaction_rating", rating_json(*out, c->base)}});
      });
}

void settings_show(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  with_read(c, [&](store::Conn& conn) {
    auto cfg = feedback::load_config(conn);
    if (!cfg) return c->api.reply_error(c, cfg.error());
    c->api.reply_json(c, 200, {{"feedback_settings", feedback::to_json(*cfg)}});
  });
}

void settings_update(const CtxPtr& c) {
  auto in = body_object(*c, "feedback_settings");
  if (!in) return c->api.reply_error(c, in.error());
  auto out = std::make_shared<feedback::Config>();
  c->api.write(
      c,
      [in = *in, who = c->who, out](store::Tx& tx) -> Status {
        auto r = feedback::update_config(tx, in, who);
        if (!r) return fail(r.error());
        *out = *r;
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 200, {{"feedback_settings", feedback::to_json(*out)}});
      });
}

}  // namespace

void register_feedback_routes(Api& api) {
  auto R = AuthMode::required;
  api.add("GET", "/s/{}", AuthMode::none, survey_get);
  api.add("POST", "/s/{}", AuthMode::none, survey_post);
  api.add("POST", "/s/{}/opened", AuthMode::none, survey_opened);
  api.add("POST", "/s/{}/thanks", AuthMode::none, survey_thanks);
  api.add("GET", "/api/v2/tickets/{}/feedback_requests", R, ticket_requests);
  api.add("GET", "/api/v2/satisfaction_ratings", R, ratings_list);
  api.add("GET", "/api/v2/satisfaction_ratings/{}", R, rating_show);
  api.add("POST", "/api/v2/tickets/{}/satisfaction_rating", R, rating_create);
  api.add("GET", "/api/v2/feedback/settings", R, settings_show);
  api.add("PUT", "/api/v2/feedback/settings", R, settings_update);
}

}  // namespace rapport::http
