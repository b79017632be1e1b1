# The Debian package (CPack DEB): `cpack -G DEB` in the build folder after a build writes
# accord_<version>_<arch>.deb from the install rules in cmake/ship.cmake. Depends is derived by
# dpkg-shlibdeps (package dpkg-dev) from the shared libraries the binary links, plus tzdata, which
# no library names: the runtime reads /usr/share/zoneinfo (runtime/tz.cc). tests/packaging/deb_test.sh
# builds it and installs it into a fresh root.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME accord)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Accord")
set(CPACK_PACKAGE_CONTACT "Accord maintainers <accord@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "compiler and runtime for Salesforce <-> HubSpot sync rules")
set(CPACK_PACKAGE_DESCRIPTION
    "Accord checks sync rules between Salesforce and HubSpot (.accord files) against the schemas of both CRMs, compiles them to native code with LLVM, and runs them against the APIs or jsonl data folders.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the RelWithDebInfo binary without its debug info
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # accord_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata")
# git: `accord diff REV1..REV2` reads revisions with git archive; graphviz: `accord graph --format svg`.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "git, graphviz")
include(CPack)
