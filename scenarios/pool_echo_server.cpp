// pool-echo-server (进程池版 socket 并发聊天): a TCP server with Pool(4) and six clients (001_2f08fe807ab70379.txt).
// Teaches: a pool caps concurrency. Four workers serve four clients at once; the fifth and sixth are connected (the
// kernel queues them on the listening socket) but get no answer until a worker is free again. Like the tutorial's
// server, each task serves one connection: here the workers accept it themselves on the listening socket they
// inherited, where Python's main process accepts and pickles the connection to a worker.
// Watch: "clients served now" never above 4; "clients waiting" at 2 while the first four talk; each talk span on
// a worker lane lasts as long as its client's conversation.
#include <cctype>
#include <vector>

#include "forkscope/forkscope.hpp"
#include "pool_sockets.hpp"

namespace {

using forkscope::scenarios::Socket;

// talk(conn): one connection, served until the client closes it.
std::int64_t talk(int server, forkscope::Counter served_now) {
  const Socket conn = forkscope::scenarios::accept_one(server);
  forkscope::print("进程pid: {}", forkscope::current_pid());
  served_now.add(1);
  std::int64_t messages = 0;
  while (true) {
    std::string msg = forkscope::scenarios::receive(conn.fd());
    if (msg.empty()) break;  // the client closed the connection
    for (char& c : msg) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    forkscope::scenarios::send_all(conn.fd(), msg);  // conn.send(msg.upper())
    ++messages;
  }
  served_now.add(-1);
  return messages;
}

void client(std::int64_t i, std::uint16_t port, std::int64_t messages, double seconds, forkscope::Counter waiting) {
  const Socket s = forkscope::scenarios::connect_to(port);
  for (std::int64_t k = 0; k < messages; ++k) {
    if (k == 0) waiting.add(1);  // connected, but is anyone serving us?
    forkscope::scenarios::send_all(s.fd(), fmt::format("hello {} from client {}", k, i));
    const std::string reply = forkscope::scenarios::receive(s.fd());
    if (k == 0) waiting.add(-1);
    forkscope::print("{}", reply);
    forkscope::sleep(seconds);
  }
}

void body(forkscope::LessonContext& lesson) {
  const auto clients = lesson.int_param("clients");
  const auto messages = lesson.int_param("messages");
  const double seconds = lesson.float_param("message_seconds");

  const auto [server, port] = forkscope::scenarios::listen_on_loopback();  // server.bind(('127.0.0.1', 0)); listen
  forkscope::Counter served_now("clients_served_now");
  forkscope::Counter waiting("clients_waiting");
  const forkscope::Task talk_task("talk", [fd = server.fd(), served_now](std::int64_t) { return talk(fd, served_now); });

  forkscope::Pool p(lesson.int_param("processes"));
  std::vector<forkscope::ApplyResult> conversations;
  for (std::int64_t i = 0; i < clients; ++i) conversations.push_back(p.apply_async(talk_task, {i}));
  std::vector<forkscope::Process> client_processes;
  for (std::int64_t i = 0; i < clients; ++i)
    client_processes.emplace_back([=] { client(i, port, messages, seconds, waiting); },
                                  forkscope::ProcessOptions{.name = fmt::format("client-{}", i)});
  for (forkscope::Process& c : client_processes) c.start();
  for (forkscope::Process& c : client_processes) c.join();
  std::int64_t served = 0;
  for (forkscope::ApplyResult& c : conversations) served += c.get().as_int() == messages;
  p.close();
  p.join();
  lesson.result() = {{"clients", clients}, {"served", served}, {"port", port}};
}

void check(forkscope::RunReport& run) {
  const auto processes = run.params["processes"].get<std::int64_t>();
  const auto clients = run.params["clients"].get<std::int64_t>();
  const forkscope::ObjectInfo* served_now = run.model->object_named("clients_served_now");
  const std::int64_t most = served_now ? served_now->max_value() : -1;
  run.result["max_concurrent"] = most;
  run.expect("every_client_served", run.result["served"] == clients, {{"served", run.result["served"]}});
  run.expect("served_at_once_within_workers", most >= 1 && most <= processes, {{"most", most}, {"workers", processes}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson pool_echo_server() {
  return {.id = "pool-echo-server",
          .topic = "pools",
          .source = "scenarios/pool_echo_server.cpp",
          .params = {ParamSpec::integer("processes", 4, 1, 16), ParamSpec::integer("clients", 6, 1, 32),
                     ParamSpec::integer("messages", 3, 1, 100), ParamSpec::real("message_seconds", 0.5, 0, 10)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
