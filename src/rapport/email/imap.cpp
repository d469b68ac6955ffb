#include <rapport/email/imap.hpp>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include <curl/curl.h>

#include <rapport/base/strings.hpp>

namespace rapport::email {

namespace {

constexpr std::size_t k_max_line = 64 * 1024;

Error unavailable(std::string msg) { return Error::unavailable(std::move(msg)); }

CURL* easy(void* p) { return static_cast<CURL*>(p); }

// "* OK [UIDVALIDITY 123] ..." -> 123 for key "UIDVALIDITY".
std::optional<int64_t> bracket_number(const std::string& line, const std::string& key) {
  auto pos = line.find("[" + key + " ");
  if (pos == std::string::npos) return std::nullopt;
  pos += key.size() + 2;
  auto end = line.find(']', pos);
  if (end == std::string::npos) return std::nullopt;
  return parse_int(line.substr(pos, end - pos));
}

}  // namespace

std::optional<std::string> imap_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return std::nullopt;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

ImapSession::~ImapSession() {
  if (m_curl) curl_easy_cleanup(easy(m_curl));
}

namespace {

// What the server said during libcurl's connect phase (greeting, capabilities, the login's
// answer), from its debug stream: server lines only, never what we sent (the password).
struct ServerLines {
  std::vector<std::string> lines;
};

int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* s = static_cast<ServerLines*>(user);
  if (s->lines.size() >= 50) s->lines.erase(s->lines.begin() + 1);  // keep the greeting and the latest
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  s->lines.push_back(line.substr(0, 500));
  return 0;
}

// "A002 NO [AUTHENTICATIONFAILED] Authentication failed." -> "NO [AUTHENTICATIONFAILED] ..."
std::string without_tag(const std::string& line) {
  auto sp = line.find(' ');
  return line.rfind("* ", 0) == 0 || sp == std::string::npos ? line : line.substr(sp + 1);
}

}  // namespace

Result<std::unique_ptr<ImapSession>> ImapSession::open(const ImapSettings& s) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (s.host.empty() || s.host.find_first_of(" /\\@\r\n") != std::string::npos)
    return fail(Error::invalid("the IMAP host is not valid"));
  if (s.tls != "imaps" && s.tls != "starttls" && s.tls != "none")
    return fail(Error::invalid("imap_tls must be imaps, starttls or none"));
  CURL* c = curl_easy_init();
  if (!c) return fail(Error::internal("curl_easy_init failed"));
  std::unique_ptr<ImapSession> session(new ImapSession(c, s.timeout_seconds));
  // libcurl's connect phase for IMAP reads the greeting, upgrades with STARTTLS when asked, and
  // logs in (SASL or LOGIN, as the server offers); CONNECT_ONLY stops there and hands over the
  // authenticated connection.
  std::string url = (s.tls == "imaps" ? "imaps://" : "imap://") + s.host + ":" + std::to_string(s.port) + "/";
  ServerLines said;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(c, CURLOPT_USERNAME, s.user.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, s.password.c_str());
  if (s.tls == "starttls") curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(s.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(s.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &said);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
  auto rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);  // from here on, each command has its own deadline
  std::string last = said.lines.empty() ? std::string() : without_tag(said.lines.back());
  if (rc == CURLE_LOGIN_DENIED)
    return fail(Error{ErrorCode::unavailable, "the IMAP server refused the login: " + last, {}, "ImapLogin"});
  if (rc != CURLE_OK)
    return fail(unavailable("cannot connect to " + s.host + ":" + std::to_string(s.port) + ": " + curl_easy_strerror(rc) +
                            (last.empty() ? "" : "; the server said: " + last)));
  session->m_greeting = said.lines.empty() ? std::string() : said.lines.front();
  return session;
}

Result<bool> ImapSession::fill_within(std::chrono::milliseconds wait) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + wait;
  char buf[16384];
  while (true) {
    // Read first, poll after: TLS may already hold decrypted bytes the socket no longer shows.
    std::size_t n = 0;
    auto rc = curl_easy_recv(easy(m_curl), buf, sizeof buf, &n);
    if (rc == CURLE_OK) {
      if (n == 0) return fail(unavailable("the IMAP server closed the connection"));
      m_buf.append(buf, n);
      return true;
    }
    if (rc != CURLE_AGAIN) return fail(unavailable(std::string("IMAP read failed: ") + curl_easy_strerror(rc)));
    curl_socket_t fd = CURL_SOCKET_BAD;
    curl_easy_getinfo(easy(m_curl), CURLINFO_ACTIVESOCKET, &fd);
    if (fd == CURL_SOCKET_BAD) return fail(unavailable("the IMAP connection is gone"));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left));
  }
}

Status ImapSession::fill() {
  auto got = fill_within(std::chrono::seconds(m_timeout));
  if (!got) return fail(got.error());
  if (!*got) return fail(unavailable("the IMAP server did not answer in time"));
  return {};
}

