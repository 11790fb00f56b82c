# Embeds every src/db/migrations/<backend>/NNNN_name.{up,down}.sql file into the binary as a
# table of raw string literals, so that `molvault migrate` needs no files at run time.
function(embed_migrations source_dir output)
    file(GLOB_RECURSE migration_files CONFIGURE_DEPENDS ${source_dir}/*.sql)
    add_custom_command(
        OUTPUT ${output}
        COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${source_dir} -DOUTPUT=${output}
                -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/GenerateMigrations.cmake
        DEPENDS ${migration_files} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/GenerateMigrations.cmake
        COMMENT "Embedding SQL migrations")
endfunction()
