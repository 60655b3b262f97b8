#include "forkscope/phrases.hpp"

#include <algorithm>

#include <fmt/args.h>
#include <fmt/format.h>

namespace forkscope {

namespace {

constexpr PhraseFormat kBook[] = {
    {"op.begin", "begins (parent {})", 1},
    {"op.begin_daemon", "begins (parent {}, daemon)", 1},
    {"op.end", "ends with exit code {}", 1},
    {"op.start", "start() -> {}", 1},
    {"op.join_want", "waits in join() for {}", 1},
    {"op.join_fail", "join() of {} timed out", 1},
    {"op.join", "joined {} (exit code {})", 2},
    {"op.terminate", "sends SIGTERM (terminate) to {}", 1},
    {"op.kill", "sends SIGKILL (kill) to {}", 1},
    {"op.signal", "sends signal {} to {}", 2},
    {"op.reaped", "reaped {}: exit code {}", 2},
    {"op.reaped_signal", "reaped {}: killed by signal {}", 2},
    {"op.create", "creates {}", 1},
    {"op.acquire_want", "waits to acquire {}", 1},
    {"op.acquire_fail", "could not acquire {}", 1},
    {"op.acquire", "acquired {}", 1},
    {"op.release", "released {}", 1},
    {"op.recovered", "recovered {}: its holder (pid {}) died holding it", 2},
    {"op.sem_want", "waits on {}", 1},
    {"op.sem_acquire", "acquired {} (value now {})", 2},
    {"op.sem_release", "released {} (value now {})", 2},
    {"op.event_want", "waits for {}", 1},
    {"op.event_wait", "wait() on {} returned {}", 2},
    {"op.event_set", "set {}", 1},
    {"op.event_clear", "cleared {}", 1},
    {"op.put_want", "waits to put into {} (full)", 1},
    {"op.put_fail", "put into {} failed: queue.Full", 1},
    {"op.put", "put item #{} into {} (depth {})", 3},
    {"op.get_want", "waits to get from {} (empty)", 1},
    {"op.get_fail", "get from {} failed: queue.Empty", 1},
    {"op.get", "got item #{} from {} (depth {})", 3},
    {"op.task_done", "task_done() on {} ({} unfinished)", 2},
    {"op.queue_join_want", "waits in join() of {}", 1},
    {"op.queue_join", "join() of {} returned", 1},
    {"op.counter", "{} = {}", 2},
    {"op.sleep", "sleeps {} s", 1},
    {"op.wake", "wakes up", 0},
    {"op.held", "held at the gate before {}", 1},
    {"op.granted", "granted a step", 0},
    {"op.print", "prints: {}", 1},
    {"op.error", "raised {}", 1},
    {"op.mark", "{}", 1},
    {"op.result", "result {}", 1},
    {"op.task_begin", "starts task {}", 1},
    {"op.task_end", "task done", 0},
    {"op.task_raised", "task raised", 0},
    {"op.send", "sent message #{} into {}", 2},
    {"op.recv_want", "waits in recv() on {}", 1},
    {"op.recv_eof", "recv() on {} raised EOFError: the other end is closed", 1},
    {"op.recv", "received message #{} from {}", 2},
    {"op.close", "closed {}", 1},
    {"op.poll_want", "waits in poll() on {}", 1},
    {"op.poll", "poll() on {} returned {}", 2},
    {"op.call_want", "asks the manager: {}", 1},
    {"op.call_fail", "got no reply: the manager is gone", 0},
    {"op.call", "got the manager's reply", 0},
    {"op.serve_want", "{} waits for a request", 1},
    {"op.serve", "serves {} for pid {}", 2},
    {"op.condition_want", "waits on {}", 1},
    {"op.condition_fail", "wait() on {} timed out", 1},
    {"op.condition", "was notified on {}", 1},
    {"op.notify", "notified {} waiter(s) of {}", 2},
    {"op.ready", "ready: waits for a CPU", 0},
    {"op.running_again", "runs again", 0},
    {"op.line", "at line {}", 1},
    {"op.accept_want", "waits in accept() for a connection", 0},
    {"op.recv_socket_want", "waits in recv() on a socket", 0},
    {"op.connect_want", "connects a socket", 0},
    {"op.send_socket_want", "waits to send on a socket", 0},
    {"op.socket_ready", "the socket can go on", 0},
    {"op.result_want", "waits in AsyncResult.get() of {}", 1},
    {"op.result_timeout", "AsyncResult.get() of {} timed out", 1},
    {"op.result_got", "got a result of {}", 1},
    {"op.mpi_to_want", "in {} to rank {}", 2},
    {"op.mpi_from_want", "in {}, waiting for rank {}", 2},
    {"op.mpi_all_want", "in {} with every rank", 1},
    {"op.mpi_returned", "{} returned", 1},
    {"op.mpi_sent", "sent message {} on {} ({} bytes)", 3},
    {"op.mpi_received", "received message {} on {} ({} bytes)", 3},
    // What a lesson is there to show, when a run showed it (Lesson::point): the banner's sentence.
    {"point.oversold", "RACE: {} sold, {} tickets", 2},
    {"point.lost_sales", "RACE: {} sold, the file counts {}", 2},
    {"point.lost_updates", "RACE: {} of {} decrements lost", 2},
    {"point.deadlock", "DEADLOCK: {} processes, each waiting for the next", 1},
    {"point.extra_release_caught", "ValueError: the extra release was caught, {} spaces stay {}", 2},
    {"point.extra_release_counted", "BUG: the extra release went through, {} spaces now count {}", 2},
    {"point.isolated", "ISOLATED: the child's x = {}, the parent's x = {}", 2},
    {"op.unknown", "{}", 1},
};

}  // namespace

std::span<const PhraseFormat> phrase_book() { return kBook; }

const PhraseFormat* find_phrase(std::string_view key) {
  const auto* it = std::ranges::find(kBook, key, &PhraseFormat::key);
  return it == std::end(kBook) ? nullptr : it;
}

namespace {

// fmt ignores unused arguments, so a sentence is checked first: it must use each argument exactly once, either in
// order ("{} {}") or by index ("{1} {0}", for languages that put things the other way round).
bool uses_each_argument_once(std::string_view format, std::size_t args) {
  std::size_t in_order = 0;
  std::vector<int> by_index(args, 0);
  for (std::size_t at = 0; at < format.size(); ++at) {
    if (format[at] != '{') continue;
    if (at + 1 < format.size() && format[at + 1] == '{') {
      ++at;  // "{{" is a brace
      continue;
    }
    const std::size_t close = format.find('}', at);
    if (close == std::string_view::npos) return false;
    const std::string_view field = format.substr(at + 1, close - at - 1);
    if (field.empty()) {
      ++in_order;
    } else {
      std::size_t index = 0;
      for (char c : field) {
        if (c < '0' || c > '9') return false;
        index = index * 10 + static_cast<std::size_t>(c - '0');
      }
      if (index >= args) return false;
      ++by_index[index];
    }
    at = close;
  }
  if (in_order > 0) return in_order == args && std::ranges::count(by_index, 0) == static_cast<std::ptrdiff_t>(args);
  return std::ranges::all_of(by_index, [](int uses) { return uses == 1; });
}

}  // namespace

std::optional<std::string> fill(std::string_view format, const Phrase& phrase) {
  if (!uses_each_argument_once(format, phrase.args.size())) return std::nullopt;
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  for (const std::string& arg : phrase.args) store.push_back(std::cref(arg));
  try {
    return fmt::vformat(format, store);
  } catch (const fmt::format_error&) {
    return std::nullopt;
  }
}

std::string english(const Phrase& phrase) {
  const PhraseFormat* format = find_phrase(phrase.key);
  return format ? fill(format->english, phrase).value_or(std::string(phrase.key)) : std::string(phrase.key);
}

}  // namespace forkscope
