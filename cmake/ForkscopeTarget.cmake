# One place for warnings and sanitizers, applied to every Forkscope target.
set(FORKSCOPE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")

function(forkscope_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                                           -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
                                           -Wno-missing-field-initializers)  # designated initializers leave the rest defaulted, on purpose
  # Resolve every symbol at start: otherwise each forked lesson process resolves the calls only it makes, again.
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_link_options(${target} PRIVATE -Wl,-z,now)
  endif()
  if(FORKSCOPE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${FORKSCOPE_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${FORKSCOPE_SANITIZE})
  endif()
endfunction()
