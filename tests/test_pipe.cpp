// Pipe and Connection across real processes: values both ways in order, recv blocking until data, EOFError only
// once every copy of the other end is closed, one-way pipes, closed ends, the trace's arrows, and the lesson.
#include <sys/socket.h>

#include <algorithm>

#include "test_support.hpp"

using namespace forkscope;
using forkscope::testing::CleanTest;
using forkscope::testing::test_lesson;
using forkscope::testing::InlineRun;
using forkscope::testing::run_lesson;

class PipeTest : public CleanTest {};

namespace {
// While stepping: whether `name`, blocked in `op`, is ready for a grant (what it waits for has come).
bool ready_for_a_grant(Run& run, std::string_view name, EventKind op) {
  run.poll();
  for (const HeldProcess& h : run.held())
    if (h.name == name && h.blocked && h.op == op) return h.ready;
  throw std::runtime_error(fmt::format("{} is not blocked in {}", name, to_string(op)));
}
}  // namespace

TEST_F(PipeTest, ValuesTravelBothWaysInOrder) {
  const std::string big(100'000, 'x');  // larger than one read: the frame is reassembled
  InlineRun run([&](LessonContext& lesson) {
    auto [conn1, conn2] = Pipe(true, "pipe");
    Process echo([=]() mutable {
      conn1.close();
      for (int i = 0; i < 5; ++i) conn2.send(conn2.recv());
    });
    echo.start();
    conn2.close();
    const std::vector<Value> sent = {None, 42, 2.5, "包子", big};
    for (const Value& v : sent) conn1.send(v);
    bool same = true;
    for (const Value& v : sent) same &= conn1.recv() == v;
    echo.join();
    lesson.result() = {{"same", same}};
  });
  EXPECT_TRUE(run.report().result["same"]);
  // Five arrows each way, every one from a send to its recv.
  for (const char* direction : {"pipe 1→2", "pipe 2→1"}) {
    const ObjectInfo* pipe = run.model().object_named(direction);
    ASSERT_NE(pipe, nullptr) << direction;
    EXPECT_EQ(pipe->puts, 5) << direction;
    EXPECT_EQ(pipe->gets, 5) << direction;
    EXPECT_EQ(pipe->value(), 0) << direction;  // nothing left in flight
    int complete = 0;
    for (const Flow& f : run.model().flows()) complete += f.object == pipe->id && f.complete() && f.put_ns <= f.get_ns;
    EXPECT_EQ(complete, 5) << direction;
  }
  EXPECT_EQ(run.report().lost_events, 0u);
}

TEST_F(PipeTest, RecvBlocksUntilASendArrives) {
  InlineRun run([](LessonContext&) {
    auto [conn1, conn2] = Pipe();
    Event at_recv("at recv");
    Process reader([=]() mutable {
      at_recv.set();
      print("got {}", conn2.recv());
    });
    reader.start();
    at_recv.wait();
    forkscope::sleep(0.3);  // the lesson's pause: the reader waits in recv() through it
    conn1.send("hello");
    reader.join();
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"got hello"}));
  const ProcessInfo& reader = run.process("Process-1");
  const auto blocked = std::find_if(reader.spans.begin(), reader.spans.end(),
                                    [](const StateSpan& s) { return s.state == ProcState::BlockedPipe; });
  ASSERT_NE(blocked, reader.spans.end());
  EXPECT_GE(static_cast<double>(blocked->end_ns - blocked->begin_ns), 0.2e9);
  const auto send = std::find_if(run.model().events().begin(), run.model().events().end(),
                                 [](const TraceEvent& e) { return e.kind == EventKind::PipeSend; });
  ASSERT_NE(send, run.model().events().end());
  EXPECT_GE(blocked->end_ns, static_cast<std::int64_t>(send->time));
}

// The pitfall Python has with fork: the reader's own inherited copy of the sending end keeps the pipe open.
TEST_F(PipeTest, EndOfFileComesOnlyOnceEveryCopyOfTheOtherEndIsClosed) {
  InlineRun run([](LessonContext&) {
    auto [conn1, conn2] = Pipe();
    Event main_closed("main closed");
    Process reader([=]() mutable {
      main_closed.wait();
      print("at EOF while our copy is open: {}", conn2.poll(0.3));
      conn1.close();  // our own copy of the sending end
      print("at EOF once it is closed: {}", conn2.poll(10));
      try {
        (void)conn2.recv();
      } catch (const EOFError& e) {
        print("{}", e.python_name());
      }
    });
    reader.start();
    conn1.close();
    main_closed.set();
    reader.join();
  });
  EXPECT_EQ(run.lines(), (std::vector<std::string>{"at EOF while our copy is open: false", "at EOF once it is closed: true",
                                                   "EOFError"}));
  int eof = 0;
  for (const TraceEvent& e : run.model().events()) eof += e.kind == EventKind::PipeRecv && e.phase == Phase::Fail;
  EXPECT_EQ(eof, 1);
}

