# dlake_add_library / dlake_add_test / dlake_add_benchmark: one place for warnings, sanitizers
# and include paths.

set(DLAKE_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-missing-field-initializers
  -Wno-maybe-uninitialized)
if(DLAKE_WERROR)
  list(APPEND DLAKE_WARNINGS -Werror)
endif()

if(DLAKE_SANITIZE)
  add_compile_options(-fsanitize=${DLAKE_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${DLAKE_SANITIZE})
endif()

function(dlake_target_defaults target)
  target_compile_options(${target} PRIVATE ${DLAKE_WARNINGS})
endfunction()

# dlake_add_module(NAME SRCS ... [DEPS ...] [PRIVATE_DEPS ...] [PUBLIC_HEADERS ...]): the static
# library dlake_<NAME> built from src/<NAME>/. Its code sees only its own headers and those of
# the modules in DEPS (and theirs): each module's private headers (src/<NAME>/*.h, included as
# "<NAME>/x.h") and public headers (include/dlake/<NAME>/, or the PUBLIC_HEADERS files of
# include/dlake/) are put on the include path through a folder of their own in the build tree,
# so an include of a module the target does not depend on fails the build.
function(dlake_add_module name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS;PUBLIC_HEADERS" ${ARGN})
  set(target dlake_${name})
  set(private_root ${PROJECT_BINARY_DIR}/module-include/${name}/src)
  set(public_root ${PROJECT_BINARY_DIR}/module-include/${name}/public)
  file(MAKE_DIRECTORY ${private_root} ${public_root}/dlake)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${name} ${private_root}/${name} SYMBOLIC)
  if(EXISTS ${PROJECT_SOURCE_DIR}/include/dlake/${name})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/dlake/${name} ${public_root}/dlake/${name}
         SYMBOLIC)
  endif()
  foreach(header ${ARG_PUBLIC_HEADERS})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/dlake/${header} ${public_root}/dlake/${header}
         SYMBOLIC)
  endforeach()
  add_library(${target} STATIC ${ARG_SRCS})
  dlake_target_defaults(${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${private_root}> $<BUILD_INTERFACE:${public_root}>)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_property(GLOBAL APPEND PROPERTY DLAKE_MODULES ${target})
endfunction()

# dlake_add_library(NAME SRCS ... DEPS ...): a helper library outside the modules (benchmarks).
function(dlake_add_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} ${ARG_SRCS})
  dlake_target_defaults(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# dlake_add_test(NAME SRCS ... DEPS ... [LABELS ...]): a GoogleTest binary registered with CTest.
function(dlake_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SRCS})
  dlake_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} dlake_testing GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    DLAKE_SHARED_DIR="${DLAKE_SHARED_DIR}"
    DLAKE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    DLAKE_BINARY="$<TARGET_FILE:dlake>")
  add_dependencies(${name} dlake)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# dlake_add_benchmark(NAME SRCS ... DEPS ...): a program that prints its figures and ratios.
function(dlake_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  dlake_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()
