# Sourced by the command-line tests: fail MESSAGE counts a failure; expect CODE CMD... runs
# CMD in the current folder and checks its exit code, with stdout in $out and stderr in $err.
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect() {
  local code=$1; shift
  "$@" >out.txt 2>err.txt; local rc=$?
  out=$(tr -d '\000' <out.txt); err=$(cat err.txt)
  [[ $rc == "$code" ]] || fail "'$*' exited $rc, expected $code (stderr: $err)"
}
