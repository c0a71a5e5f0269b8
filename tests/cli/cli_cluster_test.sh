#!/usr/bin/env bash
# The nadb command line against a Redis Cluster it starts (nadb-test-cluster: 3 masters with a
# replica each, stopped at exit): writes and queries in namespaces on different masters, a
# sync from fs into the cluster, and a logical backup and restore of the cluster's db.
#   cli_cluster_test.sh /path/to/nadb /path/to/nadb-test-cluster
set -uo pipefail
NADB=$(realpath "$1")
CLUSTER=$(realpath "$2")
work=$(mktemp -d)
cd "$work"
"$CLUSTER" start "$work/cluster.state" || { echo "FAIL: the cluster did not start" >&2; exit 1; }
trap '"$CLUSTER" stop "$work/cluster.state"; rm -rf "$work"' EXIT
source "$(dirname "$(realpath "$0")")/expect.sh"
port=$(cut -d' ' -f1 "$work/cluster.state")
# A dead first seed: the second one answers.
url="redis+cluster://127.0.0.1:1,127.0.0.1:$port/"
cluster() { "$NADB" --backend redis --redis "$url" "$@"; }

# Namespaces spread over the masters; each is read back and queried.
for ns in a b c d e f; do
  expect 0 cluster --ns "$ns" set "key-$ns" "value-$ns" --tag "t$ns" --tag all
done
for ns in a b c d e f; do
  expect 0 cluster --ns "$ns" get "key-$ns"
  [[ $out == "value-$ns" ]] || fail "get in $ns: '$out'"
  expect 0 cluster --ns "$ns" query "tag:all AND tag:t$ns"
  [[ $out == "key-$ns" ]] || fail "query in $ns: '$out'"
done
# redis-cli --cluster create gives each master a third of the slots, in order.
masters=$(for ns in a b c d e f; do redis-cli -p "$port" cluster keyslot "nadb:{default:$ns}"; done |
  awk '{print int($1 / 5461)}' | sort -u | wc -l)
[[ $masters -ge 2 ]] || fail "the namespaces are all on one master"

# A sync from an fs db into the cluster.
expect 0 "$NADB" --data fs set from-fs hello --tag synced
expect 0 "$NADB" --data fs sync --to-backend redis --to-redis "$url" --to-db default
expect 0 cluster get from-fs
[[ $out == hello ]] || fail "synced into the cluster: '$out'"

# A logical backup of the cluster's db, a change, and a restore that undoes it.
expect 0 cluster --ns a backup create --id c1
expect 0 cluster --ns a set key-a changed
expect 0 cluster --ns b del key-b
expect 0 cluster --ns a backup restore c1 --clear
expect 0 cluster --ns a get key-a
[[ $out == value-a ]] || fail "restored key-a is '$out'"
expect 0 cluster --ns b get key-b
[[ $out == value-b ]] || fail "restored key-b is '$out'"
expect 0 cluster --ns a backup verify c1
[[ $out == ok ]] || fail "backup verify: $out"

# A sharded namespace (?shards=3 in the URL): keys over three slots, scanned and queried whole;
# a store of another count is refused, naming the recorded one.
sharded() { "$NADB" --backend redis --redis "${url}?shards=3" --ns big "$@"; }
for i in 1 2 3 4 5 6 7 8 9; do
  expect 0 sharded set "k$i" "v$i" --tag big
done
expect 0 sharded query tag:big
[[ $out == "$(printf 'k%s\n' 1 2 3 4 5 6 7 8 9 | head -c -1)" ]] || fail "sharded query: '$out'"
expect 0 sharded get k7
[[ $out == v7 ]] || fail "sharded get: '$out'"
slots=$(for s in 0 1 2; do redis-cli -p "$port" cluster keyslot "nadb:{default:big:$s}"; done | sort -u | wc -l)
[[ $slots == 3 ]] || fail "the shards are not three slots"
expect 2 cluster --ns big get k7
grep -q "shards = 3" <<<"$err" || fail "an unsharded store read a sharded namespace: $err"

# The cluster's redirections are counted in the stats.
expect 0 cluster --json stats
grep -q '"cluster_moved"' <<<"$out" || fail "stats lack the cluster's figures: $out"

[[ $failures == 0 ]] || { echo "$failures failure(s)" >&2; exit 1; }
echo "cli cluster: ok"
