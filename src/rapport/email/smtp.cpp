#include <rapport/email/smtp.hpp>

#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include <rapport/base/strings.hpp>

namespace rapport::email {

namespace {

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one transfer saw: the upload cursor, and the SMTP dialogue as curl's debug callback
// reports it (the only place curl exposes each recipient's answer and the server's text).
struct Transfer {
  const std::string* data = nullptr;
  std::size_t offset = 0;
  const std::atomic<bool>* stop = nullptr;
  std::string line;             // the current server reply line being assembled
  std::string last_reply;       // the last complete reply line
  int last_code = 0;
  std::string pending_rcpt;     // the address of the RCPT TO whose answer is awaited
  std::vector<SmtpResult::Refusal> refused;
  std::size_t transcript_bytes = 0;  // bounded: a hostile server cannot grow this without end
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  std::size_t room = size * n;
  std::size_t left = t->data->size() - t->offset;
  std::size_t k = std::min(room, left);
  std::memcpy(buf, t->data->data() + t->offset, k);
  t->offset += k;
  return k;
}

int progress_cb(void* userp, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(userp);
  return t->stop && t->stop->load() ? 1 : 0;
}

void on_reply_line(Transfer& t, std::string_view line) {
  // "250-PIPELINING" continues a reply; "250 OK" ends it.
  if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0]))) return;
  if (line.size() > 3 && line[3] == '-') return;
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  t.last_code = code;
  t.last_reply = std::string(line.substr(0, 500));
  if (!t.pending_rcpt.empty()) {
    if (code >= 400) t.refused.push_back({t.pending_rcpt, code, t.last_reply});
    t.pending_rcpt.clear();
  }
}

int debug_cb(CURL*, curl_infotype type, char* data, std::size_t size, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  if (t->transcript_bytes > (1u << 20)) return 0;
  t->transcript_bytes += size;
  std::string_view chunk(data, size);
  if (type == CURLINFO_HEADER_OUT) {
    // Only RCPT TO is looked at: AUTH lines carry credentials and are never kept.
    if (chunk.size() > 9 && iequals(chunk.substr(0, 9), "RCPT TO:<")) {
      auto end = chunk.find('>');
      t->pending_rcpt = std::string(chunk.substr(9, end == std::string_view::npos ? 0 : end - 9));
    }
  } else if (type == CURLINFO_HEADER_IN) {
    t->line.append(chunk);
    std::size_t eol;
    while ((eol = t->line.find('\n')) != std::string::npos) {
      auto one = std::string_view(t->line).substr(0, eol);
      if (!one.empty() && one.back() == '\r') one.remove_suffix(1);
      on_reply_line(*t, one);
      t->line.erase(0, eol + 1);
    }
  }
  return 0;
}

// Failures of our own setup, whatever reply code came with them (535 for bad credentials): the
// message is fine, the way to the server is not, so it waits for an operator.
bool is_setup_problem(CURLcode rc) {
  switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool parse_tls(const std::string& s, Tls& out) {
  auto v = to_lower(s);
  if (v == "opportunistic") out = Tls::opportunistic;
  else if (v == "starttls") out = Tls::starttls;
  else if (v == "smtps") out = Tls::smtps;
  else if (v == "none") out = Tls::none;
  else return false;
  return true;
}

SmtpClient::SmtpClient(SmtpConfig config) : m_config(std::move(config)) {
  init_curl();
  m_curl = curl_easy_init();
}

SmtpClient::~SmtpClient() {
  if (m_curl) curl_easy_cleanup(static_cast<CURL*>(m_curl));
}

SmtpResult SmtpClient::send(const std::string& envelope_from, const std::vector<std::string>& recipients,
                            const std::string& data, const std::atomic<bool>* stop) {
  SmtpResult result;
  auto* curl = static_cast<CURL*>(m_curl);
  if (!curl) {
    result.error = "could not create a curl handle";
    return result;
  }
  Transfer t;
  t.data = &data;
  t.stop = stop;
  std::string url = (m_config.tls == Tls::smtps ? "smtps://" : "smtp://") + m_config.host + ":" +
                    std::to_string(m_config.port);
  if (!m_config.helo.empty()) url += "/" + m_config.helo;  // curl greets with the URL's path
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_USE_SSL, m_config.tls == Tls::none            ? CURLUSESSL_NONE
                                          : m_config.tls == Tls::opportunistic ? CURLUSESSL_TRY
                                                                               : CURLUSESSL_ALL);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, m_config.verify_peer ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, m_config.verify_peer ? 2L : 0L);
  if (!m_config.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, m_config.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, m_config.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(m_config.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(m_config.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  std::string from = "<" + envelope_from + ">";
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_slist* rcpt = nullptr;
  for (const auto& r : recipients) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  // Go on with the recipients the server takes when it refuses some (curl 7.69+; the option's
  // first spelling has three Ls).
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(curl, CURLOPT_READDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);  // feeds debug_cb; nothing is printed
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, debug_cb);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &t);

  CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  curl_slist_free_all(rcpt);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);

  result.refused = std::move(t.refused);
  result.code = t.last_code ? t.last_code : static_cast<int>(code);
  result.response = t.last_reply;
  if (rc == CURLE_OK) {
    result.outcome = SmtpResult::Outcome::sent;
    return result;
  }
  result.error = curl_easy_strerror(rc);
  if (result.response.empty()) result.response = result.error;
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    result.outcome = SmtpResult::Outcome::aborted;
    return result;
  }
  // Every recipient refused: permanent only if every refusal was (5xx).
  if (!recipients.empty() && result.refused.size() == recipients.size()) {
    bool all_permanent = true;
    for (const auto& r : result.refused) all_permanent = all_permanent && r.code >= 500;
    result.outcome = all_permanent ? SmtpResult::Outcome::permanent : SmtpResult::Outcome::transient;
    result.response = result.refused.back().response;
    result.code = result.refused.back().code;
    return result;
  }
  // Our setup or the way to the server failed (credentials, TLS): the message is fine, it waits.
  if (is_setup_problem(rc)) {
    result.outcome = SmtpResult::Outcome::transient;
    return result;
  }
  // Otherwise the server's last answer decides, unless that answer was one refused recipient
  // among several and something else (the connection) ended the transfer.
  bool last_was_refusal = !result.refused.empty() && result.refused.back().response == t.last_reply;
  result.outcome = !last_was_refusal && result.code >= 500 && result.code < 600 ? SmtpResult::Outcome::permanent
                                                                                 : SmtpResult::Outcome::transient;
  return result;
}

}  // namespace rapport::email
