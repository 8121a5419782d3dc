#!/usr/bin/env bash
# s3.sh -- the real S3 server of the tests of the bucket (t/s3_suite.sh, t/s3.mjs): a
# throw-away, single-node Ceph cluster (1 mon, 1 mgr, 1 osd) plus radosgw (S3) on loopback,
# from nothing, without systemd, docker or a block device; and stop it again. Never a fake S3
# (reference/s3.md). Debian 12 packages only (./bootstrap's TEST_PACKAGES):
#
#   apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-mgr
#
# Usage:
#   s3.sh start DIR [PORT]   # wipes DIR, starts everything, prints env
#   s3.sh stop  DIR          # stops every daemon it started (by PID)
#   s3.sh env   DIR          # prints the S3_* variables again
#   s3.sh rgw-stop DIR       # stops radosgw alone (an outage: the osd keeps the objects)
#   s3.sh rgw-start DIR      # starts it again, and waits until it answers
#
# Environment knobs (all optional):
#   S3_PORT        radosgw port on 127.0.0.1 (default 7480; PORT arg wins)
#   S3_MON_PORT    mon msgr2 port on 127.0.0.1 (default PORT+1)
#   S3_OSD_STORE   memstore (default; RAM only, 1 GiB cap) | bluestore (sparse
#                  file DIR/osd.0/block, no block device needed)
#   S3_WITH_MGR    1 (default) starts ceph-mgr; 0 skips it (I/O still works)
#   S3_ACCESS_KEY / S3_SECRET_KEY   credentials of the S3 user created
#   S3_TIMEOUT     seconds to wait for each step (default 120)
#
# After "start", DIR/s3.env holds S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
# S3_REGION and CEPH_CONF; DIR/run/*.pid the daemons' PIDs; DIR/log/ the logs.
set -euo pipefail

cmd=${1:-}; DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { sed -n '2,27p' "$0"; exit 2; }
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
CONF=$DIR/ceph.conf
T=${S3_TIMEOUT:-120}

