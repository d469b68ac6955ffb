#include <rapport/http/server.hpp>

#include <array>
#include <deque>
#include <optional>
#include <sstream>

#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <rapport/base/log.hpp>

namespace rapport::http {

namespace {

using tcp = net::ip::tcp;
namespace websocket = beast::websocket;

// A stream delivered over WebSocket: one text message per push. The HTTP session hands its socket
// over once the application accepted the upgrade; pushes that arrive before the handshake is done
// wait in the queue. What the client sends is read (so pings and the close handshake work) and
// ignored, with a small message limit.
class WsSession : public StreamSink, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Server& server, net::any_io_executor strand) : m_server(server), m_strand(std::move(strand)) {
    m_server.m_connections++;
  }
  ~WsSession() { m_server.m_connections--; }

  // On the strand: takes over the socket and answers the upgrade request.
  void accept(tcp::socket&& socket, Request upgrade) {
    if (m_ended) return;
    m_ws.emplace(beast::tcp_stream(std::move(socket)));
    beast::get_lowest_layer(*m_ws).expires_never();  // the WebSocket timeouts below take over
    // Beast pings an idle client and drops one that stops answering, so no heartbeat is needed.
    m_ws->set_option(websocket::stream_base::timeout{std::chrono::seconds(30), std::chrono::seconds(60), true});
    m_ws->set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(bhttp::field::server, "rapport"); }));
    m_ws->read_message_max(4096);
    m_ws->async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->failed();
      self->m_accepted = true;
      self->do_read();
      self->write_next();
    });
  }

  bool push_framed(std::shared_ptr<const std::string> message) override {
    if (m_closed.load()) return false;
    auto size = message->size();
    if (m_backlog.fetch_add(size) + size > k_stream_backlog) {
      close();
      return false;
    }
    net::post(m_strand, [self = shared_from_this(), message = std::move(message), size]() mutable {
      if (self->m_ended) return;
      self->m_out.emplace_back(std::move(message), size);
      if (!self->m_writing) self->write_next();
    });
    return true;
  }
  void close() override {
    if (m_closed.exchange(true)) return;
    net::post(m_strand, [self = shared_from_this()] {
      self->m_closing = true;
      self->m_out.clear();
      if (!self->m_writing) self->write_next();
    });
  }
  bool is_open() const override { return !m_closed.load(); }
  bool websocket() const override { return true; }

 private:
  void do_read() {
    m_ws->async_read(m_in, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->failed();  // closed by the client, timed out, or a message too large
      self->m_in.clear();
      self->do_read();
    });
  }

  // One write at a time; a close frame goes out only when no write is pending.
  void write_next() {
    if (!m_accepted || m_ended) return;
    if (m_closing) {
      m_ended = true;
      m_writing = true;
      m_ws->async_close(websocket::close_code::going_away, [self = shared_from_this()](beast::error_code) {});
      return;
    }
    if (m_out.empty()) {
      m_writing = false;
      return;
    }
    m_writing = true;
    auto data = m_out.front().first;
    m_ws->text(true);
    m_ws->async_write(net::buffer(*data), [self = shared_from_this(), data](beast::error_code ec, std::size_t) {
      if (!self->m_out.empty()) {
        self->m_backlog -= self->m_out.front().second;
        self->m_out.pop_front();
      }
      self->m_writing = false;
      if (ec) return self->failed();
      self->write_next();
    });
  }

  void failed() {
    m_closed = true;
    m_ended = true;
    m_out.clear();
    if (m_ws) {
      beast::error_code ec;
      beast::get_lowest_layer(*m_ws).socket().close(ec);
    }
  }

  Server& m_server;
  net::any_io_executor m_strand;
  std::optional<websocket::stream<beast::tcp_stream>> m_ws;
  beast::flat_buffer m_in;
  std::atomic<bool> m_closed{false};
  std::atomic<std::size_t> m_backlog{0};
  std::deque<std::pair<std::shared_ptr<const std::string>, std::size_t>> m_out;
  bool m_accepted = false, m_writing = false, m_closing = false, m_ended = false;
};

