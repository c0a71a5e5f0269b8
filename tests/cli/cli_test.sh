#!/usr/bin/env bash
# End-to-end tests of the nadb command line: runs the built binary in a temp folder and
# checks outputs, files and exit codes.   cli_test.sh /path/to/nadb
set -uo pipefail
NADB=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)  # the helper scripts beside this one
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/expect.sh"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Binary values round-trip byte for byte: from a file, from stdin, to stdout and to --out.
head -c 100000 /dev/urandom > blob
expect 0 "$NADB" set blob --file blob --tag bin
expect 0 "$NADB" get blob
cmp -s blob out.txt || fail "get to stdout is not byte-identical"
expect 0 "$NADB" get blob --out copy
cmp -s blob copy || fail "get --out is not byte-identical"
"$NADB" set piped - < blob || fail "set from stdin"
"$NADB" get piped | cmp -s blob - || fail "a value set from stdin differs"

# Tags, queries, JSON documents.
expect 0 "$NADB" set user:1 ada --tag admin --tag active
expect 0 "$NADB" set user:2 bob --tag active
expect 0 "$NADB" set user:3 eve --tag admin
expect 0 "$NADB" query 'tag:active AND NOT tag:admin'
[[ $out == "user:2" ]] || fail "query printed '$out'"
expect 0 "$NADB" --json query 'tag:admin' --page-size 1
[[ $(json 'd["keys"], d["total_count"], d["has_more"]' <<<"$out") == "['user:1'] 2 True" ]] ||
  fail "query --json: $out"
expect 0 "$NADB" --json get user:1
[[ $(json 'd["found"], d["value_base64"]' <<<"$out") == "True YWRh" ]] || fail "get --json: $out"
expect 0 "$NADB" tags
grep -qx "admin 2" <<<"$out" || fail "tags: $out"

# TTL, expire, persist, incr, exists, del.
expect 0 "$NADB" set session tok --ttl 100
expect 0 "$NADB" ttl session
(( out > 90 && out <= 100 )) || fail "ttl printed '$out'"
expect 0 "$NADB" persist session
[[ $out == true ]] || fail "persist of a key with a TTL printed '$out'"
expect 0 "$NADB" ttl session
[[ $out == none ]] || fail "ttl after persist: $out"
expect 0 "$NADB" persist session
[[ $out == false ]] || fail "persist of a key without a TTL printed '$out', the API says false"
expect 0 "$NADB" expire session 50
expect 0 "$NADB" incr visits --by 5
expect 0 "$NADB" incr visits
[[ $out == 6 ]] || fail "incr printed '$out'"
# A value that is not an integer is a data error (3), and the command line was right: no hint.
expect 3 "$NADB" incr session
grep -q "not a decimal 64-bit integer" <<<"$err" || fail "incr of a non-integer: $err"
! grep -q -- "--help" <<<"$err" || fail "a data error points to --help: $err"
expect 2 "$NADB" incr ""
expect 0 "$NADB" exists user:1
expect 0 "$NADB" del user:1 nope
[[ $out == 1 ]] || fail "del printed '$out'"
expect 1 "$NADB" exists user:1
expect 1 "$NADB" del user:1

# Paging with a cursor.
for i in 1 2 3 4 5; do "$NADB" set "page:$i" v; done
expect 0 "$NADB" --json keys --prefix page: --limit 2
cursor=$(json 'd["next_cursor"]' <<<"$out")
[[ $cursor == page:2 ]] || fail "first page cursor: $out"
expect 0 "$NADB" keys --prefix page: --limit 2 --cursor "$cursor"
[[ $out == $'page:3\npage:4' ]] || fail "second page: $out"

# Export, import into another namespace, stats, maintenance.
expect 0 "$NADB" export all.jsonl.zst
expect 0 "$NADB" --ns copy import all.jsonl.zst
expect 0 "$NADB" --ns copy get blob
cmp -s blob out.txt || fail "import lost bytes"
expect 0 "$NADB" export plain.jsonl
sed '3s/.*/{"not an entry": true}/' plain.jsonl >damaged.jsonl
expect 2 "$NADB" --ns damaged import damaged.jsonl
grep -q "line 3" <<<"$err" || fail "a bad import line is not named: $err"
expect 0 "$NADB" --ns damaged keys
[[ -z $out ]] || fail "a refused import wrote keys: $out"
# The smallest file a person can write (FORMAT.md): header, key and value only, end line.
printf '%s\n' '{"format":"nadb-jsonl","version":1}' '{"key":"azE=","value":"aGVsbG8="}' \
  '{"end":true,"count":1}' >hand.jsonl
