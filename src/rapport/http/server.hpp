#pragma once
// The HTTP/1.1 server: Boost.Beast on an Asio thread pool, keep-alive, no thread per connection.
// Modeled on Beast's advanced server: a listener, and a session per connection whose steps are
// do_read/on_read/do_write/on_write with one fail() for errors.
#include <utility>  // Boost 1.74 asio needs std::exchange declared first (g++ 12)
#include <atomic>
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace rapport::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
// Called exactly once per request, from any thread; the session posts the write to its strand.
using Respond = std::function<void(Response)>;

// A long-lived response: the application pushes data from any thread and the connection writes
// it, in order. Two transports: Server-Sent Events (HTTP/1.1 chunks of `text/event-stream`), and
// WebSocket when the request asked to upgrade (one text message per push). A client that stops
// reading is cut off once `k_stream_backlog` bytes wait for it, so one slow subscriber cannot
// hold memory.
class StreamSink {
 public:
  static constexpr std::size_t k_stream_backlog = 1024 * 1024;
  virtual ~StreamSink() = default;
  // Queues `data` (SSE text, framed here as a chunk); false once the stream has closed (the
  // client left, fell behind, or shutdown). Only for SSE sinks.
  bool push(std::string data) { return push_framed(frame(data)); }
  // SSE: data already framed by frame(), so a broadcast frames once for all subscribers.
  // WebSocket: one whole text message (the WebSocket framing is the connection's).
  virtual bool push_framed(std::shared_ptr<const std::string> chunk) = 0;
  // One HTTP/1.1 chunk: hex length, CRLF, data, CRLF.
  static std::shared_ptr<const std::string> frame(std::string_view data);
  // True when pushes travel as WebSocket messages rather than SSE chunks.
  virtual bool websocket() const { return false; }
  virtual void close() = 0;
  virtual bool is_open() const = 0;
};
// Instead of `respond`: sends `head` (status and headers, no length) and keeps the connection
// for pushes. Called at most once, and never together with `respond`. When the request was a
// WebSocket upgrade, the connection answers the handshake instead of sending `head` and the sink
// is a WebSocket one (`websocket()` is true).
using OpenStream = std::function<std::shared_ptr<StreamSink>(Response head)>;

// What the server asks of the application for each request.
using Handler = std::function<void(Request&& req, const std::string& remote_ip, Respond respond, OpenStream open)>;
// Builds the response for a request the server rejects itself (413, 400, 431).
using RejectHandler = std::function<Response(unsigned status, const std::string& error, const std::string& description)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  int threads = 0;  // 0: one per core
  std::size_t body_limit = 2 * 1024 * 1024;
  // Paths (prefixes of the target) that take raw documents rather than JSON, and their larger
  // body limit: the email inbound endpoint takes whole RFC 5322 messages.
  std::vector<std::string> large_body_paths;
  std::size_t large_body_limit = 0;
  std::size_t header_limit = 16 * 1024;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{75};
  std::size_t max_connections = 10000;
  // The I/O threads `threads` stands for.
  int thread_count() const {
    return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
};

class Server {
 public:
  Server(ServerOptions options, Handler handler, RejectHandler reject);
  ~Server();
  // Binds and starts the thread pool. Returns the bound port (useful with port 0).
  unsigned short start();
  // Graceful: stops accepting, lets in-flight requests finish (up to `grace`), then stops.
  void shutdown(std::chrono::seconds grace);
  // Blocks until the pool has stopped.
  void wait();
  net::io_context& io() { return m_ioc; }
  std::size_t in_flight() const { return m_in_flight.load(); }
  std::size_t connections() const { return m_connections.load(); }

  // Used by sessions.
  const ServerOptions& options() const { return m_options; }
  const Handler& handler() const { return m_handler; }
  const RejectHandler& reject() const { return m_reject; }
  bool draining() const { return m_draining.load(); }
  std::atomic<std::size_t> m_in_flight{0};
  std::atomic<std::size_t> m_connections{0};

 private:
  void do_accept();

  ServerOptions m_options;
  Handler m_handler;
  RejectHandler m_reject;
  net::io_context m_ioc;
  net::ip::tcp::acceptor m_acceptor;
  std::vector<std::thread> m_threads;
  std::atomic<bool> m_draining{false};
  std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>> m_work;
};

}  // namespace rapport::http
