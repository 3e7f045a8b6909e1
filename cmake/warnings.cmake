# Warning set for project targets (not for generated or third-party code).
function(rcm_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wpointer-arith -Wcast-qual -Wwrite-strings
    -Wnull-dereference -Wundef -Wimplicit-fallthrough)
  if(RCM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