expect 0 "$NADB" --ns hand import hand.jsonl
expect 0 "$NADB" --ns hand get k1
[[ $out == hello ]] || fail "a line written by hand imported as '$out'"
expect 0 "$NADB" --ns skipped import damaged.jsonl --skip-invalid
[[ $out == 10 && $err == *"nadb: skipped line 3: "* ]] || fail "import --skip-invalid (text): $out / $err"
expect 0 "$NADB" --ns damaged --json import damaged.jsonl --skip-invalid
[[ $(json 'd["imported"], len(d["invalid_lines"])' <<<"$out") == "10 1" ]] ||
  fail "import --skip-invalid: $out"

# --log-level: the store's events as text lines on stderr; a bad level is a usage error.
expect 0 "$NADB" --log-level info exists blob
grep -q "store opened" <<<"$err" || fail "--log-level info logged: $err"
expect 2 "$NADB" --log-level loud exists blob
expect 0 "$NADB" --json stats
[[ $(json 'd["name"], d["key_count"], d["storage"]["backend"]' <<<"$out") == "default:default 11 fs" ]] ||
  fail "stats --json: $out"
expect 0 "$NADB" stats --prometheus
grep -q '^nadb_keys{db="default",ns="default"} ' <<<"$out" || fail "stats --prometheus: $out"
# Prometheus values are exact: over a million disk bytes print as an integer, never 1.3e+06.
head -c 1300000 /dev/urandom > big
expect 0 "$NADB" set big --file big
expect 0 "$NADB" stats --prometheus
grep -Eq '^nadb_disk_bytes\{db="default",ns="default"\} [0-9]{7,}$' <<<"$out" ||
  fail "nadb_disk_bytes is not a whole number: $(grep nadb_disk_bytes <<<"$out")"
! grep -Eq ' [0-9.]+e[+-]?[0-9]+$' <<<"$out" || fail "stats --prometheus printed an exponent"
expect 0 "$NADB" del big
expect 0 "$NADB" cleanup-expired
expect 0 "$NADB" compact

# Backups: full, incremental, list, verify, restore, delete with dependents, prune.
expect 0 "$NADB" set kept before
expect 0 "$NADB" backup create --id b1
[[ $out == b1 ]] || fail "backup create printed '$out'"
expect 0 "$NADB" set kept after
expect 0 "$NADB" --json backup incremental b1 --id b2
[[ $(json 'd["id"], d["type"], d["parent"]' <<<"$out") == "b2 incremental b1" ]] ||
  fail "backup incremental --json: $out"
expect 0 "$NADB" backup list
[[ $(wc -l <<<"$out") == 2 ]] || fail "backup list: $out"
expect 0 "$NADB" backup verify b2
[[ $out == ok ]] || fail "backup verify: $out"
expect 0 "$NADB" backup restore b1 --clear
expect 0 "$NADB" get kept
[[ $out == before ]] || fail "restore of b1 gave '$out'"
expect 2 "$NADB" backup delete b1
grep -q -- "--force" <<<"$err" || fail "delete with dependents: $err"
expect 1 "$NADB" backup verify nosuch
expect 0 "$NADB" backup delete b1 --force
expect 0 "$NADB" backup create --id b3
expect 0 "$NADB" backup prune --keep 1 --keep-days 0
expect 0 "$NADB" --json backup list
[[ $(json '[b["id"] for b in d["backups"]]' <<<"$out") == "['b3']" ]] || fail "after prune: $out"

# sync: into another db, then with --remove-extraneous; never into the source itself.
expect 0 "$NADB" --db mirror set stale old
expect 0 "$NADB" --json sync --to-backend fs --to-db mirror
[[ $(json 'd["copied"] > 5, d["removed"], d["target"]' <<<"$out") == "True 0 mirror:default" ]] ||
  fail "sync --json: $out"
expect 0 "$NADB" --db mirror get user:2
[[ $out == bob ]] || fail "synced user:2 is '$out'"
expect 0 "$NADB" sync --to-backend fs --to-db mirror --remove-extraneous
expect 1 "$NADB" --db mirror get stale
expect 2 "$NADB" sync --to-backend fs
grep -q "the target is the source itself" <<<"$err" || fail "sync into itself: $err"
expect 2 "$NADB" sync --to-db mirror

