# The command line's sources but main.cpp: built into `nadb` and into the CLI fuzz target.
set(NADB_CLI_SOURCES execute.cpp key_commands.cpp maintenance_commands.cpp backup_commands.cpp
                     bench_command.cpp check_commands.cpp shell.cpp store_session.cpp temp_files.cpp
                     progress_bar.cpp)
list(TRANSFORM NADB_CLI_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
