# Derives the packaged /etc/sluice files from the samples in configs/, so both stay in step:
#   sluice.ini:   configs/sluice.ini with pidfile, logfile and unix_socket_dir set for a service
#                 (the directories the systemd unit and tmpfiles entry create);
#   userlist.txt: configs/userlist.txt with its example users commented out (a package must not
#                 ship working passwords).
# Called from packaging/CMakeLists.txt with SRC (the configs/ folder) and OUT (output folder).
function(sluice_packaged_config src out)
  file(READ "${src}/sluice.ini" ini)
  foreach(pair "logfile|/var/log/sluice/sluice.log" "pidfile|/run/sluice/sluice.pid"
               "unix_socket_dir|/run/sluice")
    string(REPLACE "|" ";" kv "${pair}")
    list(GET kv 0 key)
    list(GET kv 1 value)
    string(REGEX MATCH "\n;${key} =[^\n]*" found "${ini}")
    if(NOT found)
      message(FATAL_ERROR "configs/sluice.ini has no commented '${key} =' line to set")
    endif()
    string(REPLACE "${found}" "\n${key} = ${value}" ini "${ini}")
  endforeach()
  set(header "; Packaged sluice configuration: configs/sluice.ini with pidfile, logfile and\n")
  string(APPEND header "; unix_socket_dir set for the systemd service (see man sluice).\n;\n")
  file(WRITE "${out}/sluice.ini" "${header}${ini}")

  file(READ "${src}/userlist.txt" users)
  string(REGEX REPLACE "(^|\n)\"" "\\1;\"" users "${users}")
  string(REPLACE "; These are EXAMPLES - replace them."
                 "; The examples below are commented out: add your own users." users "${users}")
  file(WRITE "${out}/userlist.txt" "${users}")
endfunction()
