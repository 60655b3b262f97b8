# One place for warnings and sanitizers, applied to every Forkscope target.
set(FORKSCOPE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")

# forkscope_target(target [TEST]): a test is compiled without UndefinedBehaviorSanitizer's checks, which are there for
# the code under test (it keeps them) and in a test's own code only doubled the sanitizer build's compile time; it
# still links every runtime.
function(forkscope_target target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "TEST" "" "")
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                                           -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
                                           -Wno-missing-field-initializers)  # designated initializers leave the rest defaulted, on purpose
  # Resolve every symbol at start: otherwise each forked lesson process resolves the calls only it makes, again.
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_link_options(${target} PRIVATE -Wl,-z,now)
  endif()
  if(FORKSCOPE_SANITIZE)
    set(compiled "${FORKSCOPE_SANITIZE}")
    if(arg_TEST)
      string(REPLACE "," ";" compiled "${compiled}")
      list(REMOVE_ITEM compiled undefined)
      list(JOIN compiled "," compiled)
    endif()
    if(compiled)
      target_compile_options(${target} PRIVATE -fsanitize=${compiled})
    endif()
    target_compile_options(${target} PRIVATE -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${FORKSCOPE_SANITIZE})
  endif()
endfunction()