# bench: every phase timed, on a throwaway store (the data folder gets nothing).
expect 0 "$NADB" --data bench-data bench --n 300
for phase in set get query delete; do grep -q "^$phase " <<<"$out" || fail "bench lacks $phase: $out"; done
[[ ! -e bench-data ]] || fail "bench wrote into --data"
expect 0 "$NADB" --json bench --n 200 --backend memory
[[ $(json '[p["name"] for p in d["phases"]], d["phases"][0]["ops"]' <<<"$out") == \
   "['set', 'get', 'query', 'delete'] 200" ]] || fail "bench --json: $out"
expect 2 "$NADB" bench --n 0
expect 0 "$NADB" bench --compare --n 500
grep -q "^a_set .*nadb-fs\|nadb-fs" <<<"$out" && grep -q "^c_query " <<<"$out" ||
  fail "bench --compare printed: $out"
# Every peer is in the table, or named on stderr as left out (this machine may lack its package).
for peer in lmdb sqlite rocksdb; do
  head -3 <<<"$out" | grep -qw "$peer" || grep -q "nadb-bench: $peer is left out" <<<"$err" ||
    fail "bench --compare neither ran nor named $peer: $err"
done

# shell: one store for many lines; failures are reported and the last one's code is returned.
printf 'set s1 one --tag sh\n# a comment\n\nget s1\nquery tag:sh\nbogus\nget nope\nexists s1\nexit\nget s1\n' \
  >lines.txt
expect 1 "$NADB" shell <lines.txt
[[ $out == $'one\ns1\ntrue' ]] || fail "shell printed '$out'"
grep -q "unknown command 'bogus'" <<<"$err" || fail "shell unknown command: $err"
grep -q "key 'nope' not found" <<<"$err" || fail "shell missing key: $err"
expect 0 "$NADB" shell <<<"get s1"

# A piped shell never lets - swallow the commands after it: set KEY - and import - are refused.
printf 'set p1 -\nset p2 two\nimport -\nget p2\n' >piped.txt
expect 2 "$NADB" shell <piped.txt
[[ $out == two ]] || fail "a piped shell after set KEY -: '$out'"
grep -q "set: in the shell, standard input holds the commands" <<<"$err" || fail "set - in a shell: $err"
grep -q "import: in the shell, standard input holds the commands" <<<"$err" || fail "import - in a shell: $err"
expect 1 "$NADB" get p1
# The shell on a terminal: Ctrl-C, Tab, prompt, use, help COMMAND, Ctrl-D, history.
mkdir pty && python3 "$here/shell_pty_test.py" "$NADB" "$work/pty" || fail "shell on a terminal"

# keys and query never cut their output silently: all of it unless a limit or page is given,
# and a cut says on stderr how to continue.
for i in $(seq -w 1 2500); do echo "set many:$i v --tag many"; done | "$NADB" --db many shell
expect 0 "$NADB" --db many keys
[[ $(wc -l <<<"$out") == 2500 && -z $err ]] || fail "keys printed $(wc -l <<<"$out") keys / $err"
expect 0 "$NADB" --db many keys --limit 1200
[[ $(wc -l <<<"$out") == 1200 && $err == *"--cursor 'many:1200' continues"* ]] || fail "keys --limit: $err"
expect 0 "$NADB" --db many keys --limit 1200 --cursor many:1200
[[ $(head -1 <<<"$out") == many:1201 ]] || fail "keys --cursor: $(head -1 <<<"$out")"
expect 0 "$NADB" --db many query tag:many
[[ $(wc -l <<<"$out") == 2500 && -z $err ]] || fail "query printed $(wc -l <<<"$out") keys / $err"
expect 0 "$NADB" --db many query tag:many --page-size 1000 --page 2
[[ $(wc -l <<<"$out") == 1000 && $err == *"page 2 holds 1000 of 2500 keys; --page 3 continues"* ]] ||
  fail "query --page: $err"
expect 0 "$NADB" --db many --json keys
[[ $(json 'len(d["keys"]), d["next_cursor"]' <<<"$out") == "1000 many:1000" ]] || fail "keys --json: ${out:0:80}"