class Session : public StreamSink, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server& server) : m_stream(std::move(socket)), m_server(server) {
    m_server.m_connections++;
    beast::error_code ec;
    auto ep = m_stream.socket().remote_endpoint(ec);
    if (!ec) m_remote = ep.address().to_string();
  }
  ~Session() { m_server.m_connections--; }

  void run() {
    net::dispatch(m_stream.get_executor(), beast::bind_front_handler(&Session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    m_parser.emplace();
    m_parser->body_limit(m_server.options().body_limit);
    m_parser->header_limit(static_cast<std::uint32_t>(m_server.options().header_limit));
    // The first request on a connection gets the read timeout; later ones the idle timeout.
    m_stream.expires_after(m_requests == 0 ? m_server.options().read_timeout : m_server.options().idle_timeout);
    // The header first: the body limit depends on the path.
    bhttp::async_read_header(m_stream, m_buffer, *m_parser,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read(ec, 0);
    const auto& o = m_server.options();
    std::string_view target(m_parser->get().target().data(), m_parser->get().target().size());
    for (const auto& p : o.large_body_paths) {
      if (o.large_body_limit > o.body_limit && target.substr(0, p.size()) == p) {
        m_parser->body_limit(o.large_body_limit);
        break;
      }
    }
    bhttp::async_read(m_stream, m_buffer, *m_parser, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return end_connection();
    }
    if (ec == bhttp::error::body_limit) {
      return reject(413, "RequestTooLarge", "The request body is larger than the server accepts");
    }
    if (ec == bhttp::error::header_limit) {
      return reject(431, "RequestHeaderFieldsTooLarge", "The request headers are larger than the server accepts");
    }
    if (ec) return reject(400, "InvalidRequest", "The request is not valid HTTP: " + ec.message());
    ++m_requests;
    m_stream.expires_never();
    Request req = m_parser->release();
    m_keep_alive = req.keep_alive();
    m_server.m_in_flight++;
    auto self = shared_from_this();
    auto executor = m_stream.get_executor();
    // An upgrade request keeps its head for the handshake, should the application open a stream.
    std::shared_ptr<Request> upgrade;
    if (websocket::is_upgrade(req)) {
      upgrade = std::make_shared<Request>();
      upgrade->base() = req.base();
    }
    m_server.handler()(
        std::move(req), m_remote,
        [self, executor](Response res) {
          // Answered on this connection's strand (a request handled on the I/O thread): written
          // at once. From another thread (a database thread, a write's completion): queued to it.
          net::dispatch(executor, [self, res = std::move(res)]() mutable { self->do_write(std::move(res)); });
        },
        [self, executor, upgrade](Response head) -> std::shared_ptr<StreamSink> {
          if (upgrade) {
            auto ws = std::make_shared<WsSession>(self->m_server, executor);
            net::post(executor, [self, ws, upgrade] { self->hand_over(ws, std::move(*upgrade)); });
            return ws;
          }
          net::post(executor, [self, head = std::move(head)]() mutable { self->start_stream(std::move(head)); });
          return self;
        });
  }

 public:
  // ---- StreamSink: any thread ----
  bool push_framed(std::shared_ptr<const std::string> chunk) override {
    if (m_stream_closed.load()) return false;
    auto size = chunk->size();
    if (m_backlog.fetch_add(size) + size > k_stream_backlog) {
      close();
      return false;
    }
    net::post(m_stream.get_executor(), [self = shared_from_this(), chunk = std::move(chunk), size]() mutable {
      self->enqueue(std::move(chunk), size);
    });
    return true;
  }
  void close() override {
    if (m_stream_closed.exchange(true)) return;
    net::post(m_stream.get_executor(), [self = shared_from_this()] { self->end_stream(); });
  }
  bool is_open() const override { return !m_stream_closed.load(); }

 private:
  // ---- streaming: on the strand ----
  // The WebSocket session takes the socket; this session ends with nothing left to do.
  void hand_over(const std::shared_ptr<WsSession>& ws, Request upgrade) {
    m_server.m_in_flight--;
    m_stream.expires_never();
    ws->accept(m_stream.release_socket(), std::move(upgrade));
  }

  void start_stream(Response head) {
    m_server.m_in_flight--;  // a stream is not an in-flight request: shutdown does not wait for it
    m_stream.expires_never();
    head.chunked(true);
    head.keep_alive(false);
    std::ostringstream os;
    os << head.base();
    enqueue(std::make_shared<const std::string>(os.str()), 0);
    // Reading tells us when the client goes away; anything it sends is ignored.
    watch_peer();
  }

  void watch_peer() {
    m_stream.socket().async_read_some(net::buffer(m_discard), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->stream_failed();
      self->watch_peer();
    });
  }

  void enqueue(std::shared_ptr<const std::string> data, std::size_t counted) {
    if (m_stream_ended) return;
    m_out.emplace_back(std::move(data), counted);
    if (!m_writing) write_next();
  }

  void write_next() {
    if (m_out.empty() || m_stream_ended) {
      m_writing = false;
      return;
    }
    m_writing = true;
    auto data = m_out.front().first;
    net::async_write(m_stream.socket(), net::buffer(*data), [self = shared_from_this(), data](beast::error_code ec, std::size_t) {
      if (!self->m_out.empty()) {  // end_stream() may have dropped the queue meanwhile
        self->m_backlog -= self->m_out.front().second;
        self->m_out.pop_front();
      }
      if (ec) return self->stream_failed();
      self->write_next();
    });
  }

  void stream_failed() {
    m_stream_closed = true;
    end_stream();
  }

  void end_stream() {
    if (m_stream_ended) return;
    m_stream_ended = true;
    m_out.clear();
    beast::error_code ec;
    m_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    m_stream.socket().close(ec);
  }

  void reject(unsigned status, const std::string& error, const std::string& description) {
    m_keep_alive = false;  // the stream position is unknown after a parse error
    m_linger = true;       // the client may still be sending the body we refused
    m_server.m_in_flight++;
    do_write(m_server.reject()(status, error, description));
  }

  void do_write(Response res) {
    bool keep = m_keep_alive && !m_server.draining();
    res.keep_alive(keep);
    res.prepare_payload();
    m_response = std::make_shared<Response>(std::move(res));
    bhttp::async_write(m_stream, *m_response,
                       beast::bind_front_handler(&Session::on_write, shared_from_this(), keep));
  }

  void on_write(bool keep, beast::error_code ec, std::size_t) {
    m_server.m_in_flight--;
    m_response.reset();
    if (ec) return fail(ec, "write");
    if (!keep) return m_linger ? linger() : end_connection();
    do_read();
  }

  // After refusing a request mid-upload (413, 431, 400): stop sending, then read and discard
  // what the client still sends for a while. Closing with unread data makes the kernel send a
  // reset, and a client still writing its body then sees EPIPE/ECONNRESET instead of our answer.
  void linger() {
    beast::error_code ec;
    m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    m_stream.expires_after(std::chrono::seconds(5));
    drain();
  }

  void drain() {
    m_stream.async_read_some(net::buffer(m_discard), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->m_drained += n;
      // Bounded in time (the expiry above) and in bytes; then the socket closes with the session.
      if (!ec && self->m_drained < 64 * 1024 * 1024) self->drain();
    });
  }

  void fail(beast::error_code ec, const char* what) {
    if (ec != net::error::operation_aborted && ec != beast::error::timeout && ec != net::error::broken_pipe &&
        ec != net::error::connection_reset)
      spdlog::debug("event=http_error stage={} error=\"{}\"", what, ec.message());
    end_connection();
  }

  void end_connection() {
    beast::error_code ec;
    m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream m_stream;
  beast::flat_buffer m_buffer;
  std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
  std::shared_ptr<Response> m_response;
  Server& m_server;
  std::string m_remote;
  bool m_keep_alive = false;
  bool m_linger = false;
  std::size_t m_drained = 0;
  std::array<char, 16 * 1024> m_discard{};
  std::size_t m_requests = 0;
  // streaming
  std::atomic<bool> m_stream_closed{false};
  std::atomic<std::size_t> m_backlog{0};
  std::deque<std::pair<std::shared_ptr<const std::string>, std::size_t>> m_out;
  bool m_writing = false, m_stream_ended = false;
};

}  // namespace