TEST_F(PipeTest, AOneWayPipeReceivesOnItsFirstEndAndSendsOnItsSecond) {
  InlineRun run([](LessonContext& lesson) {
    auto [r, w] = Pipe(false, "one way");
    const auto refused = [](auto&& call) {
      try {
        call();
      } catch (const OSError& e) {
        return std::string(e.what());
      }
      return std::string("allowed");
    };
    lesson.result() = {{"r_send", refused([&] { r.send(1); })},
                       {"w_recv", refused([&] { (void)w.recv(); })},
                       {"w_poll", refused([&] { (void)w.poll(); })},
                       {"flags", {r.readable(), r.writable(), w.readable(), w.writable()}}};
    w.send(7);
    lesson.result()["received"] = r.recv().as_int();
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["r_send"], "connection is read-only");
  EXPECT_EQ(r["w_recv"], "connection is write-only");
  EXPECT_EQ(r["w_poll"], "connection is write-only");
  EXPECT_EQ(r["flags"], (nlohmann::json{true, false, false, true}));
  EXPECT_EQ(r["received"], 7);
  ASSERT_NE(run.model().object_named("one way"), nullptr);
  EXPECT_EQ(run.model().object_named("one way")->kind, ObjectKind::Pipe);
}

TEST_F(PipeTest, AClosedEndRefusesEveryCallAndSendingToAClosedReaderFails) {
  InlineRun run([](LessonContext& lesson) {
    auto [conn1, conn2] = Pipe();
    conn1.close();
    conn1.close();  // a second close does nothing
    std::vector<std::string> errors;
    for (const auto& call : std::vector<std::function<void()>>{[&] { conn1.send(1); }, [&] { (void)conn1.recv(); },
                                                               [&] { (void)conn1.poll(); }, [&] { (void)conn1.fileno(); },
                                                               [&] { conn2.send(1); }}) {
      try {
        call();
        errors.emplace_back("allowed");
      } catch (const OSError& e) {
        errors.emplace_back(e.what());
      }
    }
    lesson.result() = {{"errors", errors}, {"closed", conn1.closed()}, {"other_closed", conn2.closed()}};
  });
  const auto& r = run.report().result;
  EXPECT_EQ(r["errors"][0], "handle is closed");
  EXPECT_EQ(r["errors"][1], "handle is closed");
  EXPECT_EQ(r["errors"][2], "handle is closed");
  EXPECT_EQ(r["errors"][3], "handle is closed");
  EXPECT_EQ(r["errors"][4], "send on end 2 of Pipe 'pipe' failed: Broken pipe (EPIPE)");
  EXPECT_TRUE(r["closed"]);
  EXPECT_FALSE(r["other_closed"]);
}

TEST_F(PipeTest, PollSeesMessagesAndEndOfFileAndWaitsForItsTimeout) {
  InlineRun run([](LessonContext& lesson) {
    auto [conn1, conn2] = Pipe();
    const bool empty = conn2.poll();
    const double t0 = lesson_time();
    const bool timed = conn2.poll(0.2);
    const double waited = lesson_time() - t0;
    conn1.send("x");
    const bool message = conn2.poll();
    (void)conn2.recv();
    const bool drained = conn2.poll();
    conn1.close();
    const bool eof = conn2.poll();
    lesson.result() = {{"empty", empty}, {"timed", timed}, {"waited", waited}, {"message", message},
                       {"drained", drained}, {"eof", eof}};
  });
  const auto& r = run.report().result;
  EXPECT_FALSE(r["empty"]);
  EXPECT_FALSE(r["timed"]);
  EXPECT_GE(r["waited"].get<double>(), 0.19);
  EXPECT_TRUE(r["message"]);
  EXPECT_FALSE(r["drained"]);
  EXPECT_TRUE(r["eof"]);
  // On the timeline: every poll says what it returned; only the one with a timeout waited, blocked on the pipe.
  std::vector<std::int64_t> returned;
  int waited = 0;
  for (const TraceEvent& e : run.model().events()) {
    if (e.kind != EventKind::PipePoll) continue;
    if (e.phase == Phase::Want) ++waited;
    else returned.push_back(e.value);
  }
  EXPECT_EQ(returned, (std::vector<std::int64_t>{0, 0, 1, 0, 1}));
  EXPECT_EQ(waited, 1);
  const ProcessInfo& main = run.process("MainProcess");
  const auto blocked = std::ranges::find(main.spans, ProcState::BlockedPipe, &StateSpan::state);
  ASSERT_NE(blocked, main.spans.end());
  EXPECT_GE(blocked->end_ns - blocked->begin_ns, 190'000'000);
}

// While stepping, a reader blocked in recv() is ready for a grant only once a message, or the last close, came.
TEST_F(PipeTest, ASteppedReaderBecomesReadyOnSendAndOnClose) {
  Lesson lesson = test_lesson("stepped-pipe", [](LessonContext&) {
    auto [conn1, conn2] = Pipe();
    Process reader([=]() mutable {
      conn1.close();
      print("got {}", conn2.recv());
      try {
        (void)conn2.recv();
      } catch (const EOFError& e) {
        print("{}", e.python_name());
      }
    });
    reader.start();
    conn2.close();
    conn1.send("x");
    conn1.close();
    reader.join();
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  const auto reader_ready = [&] { return ready_for_a_grant(*run, "Process-1", EventKind::PipeRecv); };
  using forkscope::testing::step_process;
  step_process(*run, "MainProcess");  // start the reader
  step_process(*run, "Process-1");    // close its copy of conn1
  step_process(*run, "Process-1");    // recv(): nothing yet
  EXPECT_FALSE(reader_ready());
  step_process(*run, "MainProcess");  // close conn2
  step_process(*run, "MainProcess");  // send
  EXPECT_TRUE(reader_ready());
  step_process(*run, "Process-1");  // receives "x"
  step_process(*run, "Process-1");  // prints it
  step_process(*run, "Process-1");  // recv(): nothing yet, and conn1 still open in the main process
  EXPECT_FALSE(reader_ready());
  step_process(*run, "MainProcess");  // close conn1: the last copy
  EXPECT_TRUE(reader_ready());
  run->set_mode(GateMode::Run);
  run->wait(30);
  std::vector<std::string> lines;
  for (const PrintedLine& l : run->model().lines()) lines.emplace_back(l.text);
  EXPECT_EQ(lines, (std::vector<std::string>{"got x", "EOFError"}));
}

// poll() without a timeout waits like recv(): while stepping, it is ready for a grant once a message came.
TEST_F(PipeTest, ASteppedPollBecomesReadyOnSend) {
  Lesson lesson = test_lesson("stepped-poll", [](LessonContext&) {
    auto [conn1, conn2] = Pipe();
    Process reader([=]() mutable {
      conn1.close();
      print("poll {}", conn2.poll(std::nullopt));
    });
    reader.start();
    conn2.close();
    conn1.send("x");
    reader.join();
  });
  auto run = forkscope::testing::start_inline(lesson, {.start_stepping = true});
  const auto poll_ready = [&] { return ready_for_a_grant(*run, "Process-1", EventKind::PipePoll); };
  using forkscope::testing::step_process;
  step_process(*run, "MainProcess");  // start the reader
  step_process(*run, "Process-1");    // close its copy of conn1
  step_process(*run, "Process-1");    // poll(): nothing yet
  EXPECT_FALSE(poll_ready());
  step_process(*run, "MainProcess");  // close conn2
  step_process(*run, "MainProcess");  // send
  EXPECT_TRUE(poll_ready());
  run->set_mode(GateMode::Run);
  run->wait(30);
  ASSERT_EQ(run->model().lines().size(), 1u);
  EXPECT_EQ(run->model().lines().front().text, "poll true");
}

TEST_F(PipeTest, TheLessonReceivesEveryMessageThenEOFError) {
  auto run = run_lesson("pipe", {}, 50);
  const auto& r = run->report();
  EXPECT_TRUE(r.invariants_ok());
  EXPECT_EQ(r.result["received"], 2);
  EXPECT_EQ(r.result["eof_error"], true);
  std::vector<std::string> lines;
  for (const PrintedLine& l : run->model().lines()) lines.emplace_back(l.text);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "我是子进程, 来自主进程的消息: 小宝贝,你在哪"), lines.end());
}

TEST_F(PipeTest, TheLessonWithoutTheChildsCloseNeverSeesEOFError) {
  auto run = run_lesson("pipe", {"child_closes_copy=false", "messages=3"}, 50);
  const auto& r = run->report();
  EXPECT_TRUE(r.invariants_ok());
  EXPECT_EQ(r.result["received"], 3);
  EXPECT_EQ(r.result["eof_error"], false);
}

TEST_F(PipeTest, EveryKindOfValueCrossesUnchanged) {
  InlineRun run([](LessonContext& lesson) {
    auto [conn1, conn2] = Pipe(true, "pipe");
    const std::size_t count = forkscope::testing::sample_values().size();
    Process echo([=]() mutable {
      conn1.close();
      for (std::size_t i = 0; i < count; ++i) conn2.send(conn2.recv());
    });
    echo.start();
    conn2.close();
    for (const Value& v : forkscope::testing::sample_values()) conn1.send(v);
    std::vector<Value> got;
    for (std::size_t i = 0; i < count; ++i) got.push_back(conn1.recv());
    echo.join();
    lesson.result() = {{"reprs", forkscope::testing::reprs(got)}};
  });
  EXPECT_EQ(run.report().result["reprs"].get<std::vector<std::string>>(), forkscope::testing::sample_reprs());
}

namespace {
std::string count(std::uint32_t n) { return std::string(reinterpret_cast<const char*>(&n), sizeof n); }

// A frame as another process could write it on the socket: the length, then the sequence number (tag 1, an int)
// and `value`'s bytes in the wire format (core/src/primitives/wire.cpp: 3 str, 8 list, each count or length 4 bytes).
std::string raw_frame(const std::string& value) {
  std::string payload(1, '\x01');
  const std::int64_t seq = 1;
  payload.append(reinterpret_cast<const char*>(&seq), sizeof seq) += value;
  return count(static_cast<std::uint32_t>(payload.size())) + payload;
}

// Pieces appended in order (not with +: GCC 12 warns wrongly about "..." + std::string).
std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view p : parts) out += p;
  return out;
}
}  // namespace

