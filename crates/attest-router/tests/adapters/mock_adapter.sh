#!/bin/sh
# A tiny tool for nexus-router's subprocess adapter contract, driven by the method name:
#   mock_adapter.sh call <tool> <method> --json-args-file <path>
# Used by the attest-router tests (run as `sh mock_adapter.sh ...`, no exec bit needed).
[ "$1" = "call" ] && [ "$4" = "--json-args-file" ] || { echo "usage: call TOOL METHOD --json-args-file FILE" >&2; exit 64; }
tool=$2
method=$3
file=$5
case "$method" in
  echo)
    printf '{"tool":"%s","method":"%s","file_mode":"%s","payload":' "$tool" "$method" "$(stat -c %a "$file")"
    cat "$file"
    printf '}\n' ;;
  file) printf '{"args_file":"%s"}\n' "$file" ;;
  env) printf '{"value":"%s"}\n' "$MOCK_VAR" ;;
  cwd) printf '{"cwd":"%s"}\n' "$(pwd)" ;;
  stdin) if IFS= read -r _line; then echo '{"stdin":"data"}'; else echo '{"stdin":"eof"}'; fi ;;
  stderr) echo '{"ok":true}'; echo "warning: token=abc123 leaked" >&2 ;;
  sleep) sleep 30; echo '{}' ;;
  partial) echo "progress password=hunter2"; echo "still going" >&2; sleep 30 ;;
  grandchild) sleep 30 & echo $! > "$MOCK_PIDFILE"; sleep 30; echo '{}' ;;
  crash) echo "fatal: api_key=XYZ boom" >&2; exit 3 ;;
  signal) kill -9 $$ ;;
  garbage) echo "this is not json" ;;
  empty) ;;
  list) echo '[1, 2]' ;;
  number) echo '42' ;;
  nan) echo '{"x": NaN}' ;;
  nonutf8) printf '{"x": "\377"}\n' ;;
  flood) yes '{"junk": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}' ;;
  big_broken) head -c 2000 /dev/zero | tr '\0' 'x'; echo ;;
  big) printf '{"blob":"'; head -c 300000 /dev/zero | tr '\0' 'a'; printf '"}\n' ;;
  *) printf '{"result":"ok","tool":"%s","method":"%s"}\n' "$tool" "$method" ;;
esac
