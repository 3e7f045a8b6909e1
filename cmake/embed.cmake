# rcm_embed(OUT FILE...) — compile files into the binary.
#
# Generates OUT, a C file defining `rcm_embedded_files[]` (see
# include/rcm/embed.h): each entry has the path relative to the source root,
# the bytes (NUL-terminated for convenience) and the length. Regenerated when
# any input changes.
function(rcm_embed out)
  set(inputs ${ARGN})
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DROOT=${PROJECT_SOURCE_DIR}
            "-DINPUTS=${inputs}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${CMAKE_CURRENT_LIST_LENGTH} files"
    VERBATIM)
endfunction()
