// producer-consumer (生产者消费者模型): cooks put food into a queue, eaters take it out (002_7108acfb1758bed7.txt).
// Teaches: the queue decouples the two sides and balances them. With Queue, each eater stops at a None sentinel;
// with JoinableQueue (joinable=true), eaters are daemons, confirm each item with task_done(), and q.join() tells
// the main process that everything was eaten, after which the daemons die with it.
// Watch: the depth of "q" rise while eaters are slow, cooks blocked on put when it is full, arrows from each put
// to its get, and the eaters terminated at the end of the joinable variant.
#include <type_traits>
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

constexpr const char* kCooks[] = {"egon", "tank", "alex", "wusir", "yuan", "nezha", "jason", "kevin"};
constexpr const char* kFoods[] = {"包子", "油条", "泔水", "骨头", "饺子", "馒头", "面条", "烧饼"};
constexpr const char* kEaters[] = {"jerry", "tom", "haha", "lili", "mary", "bob", "lucy", "jack"};

void producer(const char* name, const char* food, std::int64_t items, double seconds, forkscope::Queue q) {
  for (std::int64_t i = 0; i < items; ++i) {
    forkscope::sleep(seconds);
    const std::string data = fmt::format("{}生产了{} {}", name, food, i);
    forkscope::print("{}", data);
    q.put(data);  // 将生产的数据放入队列中
  }
}

template <class Q>
void consumer(const char* name, double seconds, Q q) {
  while (true) {
    const forkscope::Value data = q.get();
    if (data.is_none()) break;  // the sentinel: no more food
    forkscope::sleep(seconds);
    forkscope::print("{}吃了{}", name, data);
    if constexpr (std::is_same_v<Q, forkscope::JoinableQueue>) q.task_done();  // 告诉队列：这一份处理完了
  }
}

template <class Q>
void kitchen(forkscope::LessonContext& lesson, Q q) {
  const auto cooks = lesson.int_param("producers");
  const auto eaters = lesson.int_param("consumers");
  const auto items = lesson.int_param("items");
  const double cook_seconds = lesson.float_param("produce_seconds");
  const double eat_seconds = lesson.float_param("consume_seconds");
  constexpr bool joinable = std::is_same_v<Q, forkscope::JoinableQueue>;

  std::vector<forkscope::Process> producers, consumers;
  for (int i = 0; i < cooks; ++i)
    producers.emplace_back([=] { producer(kCooks[i], kFoods[i], items, cook_seconds, q); });
  for (int i = 0; i < eaters; ++i)
    consumers.emplace_back([=] { consumer(kEaters[i], eat_seconds, q); }, forkscope::ProcessOptions{.name = {}, .daemon = joinable});
  for (auto& p : producers) p.start();
  for (auto& c : consumers) c.start();

  for (auto& p : producers) p.join();  // 等待生产者生产完所有的数据
  if constexpr (joinable) {
    q.join();  // returns once every item put has been confirmed with task_done()
    forkscope::print("主进程结束");  // the daemon eaters die with the main process
  } else {
    for (int i = 0; i < eaters; ++i) q.put(forkscope::None);  // one sentinel per eater
    for (auto& c : consumers) c.join();
  }
  lesson.result()["produced"] = cooks * items;
}

void body(forkscope::LessonContext& lesson) {
  const auto maxsize = lesson.int_param("maxsize");
  if (lesson.bool_param("joinable"))
    kitchen(lesson, forkscope::JoinableQueue(maxsize, "q"));
  else
    kitchen(lesson, forkscope::Queue(maxsize, "q"));
}

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ObjectInfo* q = model.object_named("q");
  const auto produced = run.result["produced"].get<std::int64_t>();
  const bool joinable = run.params["joinable"].get<bool>();
  const std::int64_t sentinels = joinable ? 0 : run.params["consumers"].get<std::int64_t>();

  // Every item put (sentinels included) was taken exactly once.
  std::map<std::uint64_t, int> gets;
  for (const forkscope::TraceEvent& e : model.events())
    if (e.kind == forkscope::EventKind::QueueGet && e.phase == forkscope::Phase::Done && e.object == q->id) ++gets[e.arg];
  std::int64_t once = 0;
  for (const forkscope::Flow& f : model.flows())
    once += f.object == q->id && f.put_ns >= 0 && gets[f.seq] == 1;
  const std::int64_t consumed = joinable ? q->gets : q->gets - sentinels;
  run.result["consumed"] = consumed;
  run.result["max_depth"] = q->max_value();

  run.expect("consumed_exactly_once", once == produced + sentinels && consumed == produced,
             {{"once", once}, {"consumed", consumed}, {"produced", produced}});
  const auto maxsize = run.params["maxsize"].get<std::int64_t>();
  if (maxsize > 0)
    run.expect("depth_within_maxsize", q->max_value() <= maxsize, {{"most", q->max_value()}});
}

}  // namespace

namespace forkscope::scenarios {

Lesson producer_consumer() {
  return {.id = "producer-consumer",
          .topic = "queues",
          .source = "scenarios/producer_consumer.cpp",
          .params = {ParamSpec::integer("producers", 2, 1, 8), ParamSpec::integer("consumers", 2, 1, 8),
                     ParamSpec::integer("items", 5, 1, 500), ParamSpec::integer("maxsize", 3, 0, 1000),
                     ParamSpec::real("produce_seconds", 1.0, 0, 10), ParamSpec::real("consume_seconds", 2.0, 0, 10),
                     ParamSpec::boolean("joinable", false)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
