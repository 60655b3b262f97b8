// pool-crawler (回调函数爬虫): pool workers download pages, a callback in the main process parses each one and appends
// a line to db.txt (000_ec34fb1d3354b95f.txt, 001_2f08fe807ab70379.txt). The tutorials crawl real websites; here a
// small HTTP server process on 127.0.0.1 serves the pages (plain sockets, HTTP/1.0), so the lesson needs no network.
// Teaches: put the slow, blocking part (the download) in the pool and let the main process do the quick part (the
// parsing) as each result arrives: apply_async(get_page, url, callback=parse_page). Only the main process writes
// db.txt, so the lines never interleave, and no lock is needed.
// Watch: get_page spans on three worker lanes, each request line printed on the http-server lane, and a "callback
// parse_page" span on the main lane as each download ends, while the main process waits in join.
#include <fstream>
#include <regex>
#include <set>
#include <vector>

#include "forkscope/forkscope.hpp"
#include "pool_sockets.hpp"

namespace {

using forkscope::scenarios::Socket;

std::string page_html(int i) {
  std::string text = fmt::format("<html><head><title>Page {}</title></head><body>", i);
  for (int line = 0; line < i; ++line) text += fmt::format("<p>paragraph {} of page {}</p>", line + 1, i);
  return text + "</body></html>";
}

std::string http_response(const std::string& status, const std::string& body) {
  return fmt::format("HTTP/1.0 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{}", status,
                     body.size(), body);
}

// Everything the other side sends until it closes the connection.
std::string read_all(const Socket& conn) {
  std::string data;
  for (std::string part = forkscope::scenarios::receive(conn.fd()); !part.empty(); part = forkscope::scenarios::receive(conn.fd()))
    data += part;
  return data;
}

// The website, a process of its own: HTTP/1.0, one request per connection, GET /page/<n> answers page n. Each
// request line shows on its lane.
void serve(int server) {
  const std::regex page_request(R"(GET /page/(\d{1,3}) HTTP/1\.[01])");
  while (true) {
    if (!forkscope::wait_for_socket(server, forkscope::SocketOp::Accept, forkscope::scenarios::kSocketTimeoutMs / 1000.0))
      continue;  // no visitor yet
    const Socket conn = forkscope::scenarios::accept_one(server);
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos) {
      const std::string part = forkscope::scenarios::receive(conn.fd());
      if (part.empty()) break;
      request += part;
    }
    const std::string line = request.substr(0, request.find("\r\n"));
    forkscope::print("{}", line);
    std::smatch m;
    forkscope::scenarios::send_all(conn.fd(), std::regex_match(line, m, page_request)
                                                  ? http_response("200 OK", page_html(std::stoi(m[1])))
                                                  : http_response("404 Not Found", "no such page"));
  }
}

// requests.get(url) for http://127.0.0.1:<port>/<path>: the status line and the body.
std::pair<std::string, std::string> http_get(std::uint16_t port, const std::string& path) {
  const Socket conn = forkscope::scenarios::connect_to(port);
  forkscope::scenarios::send_all(conn.fd(), fmt::format("GET {} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n", path, port));
  const std::string response = read_all(conn);
  const std::size_t head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) throw forkscope::RuntimeError(fmt::format("GET {}: no HTTP response", path));
  return {response.substr(0, response.find("\r\n")), response.substr(head_end + 4)};
}

// parse_page runs in the main process: it gets what get_page returned, {"url": ..., "text": ...}.
void parse_page(const forkscope::Value& res) {
  const nlohmann::json page = nlohmann::json::parse(res.as_str());
  const auto url = page["url"].get<std::string>();
  forkscope::print("<进程{}> parse {}", forkscope::current_pid(), url);
  std::ofstream("db.txt", std::ios::app) << fmt::format("url:<{}> size:[{}]\n", url, page["text"].get<std::string>().size());
}

void body(forkscope::LessonContext& lesson) {
  const auto pages = lesson.int_param("pages");
  const auto [site_socket, port] = forkscope::scenarios::listen_on_loopback();
  forkscope::Process server([fd = site_socket.fd()] { serve(fd); }, {.name = "http-server", .daemon = true});
  server.start();
  const std::string site = fmt::format("http://127.0.0.1:{}", port);

  const forkscope::Task get_page("get_page", [site, port](const std::string& url) {
    forkscope::print("<进程{}> get {}", forkscope::current_pid(), url);
    const auto [status, text] = http_get(port, url.substr(site.size()));
    if (status != "HTTP/1.0 200 OK") throw forkscope::RuntimeError(fmt::format("GET {}: {}", url, status));
    forkscope::sleep(static_cast<double>(forkscope::random_int(1, 3)));  // a slow website
    return nlohmann::ordered_json{{"url", url}, {"text", text}}.dump();  // a dict, in Python's order
  });

  forkscope::Pool p(3);
  for (std::int64_t i = 1; i <= pages; ++i)
    p.apply_async(get_page, {fmt::format("{}/page/{}", site, i)}, {.callback = {"parse_page", parse_page}});
  p.close();
  p.join();  // 主进程负责干回调函数的活: the parsing happens while the main process waits here
  server.terminate();
  server.join();

  std::ifstream db("db.txt");
  std::int64_t lines = 0;
  for (std::string line; std::getline(db, line);) ++lines;
  lesson.result() = {{"pages", pages}, {"db_lines", lines}};
}

void check(forkscope::RunReport& run) {
  const auto pages = run.params["pages"].get<std::int64_t>();
  run.expect("one_line_per_page", run.result["db_lines"] == pages, {{"lines", run.result["db_lines"]}});
  std::set<std::string> parsed;
  std::size_t parses_on_main = 0;
  for (const forkscope::ProcessInfo& p : run.model->processes())
    for (const forkscope::TaskSpan& t : p.tasks)
      if (t.label.starts_with("callback parse_page")) {
        parsed.insert(t.label);
        parses_on_main += p.name == "MainProcess";
      }
  run.expect("parsed_once_by_main",
             parses_on_main == static_cast<std::size_t>(pages) && parsed.size() == parses_on_main,
             {{"parses", parses_on_main}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson pool_crawler() {
  return {.id = "pool-crawler",
          .topic = "pools",
          .source = "scenarios/pool_crawler.cpp",
          .params = {ParamSpec::integer("pages", 5, 1, 50)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
