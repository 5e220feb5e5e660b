# Every external dependency, found once, as imported targets. Package names: scripts/install-deps.sh.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(OpenSSL 3 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(pugixml REQUIRED)
find_package(CURL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
pkg_check_modules(LDAP REQUIRED IMPORTED_TARGET ldap lber)
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)

# mimetic ships neither a CMake config nor a .pc file.
find_path(MIMETIC_INCLUDE_DIR mimetic/mimetic.h REQUIRED)
find_library(MIMETIC_LIBRARY mimetic REQUIRED)
add_library(mimetic::mimetic UNKNOWN IMPORTED)
set_target_properties(mimetic::mimetic PROPERTIES IMPORTED_LOCATION "${MIMETIC_LIBRARY}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${MIMETIC_INCLUDE_DIR}")

# Boost.Asio with C++20 coroutines (deps.md §1): no deprecated API; clang needs co_await forced on.
add_library(mssgw_asio INTERFACE)
target_link_libraries(mssgw_asio INTERFACE Boost::headers Boost::system OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(mssgw_asio INTERFACE BOOST_ASIO_NO_DEPRECATED)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_definitions(mssgw_asio INTERFACE BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
endif()
