#!/usr/bin/env bash
# Writes simdjson's On-Demand front end for the haswell (AVX2) kernel to stdout, taken from the
# amalgamated simdjson.h given as $1 (default /usr/include/simdjson.h): the builtin On-Demand
# section with its namespace renamed to `haswell`, inside SIMDJSON_TARGET_HASWELL, so that one
# binary holds both the fallback and the haswell front end and picks one at run time. Checked
# against simdjson 3.0.1 (Debian 12); it fails when the markers it cuts at are missing.
# Two edits make the copy compile beside the builtin one: the shared simdjson::trim is left out
# (already defined), and `field`'s std::pair base becomes a local pair type (std::pair's
# constructors are not in the target region and could not inline the haswell constructors).
set -euo pipefail
H=${1:-/usr/include/simdjson.h}
start=$(grep -n '^// ondemand is only compiled as part of the builtin implementation at present' "$H" | cut -d: -f1)
end=$(grep -n '^/\* end file include/simdjson/generic/ondemand-inl.h \*/' "$H" | cut -d: -f1)
[[ -n $start && -n $end ]] || { echo "$0: $H does not have the expected layout" >&2; exit 1; }
echo 'SIMDJSON_TARGET_HASWELL'
sed -n "${start},${end}p" "$H" |
  sed '/^inline std::string_view trim(const std::string_view str) noexcept {/,/^}/d' |
  sed 's/SIMDJSON_BUILTIN_IMPLEMENTATION/haswell/g; s/std::pair<raw_json_string, \(ondemand::\)\{0,1\}value>/field_pair/g' |
  sed 's/^class field : public field_pair {/struct field_pair {\n  raw_json_string first;\n  value second;\n  simdjson_inline field_pair() noexcept : first(), second() {}\n  simdjson_inline field_pair(raw_json_string k, value \&\&v) noexcept : first(k), second(std::forward<value>(v)) {}\n};\n\nclass field : public field_pair {/'
echo 'SIMDJSON_UNTARGET_HASWELL'
