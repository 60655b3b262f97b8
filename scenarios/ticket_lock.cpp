// ticket-lock (抢票): buyers search a ticket file, then buy after a random network delay (002_7108acfb1758bed7.txt).
// Teaches: a Lock turns the read-modify-write of `info` into one buyer at a time; without it, buyers oversell.
// Watch: with the lock, one buyer holds "mutex" while the others are blocked on it; without it, every buyer reads
// the same count during its delay, and "tickets left" goes down by one although several buyers succeed.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "forkscope/forkscope.hpp"
#include "lesson_support.hpp"

namespace {

nlohmann::json read_info() {
  std::ifstream in("info");
  return nlohmann::json::parse(in);
}

// Like real programs that others read meanwhile: write a new file, then rename it over the old one, so a search
// outside the lock reads the old count or the new one, never a half-written file.
void write_info(const nlohmann::json& data) {
  const std::string fresh = fmt::format("info.{}", forkscope::current_pid());
  {
    std::ofstream out(fresh);
    out << data.dump();
    if (!out.flush()) throw forkscope::OSError("cannot write " + fresh);
  }
  if (std::rename(fresh.c_str(), "info") != 0) throw forkscope::OSError("cannot rename " + fresh + " to info");
}

void search(int i) {
  forkscope::mark("search: read info");
  const nlohmann::json data = read_info();
  forkscope::print("用户{}查询余票数{}", i, data["ticket"].get<int>());
}

void buy(int i, forkscope::Counter tickets_left, forkscope::Counter sold) {
  forkscope::mark("buy: read info");
  nlohmann::json data = read_info();
  forkscope::sleep(static_cast<double>(forkscope::random_int(1, 3)));  // the network delay
  if (data["ticket"].get<int>() > 0) {
    data["ticket"] = data["ticket"].get<int>() - 1;
    forkscope::mark("buy: write info");
    write_info(data);
    tickets_left.set(data["ticket"].get<int>());
    sold.add(1);
    forkscope::print("用户{}抢票成功", i);
  } else {
    forkscope::print("用户{}查询余票为0", i);
  }
}

void run(int i, std::optional<forkscope::Lock> mutex, forkscope::Counter tickets_left, forkscope::Counter sold) {
  search(i);
  if (mutex) mutex->acquire();  // 抢锁: only one buyer at a time past this line
  buy(i, tickets_left, sold);
  if (mutex) mutex->release();  // 释放锁
}

void body(forkscope::LessonContext& lesson) {
  const auto tickets = lesson.int_param("tickets");
  const auto buyers = lesson.int_param("buyers");
  write_info({{"ticket", tickets}});
  std::optional<forkscope::Lock> mutex;
  if (lesson.bool_param("lock")) mutex.emplace("mutex");
  forkscope::Counter tickets_left("tickets_left", tickets);
  forkscope::Counter sold("sold", 0);

  std::vector<forkscope::Process> processes;
  for (int i = 0; i < buyers; ++i) {
    processes.emplace_back([=] { run(i, mutex, tickets_left, sold); }, forkscope::ProcessOptions{.name = fmt::format("user-{}", i)});
    processes.back().start();
  }
  for (auto& p : processes) p.join();

  const auto left = read_info()["ticket"].get<std::int64_t>();
  lesson.result() = {{"tickets_initial", tickets},
                     {"sold", sold.value()},
                     {"tickets_left", left},
                     // Tickets sold that did not exist.
                     {"oversold", std::max<std::int64_t>(sold.value() - tickets, 0)},
                     // Sales the file never recorded: two buyers wrote the same count.
                     {"lost_updates", sold.value() - (tickets - left)}};
}

void check(forkscope::RunReport& run) {
  const auto tickets = run.params["tickets"].get<std::int64_t>();
  const auto buyers = run.params["buyers"].get<std::int64_t>();
  const auto sold = run.result["sold"].get<std::int64_t>();
  const auto left = run.result["tickets_left"].get<std::int64_t>();
  run.expect("tickets_never_negative", left >= 0 && left <= tickets, {{"left", left}});
  run.expect("everyone_who_saw_a_ticket_bought", sold >= std::min(tickets, buyers), {{"sold", sold}});
  if (run.params["lock"].get<bool>()) {
    run.expect("lock_sells_exactly", sold == std::min(tickets, buyers), {{"sold", sold}});
    run.expect("lock_nothing_oversold", run.result["oversold"] == 0, {{"oversold", run.result["oversold"]}});
    // From the trace: no two buyers ever held the mutex at the same time.
    run.expect("mutex_one_holder",
               forkscope::scenarios::held_by_one_at_a_time(run.model->object_named("mutex")));
  } else {
    run.expect_to_break("no_lock_nothing_oversold", run.result["oversold"] == 0, {{"oversold", run.result["oversold"]}});
  }
}

// The race, when it happened: more sold than there were tickets, or sales the file lost.
std::optional<forkscope::LessonPoint> point(const forkscope::RunReport& run) {
  const auto sold = run.result.value("sold", std::int64_t{0});
  const auto tickets = run.result.value("tickets_initial", std::int64_t{0});
  if (run.result.value("oversold", std::int64_t{0}) > 0)
    return forkscope::LessonPoint{"point.oversold", {std::to_string(sold), std::to_string(tickets)}};
  if (run.result.value("lost_updates", std::int64_t{0}) > 0)
    return forkscope::LessonPoint{"point.lost_sales",
                                  {std::to_string(sold), std::to_string(tickets - run.result.value("tickets_left", tickets))}};
  return std::nullopt;
}

}  // namespace

namespace forkscope::scenarios {

Lesson ticket_lock() {
  return {.id = "ticket-lock",
          .topic = "sync",
          .source = "scenarios/ticket_lock.cpp",
          .params = {ParamSpec::integer("tickets", 3, 0, 100), ParamSpec::integer("buyers", 5, 1, 64),
                     ParamSpec::boolean("lock", true)},
          .body = body,
          .check = check,
          .outcome = {"oversold", "lost_updates"},
          .point = point};
}

}  // namespace forkscope::scenarios