std::shared_ptr<const std::string> StreamSink::frame(std::string_view data) {
  std::ostringstream head;
  head << std::hex << data.size() << "\r\n";
  auto out = std::make_shared<std::string>(head.str());
  out->reserve(out->size() + data.size() + 2);
  out->append(data);
  out->append("\r\n");
  return out;
}

Server::Server(ServerOptions options, Handler handler, RejectHandler reject)
    : m_options(std::move(options)), m_handler(std::move(handler)), m_reject(std::move(reject)), m_acceptor(m_ioc) {}

Server::~Server() {
  m_ioc.stop();
  for (auto& t : m_threads) if (t.joinable()) t.join();
}

unsigned short Server::start() {
  auto endpoint = tcp::endpoint(net::ip::make_address(m_options.host), m_options.port);
  m_acceptor.open(endpoint.protocol());
  m_acceptor.set_option(net::socket_base::reuse_address(true));
  m_acceptor.bind(endpoint);
  m_acceptor.listen(net::socket_base::max_listen_connections);
  unsigned short port = m_acceptor.local_endpoint().port();
  m_work = std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(m_ioc.get_executor());
  do_accept();
  int n = m_options.thread_count();
  for (int i = 0; i < n; ++i) m_threads.emplace_back([this] {
      log::name_thread("http-io");
      m_ioc.run();
    });
  return port;
}

void Server::do_accept() {
  m_acceptor.async_accept(net::make_strand(m_ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !m_acceptor.is_open()) return;
      spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
    } else if (m_connections.load() >= m_options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the connection limit: refuse rather than degrade everyone
    } else {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket), *this)->run();
    }
    if (m_acceptor.is_open()) do_accept();
  });
}

void Server::shutdown(std::chrono::seconds grace) {
  m_draining = true;
  net::post(m_ioc, [this] {
    beast::error_code ec;
    m_acceptor.close(ec);
  });
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (m_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a counter at shutdown only
  }
  m_work.reset();
  m_ioc.stop();
}

void Server::wait() {
  for (auto& t : m_threads) if (t.joinable()) t.join();
}

}  // namespace rapport::http