Status ImapSession::send_all(const std::string& data) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::seconds(m_timeout);
  std::size_t sent = 0;
  while (sent < data.size()) {
    std::size_t n = 0;
    auto rc = curl_easy_send(easy(m_curl), data.data() + sent, data.size() - sent, &n);
    if (rc == CURLE_OK) {
      sent += n;
      continue;
    }
    if (rc != CURLE_AGAIN) return fail(unavailable(std::string("IMAP write failed: ") + curl_easy_strerror(rc)));
    curl_socket_t fd = CURL_SOCKET_BAD;
    curl_easy_getinfo(easy(m_curl), CURLINFO_ACTIVESOCKET, &fd);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0 || fd == CURL_SOCKET_BAD) return fail(unavailable("the IMAP server did not accept data in time"));
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left));
  }
  return {};
}

Result<std::string> ImapSession::read_line(std::size_t max) {
  while (true) {
    auto nl = m_buf.find("\r\n");
    if (nl != std::string::npos) {
      auto line = m_buf.substr(0, nl);
      m_buf.erase(0, nl + 2);
      return line;
    }
    if (m_buf.size() > max) return fail(unavailable("the IMAP server sent a line longer than " + std::to_string(max) + " bytes"));
    if (auto st = fill(); !st) return fail(st.error());
  }
}

Result<std::string> ImapSession::read_bytes(std::size_t n) {
  while (m_buf.size() < n)
    if (auto st = fill(); !st) return fail(st.error());
  auto out = m_buf.substr(0, n);
  m_buf.erase(0, n);
  return out;
}

Result<std::vector<ImapSession::Untagged>> ImapSession::command(const std::string& cmd, std::size_t max_literal) {
  auto tag = "R" + std::to_string(++m_tag);
  if (auto st = send_all(tag + " " + cmd + "\r\n"); !st) return fail(st.error());
  std::vector<Untagged> out;
  std::size_t total = 0;
  while (true) {
    auto line = read_line(k_max_line);
    if (!line) return fail(line.error());
    if (line->rfind(tag + " ", 0) == 0) {
      auto status = line->substr(tag.size() + 1);
      if (status.rfind("OK", 0) == 0) return out;
      // The server's own words (NO [AUTHENTICATIONFAILED] ...), minus the command, which may
      // hold a password.
      auto verb = cmd.substr(0, cmd.find(' '));
      return fail(status.rfind("NO", 0) == 0 && verb == "LOGIN"
                      ? Error{ErrorCode::unavailable, "the IMAP server refused the login: " + status, {}, "ImapLogin"}
                      : unavailable("IMAP " + verb + " failed: " + status));
    }
    if (out.size() > 100000) return fail(unavailable("the IMAP server sent too many responses"));
    Untagged u;
    u.text = *line;
    // A line ending in {n} announces n bytes of literal, after which the line continues.
    while (!u.text.empty() && u.text.back() == '}') {
      auto open = u.text.rfind('{');
      if (open == std::string::npos) break;
      auto n = parse_int(std::string_view(u.text).substr(open + 1, u.text.size() - open - 2));
      if (!n || *n < 0) break;
      if (static_cast<std::size_t>(*n) > max_literal)
        return fail(Error{ErrorCode::too_large, "the IMAP server sent " + std::to_string(*n) + " bytes; the limit is " +
                                                    std::to_string(max_literal), {}, {}});
      total += static_cast<std::size_t>(*n);
      auto lit = read_bytes(static_cast<std::size_t>(*n));
      if (!lit) return fail(lit.error());
      u.literals.push_back(std::move(*lit));
      auto rest = read_line(k_max_line);
      if (!rest) return fail(rest.error());
      u.text += *rest;
    }
    if (total > max_literal * 2) return fail(unavailable("the IMAP response is too large"));
    out.push_back(std::move(u));
  }
}

Result<SelectInfo> ImapSession::select(const std::string& folder) {
  auto f = imap_quote(folder);
  if (!f) return fail(Error::invalid("the folder name contains a line break"));
  auto r = command("SELECT " + *f);
  if (!r) return fail(r.error());
  SelectInfo info;
  for (const auto& u : *r) {
    if (auto v = bracket_number(u.text, "UIDVALIDITY")) info.uidvalidity = *v;
    if (auto v = bracket_number(u.text, "UIDNEXT")) info.uidnext = *v;
    if (u.text.size() > 9 && u.text.compare(u.text.size() - 7, 7, " EXISTS") == 0)
      info.exists = parse_int(std::string_view(u.text).substr(2, u.text.size() - 9)).value_or(0);
  }
  if (!info.uidvalidity) return fail(unavailable("the IMAP server did not report UIDVALIDITY for " + folder));
  return info;
}

Result<std::vector<int64_t>> ImapSession::uids_above(int64_t last_uid, std::size_t limit) {
  auto r = command("UID SEARCH UID " + std::to_string(last_uid + 1) + ":*");
  if (!r) return fail(r.error());
  std::vector<int64_t> uids;
  for (const auto& u : *r) {
    if (u.text.rfind("* SEARCH", 0) != 0) continue;
    for (auto& part : split(u.text.substr(8), ' ')) {
      // "n:*" always matches the highest UID, even below n: keep only what is new.
      if (auto v = parse_int(trim(part)); v && *v > last_uid) uids.push_back(*v);
    }
  }
  std::sort(uids.begin(), uids.end());
  if (uids.size() > limit) uids.resize(limit);
  return uids;
}

