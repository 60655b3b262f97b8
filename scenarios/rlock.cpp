// rlock (可重入锁, not in the tutorials): clerks move money from alice to bob. transfer() takes the account lock and
// calls change() twice, which takes the same lock again.
// Teaches: an RLock can be taken again by the process that holds it; it counts how deep, and is free only after as
// many releases. A plain Lock cannot: its holder waits for itself for ever, a deadlock. (With reentrant=false each
// clerk gives up its nested acquire after `patience_seconds`, so that the lesson ends.)
// Watch: the depth of "account lock" going 1, 2, 1, 2, 1, 0 within one transfer while the other clerks are blocked
// on it; with a plain Lock, each clerk blocked on the very lock it holds.
#include <cstdlib>
#include <vector>

#include "forkscope/forkscope.hpp"

namespace {

constexpr std::int64_t kAmount = 10;
constexpr std::int64_t kOpeningBalance = 1000;

// One account change, protected on its own: it may be called alone, or from inside a transfer.
bool change(forkscope::Lock lock, forkscope::Counter account, std::int64_t delta, double patience) {
  if (!lock.acquire(true, patience)) return false;  // a plain Lock held by this very process never comes free
  account.add(delta);
  lock.release();
  return true;
}

void clerk(int i, forkscope::Lock lock, forkscope::Counter alice, forkscope::Counter bob, std::int64_t transfers,
           double patience) {
  for (std::int64_t t = 0; t < transfers; ++t) {
    lock.acquire();  // the whole transfer is one step for everyone else
    const bool done = change(lock, alice, -kAmount, patience) && change(lock, bob, kAmount, patience);
    lock.release();
    if (!done) {
      forkscope::print("职员{}: 第二次 acquire() 等了 {} 秒也没拿到: Lock 不可重入, 死锁了", i, patience);
      return;
    }
    forkscope::print("职员{}: alice 转给 bob {} 元", i, kAmount);
  }
}

void body(forkscope::LessonContext& lesson) {
  const double patience = lesson.float_param("patience_seconds");
  const auto transfers = lesson.int_param("transfers");
  forkscope::Lock lock = lesson.bool_param("reentrant") ? forkscope::RLock("account lock") : forkscope::Lock("account lock");
  forkscope::Counter alice("alice", kOpeningBalance);
  forkscope::Counter bob("bob", kOpeningBalance);
  std::vector<forkscope::Process> clerks;
  for (int i = 1; i <= lesson.int_param("clerks"); ++i) {
    clerks.emplace_back([=] { clerk(i, lock, alice, bob, transfers, patience); });
    clerks.back().start();
  }
  for (auto& c : clerks) c.join();
  lesson.result() = {{"alice", alice.value()}, {"bob", bob.value()}, {"transferred", bob.value() - kOpeningBalance}};
}

void check(forkscope::RunReport& run) {
  const forkscope::TraceModel& model = *run.model;
  const forkscope::ObjectInfo* lock = model.object_named("account lock");
  const auto alice = run.result["alice"].get<std::int64_t>();
  const auto bob = run.result["bob"].get<std::int64_t>();
  run.expect("no_money_made_or_lost", alice + bob == 2 * kOpeningBalance, {{"alice", alice}, {"bob", bob}});

  // The lock's depth over time (1 held, 2 taken again, 0 free) moves one step at a time: one holder at a time.
  bool one_step_at_a_time = true;
  for (std::size_t i = 1; i < lock->samples.size(); ++i)
    one_step_at_a_time &= std::abs(lock->samples[i].value - lock->samples[i - 1].value) == 1;
  run.expect("depth_one_step_at_a_time", one_step_at_a_time);

  std::int64_t gave_up = 0;
  for (const forkscope::TraceEvent& e : model.events())
    gave_up += e.kind == forkscope::EventKind::LockAcquire && e.phase == forkscope::Phase::Fail && e.object == lock->id;
  run.result["deadlocks"] = gave_up;
  const auto clerks = run.params["clerks"].get<std::int64_t>();
  if (run.params["reentrant"].get<bool>()) {
    const std::int64_t expected = clerks * run.params["transfers"].get<std::int64_t>() * kAmount;
    run.expect("rlock_every_transfer", run.result["transferred"] == expected && gave_up == 0,
               {{"transferred", run.result["transferred"]}, {"expected", expected}});
    run.expect("rlock_taken_again", lock->max_value() == 2, {{"most", lock->max_value()}});
  } else {
    run.expect("lock_nested_acquire_in_vain", gave_up == clerks && bob == kOpeningBalance, {{"gave_up", gave_up}, {"bob", bob}});
  }
}

}  // namespace

namespace forkscope::scenarios {

Lesson rlock() {
  return {.id = "rlock",
          .topic = "sync",
          .source = "scenarios/rlock.cpp",
          .params = {ParamSpec::integer("clerks", 3, 1, 8), ParamSpec::integer("transfers", 2, 1, 20),
                     ParamSpec::boolean("reentrant", true), ParamSpec::real("patience_seconds", 1.0, 0.1, 10)},
          .body = body,
          .check = check};
}

}  // namespace forkscope::scenarios
