include("${CMAKE_CURRENT_LIST_DIR}/ipcxTargets.cmake")
