#pragma once
// An SMTP client over libcurl: smtp:// with STARTTLS (required or opportunistic), smtps://, AUTH,
// connect and transfer timeouts. One client owns one curl handle, so consecutive messages reuse the
// open connection (curl keeps it alive between transfers); a client is used by one thread.
//
// Outcomes are classified for the outbox: a connection that fails, times out, or a 4xx answer is
// transient (try again later); a 5xx answer is permanent. With several recipients, those the
// server refuses are reported one by one (curl continues with the others) with its answer text.
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace rapport::email {

enum class Tls {
  opportunistic,  // smtp://, STARTTLS when the server offers it
  starttls,       // smtp://, STARTTLS or the message is not sent
  smtps,          // TLS from the first byte (port 465)
  none,           // plain text (loopback relays, tests)
};

struct SmtpConfig {
  std::string host;
  int port = 25;
  Tls tls = Tls::opportunistic;
  bool verify_peer = true;      // check the server's certificate and name
  std::string user, password;   // AUTH when `user` is set
  std::string helo;             // the name we greet with; empty: curl's default
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{60};  // a whole message, greeting to final answer
};

// Parses "opportunistic" | "starttls" | "smtps" | "none".
bool parse_tls(const std::string& s, Tls& out);

struct SmtpResult {
  enum class Outcome { sent, transient, permanent, aborted };
  Outcome outcome = Outcome::transient;
  int code = 0;               // the last SMTP reply code (0: none, e.g. no connection)
  std::string response;       // the server's answer (last reply line, or what curl says when there is none)
  std::string error;          // empty when sent; otherwise why not, for people
  struct Refusal {
    std::string address;
    int code = 0;
    std::string response;
  };
  std::vector<Refusal> refused;  // recipients the server would not take while it took others
};

class SmtpClient {
 public:
  explicit SmtpClient(SmtpConfig config);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;
  // Sends `data` (RFC 5322 bytes, CRLF) from `envelope_from` to `recipients`. `stop`, when set,
  // aborts a transfer in progress (shutdown): the outcome is then `aborted`.
  SmtpResult send(const std::string& envelope_from, const std::vector<std::string>& recipients,
                  const std::string& data, const std::atomic<bool>* stop = nullptr);

 private:
  SmtpConfig m_config;
  void* m_curl = nullptr;  // CURL*
};

}  // namespace rapport::email
