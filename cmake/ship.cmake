# Shipping Accord (issue 20): the git revision in `accord --version`, the man pages and shell
# completions generated from the CLI definition, `cmake --install` rules (GNUInstallDirs), the
# Debian package (CPack DEB) and their tests. Included at the end of the top-level CMakeLists.txt.
include(GNUInstallDirs)
# `ninja install` and cpack install what is built and never rebuild "all" first: deb_test runs cpack
# while other tests run the binary, and `make install` / `make deb` build before installing anyway.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# ---- `accord --version`: the source tree's git revision, refreshed at every build ----
set(ACCORD_GIT_REVISION "" CACHE STRING "git revision for `accord --version` (empty: ask git at build time)")
set(ACCORD_REVISION_CC ${CMAKE_BINARY_DIR}/generated/revision.cc)
add_custom_target(accord_revision
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUT=${ACCORD_REVISION_CC}
          -DREVISION=${ACCORD_GIT_REVISION} -P ${CMAKE_SOURCE_DIR}/cmake/git_revision.cmake
  BYPRODUCTS ${ACCORD_REVISION_CC}
  COMMENT "git revision for accord --version")
target_sources(accord PRIVATE cli/docgen.cc ${ACCORD_REVISION_CC})
add_dependencies(accord accord_revision)

# ---- man pages and completions: written by the built accord from its own CLI definition ----
set(ACCORD_SHARE_DIR ${CMAKE_BINARY_DIR}/share)
add_custom_command(
  OUTPUT ${ACCORD_SHARE_DIR}/stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${ACCORD_SHARE_DIR}/man1 ${ACCORD_SHARE_DIR}/completions
  COMMAND ${CMAKE_COMMAND} -E make_directory ${ACCORD_SHARE_DIR}/man1 ${ACCORD_SHARE_DIR}/completions
  COMMAND $<TARGET_FILE:accord> __man ${ACCORD_SHARE_DIR}/man1
  COMMAND $<TARGET_FILE:accord> __completions bash ${ACCORD_SHARE_DIR}/completions/accord
  COMMAND $<TARGET_FILE:accord> __completions zsh ${ACCORD_SHARE_DIR}/completions/_accord
  COMMAND $<TARGET_FILE:accord> __completions fish ${ACCORD_SHARE_DIR}/completions/accord.fish
  COMMAND ${CMAKE_COMMAND} -E touch ${ACCORD_SHARE_DIR}/stamp
  DEPENDS accord
  COMMENT "Generating the man pages and shell completions")
add_custom_target(accord_man_completions ALL DEPENDS ${ACCORD_SHARE_DIR}/stamp)

# ---- cmake --install (make install PREFIX=...) ----
install(TARGETS accord RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${ACCORD_SHARE_DIR}/man1/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${ACCORD_SHARE_DIR}/completions/accord DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${ACCORD_SHARE_DIR}/completions/_accord DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${ACCORD_SHARE_DIR}/completions/accord.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
# The docs: the stdlib reference (docs/stdlib.md, generated from stdlib/functions.def), the language,
# diagnostics and the rest; `accord functions` prints the same stdlib docs from the binary itself.
file(GLOB ACCORD_DOCS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${ACCORD_DOCS} ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The VS Code extension's TextMate grammar and language configuration, for editors that load them.
install(FILES ${CMAKE_SOURCE_DIR}/editors/vscode/syntaxes/accord.tmLanguage.json
              ${CMAKE_SOURCE_DIR}/editors/vscode/language-configuration.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/accord/textmate)

include(${CMAKE_CURRENT_LIST_DIR}/package.cmake)

# ---- tests: each runs the installed or packaged files only (tests/packaging/) ----
if(ACCORD_TESTS)
  set(ACCORD_PACKAGING_TESTS ${CMAKE_SOURCE_DIR}/tests/packaging)
  add_test(NAME version_test
           COMMAND bash ${ACCORD_PACKAGING_TESTS}/version_test.sh $<TARGET_FILE:accord> ${CMAKE_SOURCE_DIR}
                   ${PROJECT_VERSION})
  add_test(NAME cli_docs_test
           COMMAND python3 ${ACCORD_PACKAGING_TESTS}/cli_docs_test.py $<TARGET_FILE:accord> ${ACCORD_SHARE_DIR})
  add_test(NAME install_test
           COMMAND bash ${ACCORD_PACKAGING_TESTS}/install_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
  add_test(NAME deb_test COMMAND bash ${ACCORD_PACKAGING_TESTS}/deb_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
  set_tests_properties(deb_test PROPERTIES TIMEOUT 600)
  # docs/ci.md's sh blocks and workflow, and action.yml's steps, run against a local git repository.
  add_test(NAME ci_docs_test
           COMMAND python3 ${ACCORD_PACKAGING_TESTS}/ci_docs_test.py $<TARGET_FILE:accord> ${CMAKE_SOURCE_DIR})
  # The Dockerfile, checked without Docker (structure, COPY sources, the runtime stage installs the .deb).
  add_test(NAME dockerfile_test COMMAND python3 ${ACCORD_PACKAGING_TESTS}/dockerfile_test.py ${CMAKE_SOURCE_DIR})
  # The VS Code extension through `vsce package` (npm ci in editors/vscode; skipped, exit 77, without npm).
  add_test(NAME vscode_package_test COMMAND bash ${ACCORD_PACKAGING_TESTS}/vscode_package_test.sh ${CMAKE_SOURCE_DIR})
  set_tests_properties(vscode_package_test PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