Result<std::string> ImapSession::fetch(int64_t uid, std::size_t max_bytes) {
  auto id = std::to_string(uid);
  auto size = command("UID FETCH " + id + " (RFC822.SIZE)");
  if (!size) return fail(size.error());
  for (const auto& u : *size) {
    auto pos = u.text.find("RFC822.SIZE ");
    if (pos == std::string::npos) continue;
    auto n = parse_int(std::string_view(u.text).substr(pos + 12, u.text.find_first_of(" )", pos + 12) - pos - 12));
    if (n && static_cast<std::size_t>(*n) > max_bytes)
      return fail(Error{ErrorCode::too_large, "the message is " + std::to_string(*n) + " bytes; the limit is " +
                                                  std::to_string(max_bytes), {}, "MessageRejected"});
  }
  auto r = command("UID FETCH " + id + " (BODY.PEEK[])", max_bytes);
  if (!r) return fail(r.error());
  for (auto& u : *r)
    if (u.text.find("FETCH") != std::string::npos && !u.literals.empty()) return std::move(u.literals.front());
  return fail(Error::not_found("the message with UID " + id + " is gone"));
}

Status ImapSession::mark_seen(int64_t uid) {
  auto r = command("UID STORE " + std::to_string(uid) + " +FLAGS.SILENT (\\Seen)");
  if (!r) return fail(r.error());
  return {};
}

Result<std::vector<std::string>> ImapSession::capabilities() {
  auto r = command("CAPABILITY");
  if (!r) return fail(r.error());
  std::vector<std::string> caps;
  for (const auto& u : *r) {
    if (u.text.rfind("* CAPABILITY ", 0) != 0) continue;
    for (auto& word : split(u.text.substr(13), ' '))
      if (!word.empty()) caps.push_back(to_lower(word));
  }
  return caps;
}

namespace {

// "* 12 EXISTS" / "* 3 RECENT": the folder grew. (EXPUNGE and flag changes are not new mail.)
bool announces_new_mail(const std::string& line) {
  if (line.rfind("* ", 0) != 0) return false;
  auto sp = line.find(' ', 2);
  if (sp == std::string::npos || !parse_int(std::string_view(line).substr(2, sp - 2))) return false;
  auto what = to_lower(line.substr(sp + 1));
  return what == "exists" || what == "recent";
}

}  // namespace

Result<bool> ImapSession::idle(std::chrono::milliseconds max, const std::atomic<bool>& stop) {
  using clock = std::chrono::steady_clock;
  auto tag = "R" + std::to_string(++m_tag);
  if (auto st = send_all(tag + " IDLE\r\n"); !st) return fail(st.error());
  bool new_mail = false;
  // Until the continuation ("+ idling"), a tagged answer is a refusal.
  while (true) {
    auto line = read_line(k_max_line);
    if (!line) return fail(line.error());
    if (line->rfind("+", 0) == 0) break;
    if (line->rfind(tag + " ", 0) == 0) return fail(unavailable("IMAP IDLE failed: " + line->substr(tag.size() + 1)));
    new_mail = new_mail || announces_new_mail(*line);
  }
  // Idling: the server speaks only when something changes. Short waits, so `stop` is seen soon.
  auto deadline = clock::now() + max;
  while (!new_mail && !stop) {
    auto nl = m_buf.find("\r\n");
    if (nl != std::string::npos) {
      new_mail = announces_new_mail(m_buf.substr(0, nl));
      m_buf.erase(0, nl + 2);
      continue;
    }
    if (m_buf.size() > k_max_line) return fail(unavailable("the IMAP server sent a line longer than 64 KiB while idling"));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) break;
    auto got = fill_within(std::min(left, std::chrono::milliseconds(250)));
    if (!got) return fail(got.error());
  }
  if (auto st = send_all("DONE\r\n"); !st) return fail(st.error());
  while (true) {
    auto line = read_line(k_max_line);
    if (!line) return fail(line.error());
    if (line->rfind(tag + " ", 0) == 0) {
      if (line->compare(tag.size() + 1, 2, "OK") != 0) return fail(unavailable("IMAP IDLE ended with: " + line->substr(tag.size() + 1)));
      return new_mail;
    }
    new_mail = new_mail || announces_new_mail(*line);
  }
}

void ImapSession::logout() { (void)command("LOGOUT"); }

Result<std::string> test_imap(const ImapSettings& s) {
  auto session = ImapSession::open(s);
  if (!session) return fail(session.error());
  auto info = (*session)->select(s.folder);
  if (!info) return fail(info.error());
  std::string answer = (*session)->greeting() + "\nLogged in; " + s.folder + " has " + std::to_string(info->exists) +
                       " messages (UIDVALIDITY " + std::to_string(info->uidvalidity) + ")";
  (*session)->logout();
  return answer;
}

}  // namespace rapport::email
