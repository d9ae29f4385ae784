# weft_add_plugin(<name> <source>...): builds libweft_<name>.so, a plugin the
# host loads from its plugins directory (target weft_plugin_<name>).
# Symbols are hidden (only the ABI descriptor is exported) so plugins cannot
# shadow each other's or the host's symbols, and GCC's "unique" symbols are
# off so a replaced plugin really unloads.
function(weft_add_plugin name)
  if(NOT name MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "weft_add_plugin: '${name}' must be lower-case letters, digits and '_'")
  endif()
  set(sources ${ARGN})
  list(REMOVE_ITEM sources SOURCES)
  if(NOT sources)
    message(FATAL_ERROR "weft_add_plugin(${name}): no source files")
  endif()
  set(target weft_plugin_${name})
  add_library(${target} MODULE ${sources})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "weft_${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE weft::sdk)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -fno-gnu-unique)
  endif()
  # A plugin must not leave symbols for the host to resolve at load time.
  target_link_options(${target} PRIVATE "LINKER:--no-undefined")
endfunction()
