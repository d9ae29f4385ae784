# Runs `weft-bench --quick --json JSON` and checks the JSON: every scenario is
# there, with workflows > 0 and the fields its kind of row must have.
# cmake -DBENCH=<weft-bench> -DHOME=<dir> -DJSON=<file> -P check_quick.cmake
file(REMOVE "${JSON}")
execute_process(COMMAND "${BENCH}" --quick --home "${HOME}" --json "${JSON}" RESULT_VARIABLE exit_code)
if(NOT exit_code EQUAL 0)
  message(FATAL_ERROR "weft-bench --quick exited with ${exit_code}")
endif()
if(NOT EXISTS "${JSON}")
  message(FATAL_ERROR "weft-bench wrote no ${JSON}")
endif()
file(READ "${JSON}" document)

foreach(key cpu_model cores postgres_version date)
  string(JSON value ERROR_VARIABLE missing GET "${document}" machine ${key})
  if(missing OR value STREQUAL "")
    message(FATAL_ERROR "machine.${key} is missing")
  endif()
endforeach()

# name -> the fields that must be numbers > 0 (the others may be null).
set(rows
  "order-3@1|seconds,workflows_per_second,p50_ms,p99_ms,host_cpu_ms_per_workflow,write_txns_per_workflow,rss_mb,baseline_workflows_per_second"
  "baseline@1|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow"
  "order-3@50|seconds,workflows_per_second,p50_ms,p99_ms,host_cpu_ms_per_workflow,write_txns_per_workflow,rss_mb,baseline_workflows_per_second"
  "baseline@50|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow"
  "noop-3|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow,rss_mb"
  "fan-out|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow,rss_mb"
  "saga|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow,rss_mb"
  "waiting|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow,rss_mb"
  "cold-start|seconds,p50_ms,p99_ms,rss_mb"
  "tx-step@1|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow,rss_mb,baseline_workflows_per_second"
  "tx-raw@1|seconds,workflows_per_second,p50_ms,p99_ms,write_txns_per_workflow"
  "http-intake@50|seconds,workflows_per_second,p50_ms,p99_ms,host_cpu_ms_per_workflow,rss_mb,baseline_workflows_per_second"
  "order-3@50+http|seconds,workflows_per_second,p50_ms,p99_ms,host_cpu_ms_per_workflow,write_txns_per_workflow,rss_mb"
  "order-3@50+streams|seconds,workflows_per_second,p50_ms,p99_ms,host_cpu_ms_per_workflow,write_txns_per_workflow,rss_mb"
  "order-3@50+otlp|seconds,workflows_per_second,p50_ms,p99_ms,host_cpu_ms_per_workflow,write_txns_per_workflow,rss_mb"
  "order-3@50+firehose|seconds,workflows_per_second,p50_ms,p99_ms,host_cpu_ms_per_workflow,write_txns_per_workflow,rss_mb")
set(all_fields name workflows seconds workflows_per_second p50_ms p99_ms host_cpu_ms_per_workflow
    write_txns_per_workflow rss_mb baseline_workflows_per_second)

string(JSON count LENGTH "${document}" scenarios)
foreach(row IN LISTS rows)
  string(REPLACE "|" ";" parts "${row}")
  list(GET parts 0 name)
  list(GET parts 1 required)
  string(REPLACE "," ";" required "${required}")
  set(found -1)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON candidate GET "${document}" scenarios ${i} name)
    if(candidate STREQUAL name)
      set(found ${i})
    endif()
  endforeach()
  if(found EQUAL -1)
    message(FATAL_ERROR "scenario ${name} is missing from ${JSON}")
  endif()
  foreach(field IN LISTS all_fields)
    string(JSON type ERROR_VARIABLE missing TYPE "${document}" scenarios ${found} ${field})
    if(missing)
      message(FATAL_ERROR "${name}: field ${field} is missing")
    endif()
  endforeach()
  string(JSON workflows GET "${document}" scenarios ${found} workflows)
  if(NOT workflows GREATER 0)
    message(FATAL_ERROR "${name}: workflows is ${workflows}, expected > 0")
  endif()
  foreach(field IN LISTS required)
    string(JSON type TYPE "${document}" scenarios ${found} ${field})
    string(JSON value GET "${document}" scenarios ${found} ${field})
    if(NOT type STREQUAL "NUMBER" OR NOT value GREATER 0)
      message(FATAL_ERROR "${name}: ${field} is ${value} (${type}), expected a number > 0")
    endif()
  endforeach()
endforeach()
message(STATUS "weft-bench --quick: ${count} scenarios, all fields sane")
