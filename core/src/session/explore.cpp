#include "forkscope/explore.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "forkscope/errors.hpp"
#include "forkscope/lesson_text.hpp"
#include "session/futex.hpp"

namespace forkscope {

// One try: a stepped run and how its steps are chosen.
struct Explorer::Attempt {
  std::unique_ptr<Run> run;
  Order order = Order::OneAtATime;
  std::vector<std::string> prefix;  // PrefixThenOneAtATime: these first
  std::size_t granted = 0;
  std::map<std::string, double> priority;                 // PCT: higher goes first
  std::vector<std::pair<std::size_t, double>> changes;     // PCT: at that step, the chosen one drops to that priority
  detail::Deadline deadline = detail::Deadline::none();
  // Stopped before its end: past its deadline or Schedule::kMaxSteps, or a prefix step named a process that could not
  // move (the lesson did not repeat itself). It counts as tried and finds nothing.
  bool abandoned = false;
};

Explorer::Explorer(ExploreOptions options) : options_(std::move(options)), rng_(options_.seed) {
  if (options_.lesson == nullptr) throw UsageError("no lesson given");
  if (options_.budget < 1 || options_.budget > ExploreOptions::kMaxBudget)
    throw UsageError(fmt::format("the budget must be from 1 to {} schedules", ExploreOptions::kMaxBudget));
  if (options_.depth < 1 || options_.depth > ExploreOptions::kMaxDepth)
    throw UsageError(fmt::format("the depth must be from 1 to {}", ExploreOptions::kMaxDepth));
  if (!(options_.run_timeout_seconds > 0)) throw UsageError("the run timeout must be above 0 seconds");
  // The parameters must fit the lesson: checked as a saved schedule's are.
  options_.params = Params::from_json(options_.lesson->params, options_.params.to_json());
}

Explorer::~Explorer() = default;

void Explorer::stop() {
  if (attempt_) attempt_->run->stop();
  attempt_.reset();
  done_ = true;
}

bool Explorer::work_for(double seconds) {
  const auto until = detail::Deadline::after_ns(static_cast<std::int64_t>(seconds * 1e9));
  do {
    if (done_) return true;
    if (!attempt_) start_next();
    if (done_) return true;
    const std::size_t before = attempt_->granted;
    drive();
    // Nothing to grant yet: a process is on its way to the gate. Leave the CPUs to it.
    if (attempt_ && attempt_->granted == before && !done_) std::this_thread::sleep_for(std::chrono::microseconds(50));
  } while (!until.expired());
  return done_;
}

void Explorer::start_next() {
  if (result_.tried >= options_.budget || (shrinking_ && shrink_lo_ >= shrink_hi_) || (result_.found && !shrinking_)) {
    done_ = true;
    return;
  }
  auto a = std::make_unique<Attempt>();
  if (!reference_ && result_.tried == 0) {
    a->order = Order::OneAtATime;
  } else if (shrinking_) {
    a->order = Order::PrefixThenOneAtATime;
    const std::size_t mid = shrink_lo_ + (shrink_hi_ - shrink_lo_) / 2;
    a->prefix.assign(first_found_.begin(), first_found_.begin() + static_cast<std::ptrdiff_t>(mid));
  } else if (result_.tried % 2 == 1) {
    a->order = Order::RandomWalk;
  } else {
    a->order = Order::Pct;
    // d-1 change points among the steps a run takes (the reference's count); the i-th lowers to priority i, below
    // every starting priority (d..d+1).
    const std::size_t k = std::max<std::size_t>(reference_steps_, 1);
    for (int i = 1; i < options_.depth; ++i)
      a->changes.emplace_back(std::uniform_int_distribution<std::size_t>(1, k)(rng_), static_cast<double>(i));
  }
  RunOptions o;
  o.lesson = options_.lesson;
  o.params = options_.params;
  o.seed = options_.seed;
  o.start_stepping = true;
  o.runner = options_.runner;
  a->deadline = detail::Deadline::after_ns(static_cast<std::int64_t>(options_.run_timeout_seconds * 1e9));
  a->run = std::make_unique<Run>(std::move(o));
  attempt_ = std::move(a);
}

void Explorer::drive() {
  Attempt& a = *attempt_;
  Run& run = *a.run;
  run.poll();
  if (run.finished()) return finish(false);
  if (!run.stalled().empty()) {
    run.stop();
    return finish(true);
  }
  if (a.deadline.expired() || run.schedule().steps.size() >= Schedule::kMaxSteps) {
    run.stop();
    a.abandoned = true;
    return finish(false);
  }
  if (run.step_in_progress() || !run.all_held()) return;
  // In the order the processes were started: the same from run to run, whatever their PIDs or arrival times.
  std::vector<HeldProcess> movable;
  for (HeldProcess& h : run.held())
    if (h.grantable()) movable.push_back(std::move(h));
  if (movable.empty()) return;  // a wait with a timeout will end by itself
  std::sort(movable.begin(), movable.end(), [](const HeldProcess& x, const HeldProcess& y) { return x.slot < y.slot; });
  const HeldProcess* next = choose(movable);
  if (next == nullptr) {
    run.stop();
    a.abandoned = true;
    return finish(false);
  }
  run.request_step(next->pid);
  ++a.granted;
}

const HeldProcess* Explorer::choose(const std::vector<HeldProcess>& movable) {
  Attempt& a = *attempt_;
  switch (a.order) {
    case Order::OneAtATime: return &movable.front();
    case Order::PrefixThenOneAtATime: {
      if (a.granted >= a.prefix.size()) return &movable.front();
      const auto named = std::find_if(movable.begin(), movable.end(),
                                      [&](const HeldProcess& h) { return h.name == a.prefix[a.granted]; });
      return named == movable.end() ? nullptr : &*named;
    }
    case Order::RandomWalk: return &movable[std::uniform_int_distribution<std::size_t>(0, movable.size() - 1)(rng_)];
    case Order::Pct: {
      // A process seen for the first time gets a random place among the starting priorities.
      for (const HeldProcess& h : movable)
        if (!a.priority.contains(h.name))
          a.priority[h.name] = options_.depth + std::uniform_real_distribution<double>(0, 1)(rng_);
      const auto highest = [&] {
        return &*std::max_element(movable.begin(), movable.end(), [&](const HeldProcess& x, const HeldProcess& y) {
          return a.priority[x.name] < a.priority[y.name];
        });
      };
      for (const auto& [step, lowered] : a.changes)
        if (step == a.granted + 1) a.priority[highest()->name] = lowered;
      return highest();
    }
  }
  return &movable.front();
}

std::optional<Explorer::Finding> Explorer::finding(const Run& run, bool stalled) const {
  const RunReport& report = run.report();
  if (stalled) return Finding{run.stalled(), {{"kind", "stuck"}}};
  if (!report.stuck.empty()) return Finding{report.stuck, {{"kind", "stuck"}}};
  if (report.main_exitcode != 0)
    return Finding{fmt::format("the lesson failed (exit code {})", report.main_exitcode),
                   {{"kind", "exit"}, {"code", report.main_exitcode}}};
  // An invariant that fails one process at a time too is about time, not interleaving ("the children slept at the
  // same time"): it finds nothing. One the lesson breaks on purpose is a result: the outcome facts below say it.
  for (const Invariant& i : report.invariants)
    if (!i.ok && !i.meant_to_break && reference_ && !reference_failed_.contains(i.name))
      return Finding{fmt::format("invariant '{}' failed",
                                 LessonNames::load(options_.lesson->id, "en").invariant_with_detail(i.name, i.values)),
                     {{"kind", "invariant"}, {"key", i.name}, {"values", i.values}}};
  if (reference_)
    for (const std::string& fact : options_.lesson->outcome) {
      const nlohmann::json got = report.result.value(fact, nlohmann::json());
      const nlohmann::json want = reference_->value(fact, nlohmann::json());
      if (got != want)
        return Finding{fmt::format("{} = {} (one process at a time: {})", fact, got.dump(), want.dump()),
                       {{"kind", "outcome"}, {"key", fact}, {"got", got}, {"want", want}}};
    }
  return std::nullopt;
}

void Explorer::finish(bool stalled) {
  std::unique_ptr<Attempt> a = std::move(attempt_);
  ++result_.tried;
  const RunReport& report = a->run->report();
  const Schedule& schedule = a->run->schedule();
  const std::optional<Finding> why = a->abandoned ? std::nullopt : finding(*a->run, stalled);
  if (a->order == Order::OneAtATime && !reference_ && !why && !a->abandoned) {
    reference_ = report.result;
    result_.reference = report.result;
    reference_steps_ = schedule.steps.size();
    for (const Invariant& i : report.invariants)
      if (!i.ok) reference_failed_.insert(i.name);
  }
  if (why && (!result_.found || schedule.steps.size() < result_.steps)) {
    result_.found = true;
    result_.schedule = schedule;
    result_.steps = schedule.steps.size();
    result_.result = report.result;
    result_.why = why->why;
    result_.finding = why->facts;
    result_.deadlock = stalled ? a->run->deadlock() : report.deadlock;
  }
  if (shrinking_) {
    const std::size_t mid = shrink_lo_ + (shrink_hi_ - shrink_lo_) / 2;
    if (why) shrink_hi_ = mid;
    else shrink_lo_ = mid + 1;
  } else if (why && a->order != Order::OneAtATime) {
    // Shorten: the shortest prefix of this schedule that, taken one process at a time after it, still finds it.
    first_found_ = schedule.steps;
    shrinking_ = true;
    shrink_lo_ = 0;
    shrink_hi_ = schedule.steps.size();
  }
}

}  // namespace forkscope