# Global options anywhere on the line; --version; help names the program; every option
# and positional has help text.
expect 0 "$NADB" get user:2 --json
[[ $(json 'd["value_base64"]' <<<"$out") == Ym9i ]] || fail "get KEY --json: $out"
expect 0 "$NADB" keys --db many --limit 1
[[ $out == many:0001 ]] || fail "keys --db after the command: $out"
expect 0 "$NADB" --version
[[ $out =~ ^nadb\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: $out"
expect 0 "$NADB" --help
grep -q "^Usage: nadb " <<<"$out" || fail "help does not name the program: $(head -2 <<<"$out")"
for command in set get meta del exists ttl expire persist incr keys tags query compact \
  cleanup-expired stats export import sync "backup create" "backup incremental" "backup list" \
  "backup verify" "backup restore" "backup delete" "backup prune" check repair bench; do
  # shellcheck disable=SC2086
  "$NADB" $command --help >help.txt 2>&1 || fail "$command --help failed"
  bare=$(python3 "$here/help_text_check.py" <help.txt)
  [[ -z $bare ]] || fail "$command: an option without help text: $bare"
done

# meta KEY (and get --meta): tags, sizes, version, times and TTL, in text and JSON.
expect 0 "$NADB" set described hello --tag b --tag a --ttl 300
expect 0 "$NADB" meta described
[[ $out == *"tags     a b"* && $out == *"size     5 bytes"* && $out == *"ttl      30"* &&
   $out == *"created  20"* && $out == *"version  "* ]] || fail "meta: $out"
expect 0 "$NADB" get described --meta --json
[[ $(json 'd["tags"], d["size"], 290 < d["ttl_seconds"] <= 300, d["version"] > 0' <<<"$out") == \
   "['a', 'b'] 5 True True" ]] || fail "get --meta --json: $out"
expect 1 "$NADB" meta nothing-here

# Streams: export - writes standard output, import - reads standard input, in any format.
"$NADB" --db many export - --format jsonl.gz | gunzip | "$NADB" --db copied import - >/dev/null ||
  fail "export - --format jsonl.gz | gunzip | import -"
expect 0 "$NADB" --db copied keys
[[ $(wc -l <<<"$out") == 2500 ]] || fail "import - copied $(wc -l <<<"$out") keys"
"$NADB" --db many export - --format jsonl.zst | "$NADB" --db copied2 import - --format jsonl.zst \
  >/dev/null || fail "export - | import - (zstd)"
[[ $("$NADB" --db copied2 keys | wc -l) == 2500 ]] || fail "import - --format jsonl.zst"
expect 2 "$NADB" export x.jsonl --format jsonl.zst
grep -q "disagrees with the name" <<<"$err" || fail "export --format vs name: $err"

# Progress bars: drawn on a terminal (script gives one), never into a pipe or file.
if command -v script >/dev/null; then
  script -qec "'$NADB' export progress.jsonl" /dev/null >tty.txt </dev/null
  grep -q "export \[#*\] 100%" tty.txt || fail "no progress bar on a terminal: $(od -c tty.txt | head -3)"
else
  fail "script (bsdutils) is missing: the progress bar test cannot run"
fi
expect 0 "$NADB" export quiet.jsonl
[[ -z $err ]] || fail "progress drawn into a file: $err"
expect 0 "$NADB" compact
[[ -z $err ]] || fail "compact wrote to stderr: $err"

# The redis backend from the command line, and a sync from fs into it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >redis.log 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; rm -rf "$work"' EXIT
url=redis://127.0.0.1:$port/0
for _ in $(seq 50); do "$NADB" --backend redis --redis "$url" keys >/dev/null 2>&1 && break; sleep 0.1; done
expect 0 "$NADB" --backend redis --redis "$url" set r1 hello --tag red
expect 0 "$NADB" --backend redis --redis "$url" query tag:red
[[ $out == r1 ]] || fail "redis query: $out"
expect 0 "$NADB" sync --to-backend redis --to-redis "$url"
expect 0 "$NADB" --backend redis --redis "$url" get user:2
[[ $out == bob ]] || fail "synced into redis: '$out'"
expect 0 "$NADB" --backend redis --redis "$url" --json bench --n 100
[[ $(json 'd["backend"]' <<<"$out") == redis ]] || fail "bench on redis: $out"
left=$(redis-cli -p "$port" --scan --pattern '*nadb-bench*:[mvt]:*' | wc -l)
[[ $left == 0 ]] || fail "bench left $left keys on redis"

# Defect 12: sync's target is what the options say — each --to-* or else the global option
# (the target ignored --db and --data, synced into default:default and deleted keys there).
expect 0 "$NADB" --backend redis --redis "$url" --ns other set unrelated keep
expect 0 "$NADB" --db small set s1 one
expect 0 "$NADB" --db small sync --to-backend redis --to-redis "$url" --remove-extraneous
grep -q "to redis small:default" <<<"$err" || fail "sync did not name its target first: $err"
expect 0 "$NADB" --backend redis --redis "$url" --ns other get unrelated
expect 0 "$NADB" --backend redis --redis "$url" --db small get s1
[[ $out == one ]] || fail "sync into redis small:default: '$out'"
expect 0 "$NADB" --data "$work/D" --db small set s1 one
mkdir elsewhere && (cd elsewhere && expect 0 "$NADB" --data "$work/D" --db small sync --to-backend fs --to-db copy)
[[ -d D/copy && ! -e elsewhere/data ]] || fail "sync --data D wrote outside D"

# Defect 15: --ttl 0 is refused as the API refuses it (it stored the key without expiry).
expect 2 "$NADB" set t0 v --ttl 0
grep -q "ttl must be positive" <<<"$err" || fail "--ttl 0: $err"
expect 1 "$NADB" get t0

# Defect 13: export never replaces a link or a pipe (it replaced /dev/stdout's link).
echo precious > victim && ln -s victim link.jsonl && mkfifo pipe.jsonl
expect 2 "$NADB" export link.jsonl
expect 2 "$NADB" export pipe.jsonl
[[ -L link.jsonl && -p pipe.jsonl && $(cat victim) == precious ]] || fail "export replaced a link or pipe"

# check and repair (defect 8): damage is found without opening the db, repair keeps the rest.
for i in 1 2 3; do "$NADB" --db damaged set "k$i" "value $i"; done
expect 0 "$NADB" --db damaged check
python3 -c "f=open('data/damaged/00000001.seg','r+b'); f.seek(27); b=f.read(1); f.seek(27); f.write(bytes([b[0]^0x80]))"
expect 3 "$NADB" --db damaged check
grep -q "problem: 00000001.seg: .* damaged bytes at offset 16" <<<"$out" || fail "check: $out"
expect 3 "$NADB" --db damaged get k2
expect 0 "$NADB" --db damaged repair
expect 0 "$NADB" --db damaged get k3
[[ $out == "value 3" ]] || fail "repair lost k3: '$out'"
expect 0 "$NADB" --db damaged check

# A warning at the default level says what happened, not where in NADB's sources.
# (A write recovers the db; a read opens it read-only and leaves a torn tail to its writer.)
"$NADB" --db torn set a 1 && printf 'xyz' >>data/torn/00000001.seg
expect 0 "$NADB" --db torn set b 2
grep -q "torn" <<<"$err" || fail "no warning about the torn tail: $err"
! grep -q '\.cpp:' <<<"$err" || fail "a warning names a source file: $err"

# Read commands beside a process that has the db open: they read what it has flushed, say so
# once on stderr, and never write; writes are refused with the holder's pid.
mkfifo writer.fifo
"$NADB" --db held shell <writer.fifo >writer.out 2>&1 &
writer_pid=$!
exec 7>writer.fifo
echo "set a 1 --tag t" >&7 && echo "set b 2" >&7
wait_for() {  # wait_for KEY: until a read command sees KEY (the writer flushes every second)
  for _ in $(seq 100); do "$NADB" --db held get "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "the writer's $1 never became visible to a reader"
}
wait_for b
expect 0 "$NADB" --db held get a
[[ $out == 1 && $err == *"is open in process $writer_pid: reading what it has flushed"* ]] ||
  fail "get beside a writer: '$out' / $err"
[[ $(grep -c "is open in process" <<<"$err") == 1 ]] || fail "the read-only note is not said once: $err"
expect 0 "$NADB" --db held keys
[[ $out == $'a\nb' ]] || fail "keys beside a writer: $out"
expect 0 "$NADB" --db held query tag:t
[[ $out == a ]] || fail "query beside a writer: $out"
expect 0 "$NADB" --db held --json stats
[[ $(json 'd["key_count"]' <<<"$out") == 2 ]] || fail "stats beside a writer: $out"
expect 0 "$NADB" --db held export held.jsonl
[[ $(grep -c '"key"' held.jsonl) == 2 ]] || fail "export beside a writer: $(cat held.jsonl)"
expect 3 "$NADB" --db held set c 3
grep -q "locked by another process (pid $writer_pid)" <<<"$err" || fail "a write beside a writer: $err"
echo "set c 3" >&7
wait_for c
exec 7>&-
wait $writer_pid
expect 0 "$NADB" --db held keys
[[ $out == $'a\nb\nc' && -z $err ]] || fail "keys after the writer ended: $out / $err"
# Read commands create nothing: a mistyped --data or --db is an error naming the missing db.
expect 3 "$NADB" --data "$work/typo" get a
[[ $err == "nadb: no db 'default' in '$work/typo' (a read command creates nothing: check --data and --db)" ]] ||
  fail "a read of a missing db: $err"
expect 3 "$NADB" --db typo keys
[[ ! -e typo && ! -e data/typo ]] || fail "a read command created a db"
before=$(ls -lR data/held)
expect 0 "$NADB" --db held get a
[[ $(ls -lR data/held) == "$before" ]] || fail "a read command changed the db's files"
expect 3 "$NADB" --db held --read-only set d 4
grep -q "open read-only" <<<"$err" || fail "--read-only set: $err"
before=$(ls -lR data/held)
expect 3 "$NADB" --db held --read-only repair
[[ $(ls -lR data/held) == "$before" ]] || fail "--read-only repair changed the db"
# A write that would change nothing is refused as well (persist of a key without expiry).
expect 3 "$NADB" --db held --read-only persist a

# Exit codes and messages: 1 not found, 2 usage, 3 other errors.
expect 1 "$NADB" get missing
[[ $err == "nadb: key 'missing' not found" ]] || fail "missing key message: $err"
expect 2 "$NADB" set "" value
grep -q "key must not be empty" <<<"$err" || fail "empty key message: $err"
expect 2 "$NADB" set onlykey
grep -q "give VALUE" <<<"$err" || fail "set without a value: $err"
expect 2 "$NADB" query 'tag:a AND'
expect 2 "$NADB" --backend nosuch keys
expect 2 "$NADB" --db ../escape keys
expect 2 "$NADB" get
expect 2 "$NADB" bogus
[[ $err == "nadb: unknown command 'bogus' (see nadb --help)" ]] || fail "unknown command: $err"
expect 3 "$NADB" set x --file does-not-exist
expect 3 "$NADB" --backend redis --redis redis://127.0.0.1:1 get k
grep -q "unavailable" <<<"$err" || fail "redis down message: $err"
expect 0 "$NADB" --help
# A missing file or db is not a missing key: 3, not 1.
expect 3 "$NADB" import no-such-file.jsonl
expect 3 "$NADB" --db no-such-db check
expect 3 "$NADB" --db no-such-db repair
[[ ! -e data/no-such-db ]] || fail "check or repair created the db"
# Numbers out of range are usage errors that say so.
expect 2 "$NADB" keys --limit 0
[[ $err == "nadb: --limit: must be at least 1, got 0 (see nadb --help)" ]] || fail "keys --limit 0: $err"
expect 2 "$NADB" backup prune --keep -1 --keep-days 1
expect 2 "$NADB" query tag:a --page-size 0
grep -q "page_size must be 1-100000, got 0" <<<"$err" || fail "query --page-size 0: $err"
# The backups of a db whose folder is gone can still be listed (and then restored).
expect 0 "$NADB" --db lost set k v
expect 0 "$NADB" --db lost backup create --id before-loss
rm -rf data/lost
expect 0 "$NADB" --db lost backup list
[[ $out == before-loss* ]] || fail "backup list of a lost db: $out"
expect 0 "$NADB" --db lost backup verify before-loss
[[ ! -e data/lost ]] || fail "backup list or verify created the lost db"
printf 'backup list\nbackup restore before-loss\nget k\n' | "$NADB" --db lost shell >shell.out 2>&1 ||
  fail "a shell restoring a lost db: $(cat shell.out)"
[[ $(tail -1 shell.out) == v ]] || fail "a shell's restore after backup list went elsewhere: $(cat shell.out)"
rm -rf data/lost
# --read-only holds for backup writes of a lost db too: nothing is deleted or restored.
expect 3 "$NADB" --db lost --read-only backup prune --keep 0 --keep-days 0
expect 3 "$NADB" --db lost --read-only backup restore before-loss
expect 0 "$NADB" --db lost --read-only backup list
[[ $out == before-loss* && ! -e data/lost ]] || fail "--read-only backup of a lost db: $out"
expect 0 "$NADB" --db lost backup restore before-loss
expect 0 "$NADB" --db lost get k

if (( failures > 0 )); then echo "$failures failure(s)" >&2; exit 1; fi
echo "all CLI checks passed"
