# syntax=docker/dockerfile:1
# Accord in a container: `docker build -t accord .` then `docker run --rm -v "$PWD/rules:/rules:ro" accord check /rules`.
# Build stage: Debian 12 with the project's own scripts/install-deps, a Release build without the tests,
# and the Debian package from CPack (cmake/package.cmake). Runtime stage: debian:12-slim plus that
# package, so apt installs exactly the Depends dpkg-shlibdeps derived from the binary's libraries.
# Checked without Docker by tests/packaging/dockerfile_test.py (see README "Install").

FROM debian:12 AS build
ARG ACCORD_GIT_REVISION=unknown
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DACCORD_TESTS=OFF \
      -DACCORD_GIT_REVISION="${ACCORD_GIT_REVISION}" -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
 && cmake --build /build -j "$(nproc)" --target accord accord_man_completions \
 && cd /build && cpack -G DEB && mv accord_*.deb /accord.deb

FROM debian:12-slim AS runtime
COPY --from=build /accord.deb /tmp/accord.deb
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/accord.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/accord.deb \
 && useradd --create-home --uid 10001 --user-group accord
USER accord
WORKDIR /home/accord
ENV ACCORD_JIT_CACHE=/home/accord/.cache/accord/jit
ENTRYPOINT ["accord"]
CMD ["--help"]