log() { printf '[start-s3 %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
ceph_() { timeout "$T" ceph -c "$CONF" "$@"; }

# run a daemon in the foreground (-f) in the background, remember its PID
spawn() {  # name cmd...
  local name=$1; shift
  setsid "$@" -f -c "$CONF" </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/run/$name.spawn.pid"
  log "started $name pid $!"
}

# Polls the command until it succeeds; dies once T seconds have passed by the clock (a count of
# polls is no bound when each try itself may take long on a loaded machine). Each try is
# bounded too (TRY_S): a daemon that accepts and never answers makes it fail, not hang.
TRY_S=30
wait_for() {  # description command...
  local what=$1; shift
  local end=$(( $(date +%s) + T ))
  until timeout -k 2 "$TRY_S" "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || die "timed out waiting for $what (${T} s)"
    sleep 0.5
  done
}

# The inodes of the sockets listening on port $1 (/proc/net/tcp and tcp6, state 0A).
listeners() {
  awk -v p="$(printf ':%04X' "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Whether radosgw (pid $2) holds the socket listening on port $1 and answers there, or has
# exited (wait_rgw tells which). Another program may take the port while the mon and the osd
# start (a free port is free for anyone until radosgw binds it): it would answer curl too, and
# radosgw, which cannot bind, exits; so the socket's owner is read from /proc.
rgw_up() {
  local inode
  kill -0 "$2" 2>/dev/null || return 0
  for inode in $(listeners "$1"); do
    find "/proc/$2/fd" -lname "socket:\[$inode\]" 2>/dev/null | grep -q . &&
      curl -sf --max-time "$TRY_S" -o /dev/null "http://127.0.0.1:$1/" && return 0
  done
  return 1
}
export -f listeners rgw_up
export TRY_S

# Waits (wait_for) until radosgw, its spawn pid, is up on port $1; dies when it exited first,
# naming a port another program took (t/s3.mjs starts again on other ports).
wait_rgw() {
  local pid
  pid=$(cat "$DIR/run/rgw.spawn.pid")
  wait_for "radosgw" bash -c 'rgw_up "$@"' rgw_up "$1" "$pid"
  if ! kill -0 "$pid" 2>/dev/null; then
    [ -z "$(listeners "$1")" ] || die "port $1 is another program's: radosgw could not listen there"
    die "radosgw exited (see $DIR/log)"
  fi
}

# Whether pid $1 is a daemon of this cluster: its command line names this cluster's ceph.conf.
# A daemon that exited (a test stopped or killed it) leaves its pid in run/, and the kernel
# gives a freed pid to the next process (pid_max 32768, gone round in minutes on a machine
# running several checks): a bare kill -0 would take another program for it, and stop it.
ours() {
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- " -c $CONF"
}

# Stops the daemons of pids $@ that are ours and waits until each is gone: TERM, and CONT for
# a frozen one (a test's SIGSTOP takes no TERM until it runs again); KILL only for one still
# there after STOP_WAIT_S (a loaded machine may take seconds to stop radosgw), then waits for
# the kernel to take it, so what follows (a radosgw started again on its port) never meets it.
STOP_WAIT_S=120
stop_pids() {
  local pid left sig
  for pid in "$@"; do
    ours "$pid" && { kill -TERM "$pid"; kill -CONT "$pid"; } 2>/dev/null
  done
  for sig in KILL ''; do
    for _ in $(seq 1 $((STOP_WAIT_S * 4))); do
      left=
      for pid in "$@"; do ours "$pid" && left="$left $pid"; done
      [ -z "$left" ] && return 0
      sleep 0.25
    done
    [ -n "$sig" ] || break
    log "SIG$sig$left"
    kill -"$sig" $left 2>/dev/null || true
  done
  log "still running after SIGKILL:$left"
  return 1
}

stop_all() {
  local f pids=() rc=0
  for f in "$DIR"/run/*.spawn.pid; do
    [ -e "$f" ] && pids+=("$(cat "$f")")
  done
  [ ${#pids[@]} = 0 ] || stop_pids "${pids[@]}" || rc=1
  rm -f "$DIR"/run/*.spawn.pid
  return $rc
}

rgw_port() { sed -n 's|^S3_ENDPOINT=http://127.0.0.1:||p' "$DIR/s3.env"; }

case "$cmd" in
stop) stop_all; rc=$?; log "stopped"; exit $rc ;;
env)  cat "$DIR/s3.env"; exit 0 ;;
rgw-stop)
  stop_pids "$(cat "$DIR/run/rgw.spawn.pid")"; exit ;;
rgw-start)
  spawn rgw radosgw -n client.rgw
  wait_rgw "$(rgw_port)"
  log "radosgw up again"; exit 0 ;;
start) ;;
*) die "unknown command $cmd" ;;
esac

PORT=${3:-${S3_PORT:-7480}}
MON_PORT=${S3_MON_PORT:-$((PORT+1))}
STORE=${S3_OSD_STORE:-memstore}
WITH_MGR=${S3_WITH_MGR:-1}
AK=${S3_ACCESS_KEY:-TESTACCESSKEY0000001}
SK=${S3_SECRET_KEY:-testsecretkey0000000000000000000000000001}
for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph uuidgen; do
  command -v $b >/dev/null || die "missing $b (apt-get install radosgw ceph-mon ceph-osd ceph-mgr)"
done
[ "$WITH_MGR" = 1 ] && { command -v ceph-mgr >/dev/null || die "missing ceph-mgr"; }

# a previous run in DIR? stop it, then start from nothing
[ -d "$DIR/run" ] && stop_all
rm -rf "${DIR:?}"/{mon.a,mgr.x,osd.0,run,log,crash,ceph.conf,monmap,s3.env}
mkdir -p "$DIR"/{mon.a,mgr.x,osd.0,run,log,crash}
FSID=$(uuidgen)
trap 'rc=$?; [ $rc = 0 ] || { log "start failed, stopping daemons"; stop_all; }' EXIT

cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
crash dir = $DIR/crash
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
[mon]
mon data = $DIR/mon.\$id
mon cluster log file = $DIR/log/cluster.log
mon data avail warn = 1
mon data avail crit = 0
[mgr]
mgr data = $DIR/mgr.\$id
[osd]
osd data = $DIR/osd.\$id
osd objectstore = $STORE
memstore device bytes = 1073741824
bluestore block create = true
bluestore block size = 10737418240
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096
osd op num shards = 1
osd op num threads per shard = 2
[client.rgw]
# radosgw's built-in defaults ask for a cephx+secure mon session; with
# auth none that fails with "get_initial_auth_request returned -13"
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
rgw enable usage log = false
rgw thread pool size = 32
EOF

t0=$(date +%s.%N)
monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a -c "$CONF" --monmap "$DIR/monmap" >>"$DIR/log/mkfs.out" 2>&1 || die "mon mkfs failed (see $DIR/log)"
spawn mon.a ceph-mon -i a
wait_for "mon" ceph -c "$CONF" --connect-timeout 2 mon stat
log "mon up"

if [ "$WITH_MGR" = 1 ]; then spawn mgr.x ceph-mgr -i x; fi

OSD_UUID=$(uuidgen)
OSD_ID=$(ceph_ osd new "$OSD_UUID")
[ "$OSD_ID" = 0 ] || die "unexpected osd id $OSD_ID"
ceph-osd -i 0 -c "$CONF" --mkfs --osd-uuid "$OSD_UUID" >>"$DIR/log/mkfs.out" 2>&1 || die "osd mkfs failed (see $DIR/log)"
spawn osd.0 ceph-osd -i 0
wait_for "osd up" sh -c "ceph -c '$CONF' osd dump 2>/dev/null | grep -q '^osd.0 up'"
log "osd up"

spawn rgw radosgw -n client.rgw
wait_rgw "$PORT"
log "radosgw up"

timeout "$T" radosgw-admin -c "$CONF" user create --uid tester --display-name tester \
  --access-key "$AK" --secret-key "$SK" >>"$DIR/log/user.out" 2>&1 || die "user create failed"
t1=$(date +%s.%N)
log "ready in $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s"

cat >"$DIR/s3.env" <<EOF
S3_ENDPOINT=http://127.0.0.1:$PORT
S3_ACCESS_KEY=$AK
S3_SECRET_KEY=$SK
S3_REGION=us-east-1
CEPH_CONF=$CONF
EOF
cat "$DIR/s3.env"
