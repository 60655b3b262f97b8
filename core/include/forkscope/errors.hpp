// Errors a lesson sees, named like the Python exceptions they mirror, and the errors a viewer reports.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace forkscope {

// Raised inside lesson code. python_name() is what a student would see in a Python traceback.
class LessonError : public std::runtime_error {
 public:
  LessonError(std::string_view python_name, const std::string& message)
      : std::runtime_error(message), python_name_(python_name) {}
  [[nodiscard]] std::string_view python_name() const { return python_name_; }

 private:
  std::string_view python_name_;
};

// Python's Exception: the base of every error below, so `catch (const forkscope::Exception&)` reads like
// `except Exception:`. A task's or manager's error of a type Forkscope does not know re-raises as an Exception that
// keeps the type's name in python_name() (the name must outlive the exception: a literal, or an interned string).
class Exception : public LessonError {
 public:
  explicit Exception(const std::string& message = {}, std::string_view python_name = "Exception")
      : LessonError(python_name, message) {}
};

#define FORKSCOPE_LESSON_ERROR(Type, PythonName)                                        \
  class Type : public Exception {                                                       \
   public:                                                                              \
    explicit Type(const std::string& message = {}) : Exception(message, PythonName) {} \
  }

FORKSCOPE_LESSON_ERROR(Full, "queue.Full");
FORKSCOPE_LESSON_ERROR(Empty, "queue.Empty");
FORKSCOPE_LESSON_ERROR(ValueError, "ValueError");
FORKSCOPE_LESSON_ERROR(AssertionError, "AssertionError");
FORKSCOPE_LESSON_ERROR(TimeoutError, "multiprocessing.TimeoutError");
FORKSCOPE_LESSON_ERROR(EOFError, "EOFError");
FORKSCOPE_LESSON_ERROR(RuntimeError, "RuntimeError");
FORKSCOPE_LESSON_ERROR(OSError, "OSError");    // a pipe or connection refused the call (closed, read-only, EPIPE)
FORKSCOPE_LESSON_ERROR(KeyError, "KeyError");  // a missing key of a manager's dict
FORKSCOPE_LESSON_ERROR(IndexError, "IndexError");  // an index past the end of a list or tuple
FORKSCOPE_LESSON_ERROR(TypeError, "TypeError");    // a value of the wrong type: int([1]), an unhashable key
FORKSCOPE_LESSON_ERROR(ZeroDivisionError, "ZeroDivisionError");
FORKSCOPE_LESSON_ERROR(AttributeError, "AttributeError");  // a missing attribute of a manager's Namespace
FORKSCOPE_LESSON_ERROR(ForkError, "BlockingIOError");  // fork() refused by the system
#undef FORKSCOPE_LESSON_ERROR

// Python's SystemExit, thrown by forkscope::exit(code) (lesson_api.hpp). Like Python's, it is not an Exception:
// `catch (const forkscope::Exception&)` lets it pass, and when it ends a process's body that process exits with
// `code` and prints nothing.
class SystemExit {
 public:
  explicit SystemExit(int code) : code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

// Re-raises an error that crossed from another process (a pool task, a manager call) as the class its type name
// says ("KeyError" -> KeyError), or as an Exception keeping that name when Forkscope has no class for it.
[[noreturn]] void raise_python_error(std::string_view type, const std::string& message);

// Raised to a viewer. UsageError: the user asked for something invalid (exit code 2).
// SystemFailure: the machine refused (fork, shared memory, ...): exit code 3.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class SystemFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "fork for Process-3 failed: Resource temporarily unavailable (EAGAIN)". Call with errno saved right after the call.
[[nodiscard]] std::string describe_errno(std::string_view what, int saved_errno);
[[noreturn]] void throw_system(std::string_view what, int saved_errno);

}  // namespace forkscope