// The reader decodes bytes another process wrote: a forged frame is an OSError, never a crash, a stack overflow
// or a gigabyte allocation, and the next frame is read normally.
TEST_F(PipeTest, AMalformedMessageIsAnOSError) {
  using namespace std::string_view_literals;
  InlineRun run([](LessonContext& lesson) {
    auto [reader, writer] = Pipe(false, "pipe");
    Process forger([=]() mutable {
      std::string deep;
      for (int i = 0; i < 100'000; ++i) deep += join({"\x08", count(1)});  // [[[[...]]]]: far deeper than 100
      const std::vector<std::string> frames = {
          join({"\x08", count(3), "\x01\0\0\0\0\0\0\0\0"sv}),  // a list of 3 that ends after one item
          join({deep, "\0"sv}),
          join({"\x03", count(0xFFFFFFFF), "abcd"}),                // a str of 4 GiB
          join({"\x08", count(0x7FFFFFFF), std::string(16, '\0')}),  // a list of 2 billion items
          join({"\x09", count(1), "\x08", count(0), "\0"sv}),       // a dict whose key is a list
          "\xC8",                                                    // no such tag
      };
      for (const std::string& f : frames) {
        const std::string bytes = raw_frame(f);
        if (::send(writer.fileno(), bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
          throw OSError("the forger could not send");
      }
      writer.send(Value::list({"still", "in", "step"}));
    });
    forger.start();
    writer.close();
    std::vector<std::string> errors;
    for (int i = 0; i < 6; ++i) {
      try {
        (void)reader.recv();
        errors.emplace_back("no error");
      } catch (const OSError& e) {
        errors.emplace_back(e.what());
      }
    }
    const Value after = reader.recv();
    forger.join();
    lesson.result() = {{"errors", errors}, {"after", after.repr()}};
  });
  const auto errors = run.report().result["errors"].get<std::vector<std::string>>();
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0], "a malformed message: it ends in the middle of a value");
  EXPECT_EQ(errors[1], "a malformed message: values nested deeper than 100");
  EXPECT_EQ(errors[2], "a malformed message: it ends in the middle of a value");
  EXPECT_EQ(errors[3], "a malformed message: 2147483647 items announced, 16 bytes left");
  EXPECT_EQ(errors[4], "a malformed message: a dict key that is not hashable");
  EXPECT_EQ(errors[5], "a malformed message: unknown value tag");
  EXPECT_EQ(run.report().result["after"], "['still', 'in', 'step']");
}
