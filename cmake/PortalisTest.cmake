# portalis_optional_test(NAME NEEDS "VAR;VAR..." WHY "reason" LABELS l TIMEOUT s COMMAND cmd...)
#   Adds test NAME running COMMAND when every variable in NEEDS is true (an
#   empty NEEDS always is). Otherwise the test still exists and reports
#   "skipped: WHY" with CTest's skip code, so a machine without a toolchain
#   shows a skipped test in the summary, never a silently smaller suite.
include_guard(GLOBAL)

function(portalis_optional_test name)
  cmake_parse_arguments(A "" "WHY;TIMEOUT" "NEEDS;LABELS;COMMAND" ${ARGN})
  set(ok TRUE)
  foreach(v ${A_NEEDS})
    if(NOT ${v})
      set(ok FALSE)
    endif()
  endforeach()
  if(ok)
    add_test(NAME ${name} COMMAND ${A_COMMAND})
  else()
    add_test(NAME ${name} COMMAND sh -c "echo 'skipped: ${A_WHY} (bash scripts/deps.sh)'; exit 77")
    set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT})
endfunction()
