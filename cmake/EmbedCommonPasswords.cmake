# Embeds John the Ripper's common-password list (Debian's john-data package,
# /usr/share/john/password.lst) into the binary as one raw string literal, so the password policy
# needs no data file at run time. Comment lines (#!comment) are skipped when the list is parsed.
set(MOLVAULT_COMMON_PASSWORDS_FILE /usr/share/john/password.lst
    CACHE FILEPATH "Common-password list embedded into the binary (Debian package john-data)")

function(embed_common_passwords output)
    if(NOT EXISTS ${MOLVAULT_COMMON_PASSWORDS_FILE})
        message(FATAL_ERROR
            "${MOLVAULT_COMMON_PASSWORDS_FILE} is missing: install john-data "
            "(scripts/install-deps.sh) or set MOLVAULT_COMMON_PASSWORDS_FILE")
    endif()
    add_custom_command(
        OUTPUT ${output}
        COMMAND ${CMAKE_COMMAND} -DINPUT=${MOLVAULT_COMMON_PASSWORDS_FILE} -DOUTPUT=${output}
                -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/GenerateCommonPasswords.cmake
        DEPENDS ${MOLVAULT_COMMON_PASSWORDS_FILE}
                ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/GenerateCommonPasswords.cmake
        COMMENT "Embedding the common-password list")
endfunction()
