#!/usr/bin/env bash
# netns-bed.sh: the multi-host test bed. Builds network namespaces on 198.18.0.0/15 that stand for
# hosts on a LAN, optionally a second LAN behind a NAT router and up to four more private LANs each
# behind a NAT router of its own (an internet-shaped bed), and always removes them again.
# Nothing is created in the root namespace: every bridge lives in a namespace of its own and every
# veth is created directly between two bed namespaces, so the host's own network is never touched.
#
#   netns-bed.sh up   --prefix P --hosts N [--lan2-hosts M] [--router] [--nat-lans K [--nat-hosts L]]
#                     [--nat-kinds eim,random,fully-random,...] [--netem "delay 20ms loss 1%"]
#   netns-bed.sh down --prefix P          (idempotent; kills what runs inside first)
#   netns-bed.sh exec --prefix P --host h3 -- cmd...   (hI, pJ, nKhJ, router, nKrouter, lan, lan2, nKlan)
#   netns-bed.sh list [--prefix P]
#   netns-bed.sh probe                    (checks that a bed can be built here; prints why not)
#   netns-bed.sh loss      --prefix P --host hI --percent 3.5   (0 removes the loss)
#   netns-bed.sh delay     --prefix P --host hI --queue N       (NFQUEUE rule for butter-netfault)
#   netns-bed.sh undelay   --prefix P --host hI --queue N
#   netns-bed.sh partition --prefix P --a h1,h2,h3 --b h4,h5,h6
#   netns-bed.sh heal      --prefix P
#   netns-bed.sh counters  --prefix P     ("hI loss_dropped N partition_dropped N", one host a line)
#   netns-bed.sh fault-probe              (checks that loss, partition and NFQUEUE rules work here)
#
# Layout made by `up` (i = 1..N, j = 1..M):
#   P-lan      bridge br0 (multicast snooping off), one port hI per host, port r for the router
#   P-hI       eth0 = 198.18.0.(10+I)/24, route 224.0.0.0/4 dev eth0; no default route
#   P-lan2     (when M > 0 or --router) bridge br0 with ports pJ and r
#   P-pJ       eth0 = 198.19.0.(10+J)/24, route 224.0.0.0/4 dev eth0,
#              default via 198.19.0.1 when --router
#   P-router   (--router) lan1 = 198.18.0.1/24, lan2 = 198.19.0.1/24, forwarding on, nftables
#              masquerade of 198.19.0.0/24 leaving on lan1, and new connections from lan1 to lan2
#              dropped: lan2 hosts reach lan1, lan1 cannot reach them (lan1 hosts have no route to
#              198.19.0.0/24 either).
# With --nat-lans K (0..4; --nat-hosts L, 0..200, default 1), for k = 1..K and j = 1..L:
#   P-nKlan    bridge br0 with ports hJ and r
#   P-nKhJ     eth0 = 198.19.K.(10+J)/24, route 224.0.0.0/4 dev eth0, default via 198.19.K.1
#   P-nKrouter out = 198.18.0.(1+K)/24 (port rK of P-lan), in = 198.19.K.1/24, forwarding on,
#              nftables masquerade of 198.19.K.0/24 leaving on out, new connections from out to in
#              dropped. Routers have no default route, so one private LAN never reaches another
#              (nor lan2) except through a public host; multicast (TTL 1) stays on its own LAN.
#              Public hosts reach the routers' outside addresses directly, on their LAN.
# --nat-kinds KIND1,KIND2,... (one per NAT LAN, in order; the NAT lab for hole punching) gives
#   router k a mapping behaviour and a real NAT's filtering:
#     eim           masquerade as Linux does by default: endpoint-independent, port-preserving
#                   mapping (the source port is kept when free), address- and port-dependent filtering
#     random        masquerade random: the mapped port is randomised (keyed per destination),
#                   so peers see a port they cannot predict ("symmetric")
#     fully-random  masquerade fully-random: a fresh random port for every connection
#   and with any kind, unsolicited TCP to the router's outside address is DROPPED (as most home
#   routers do) instead of answered with a reset, so a hole-punching SYN that arrives before the
#   other side's has opened the mapping is lost, not refused. Without hairpinning (the default) a
#   host cannot reach a neighbour through their router's outside address (the router refuses);
#   KIND+hairpin (e.g. eim+hairpin) adds it: TCP from the inside to the outside address and a
#   port the NAT maps (for any of its hosts' outbound connections) reaches that host, with the
#   caller's source rewritten to the outside address (see make_hairpin).
# --netem applies `tc qdisc add dev eth0 root netem ARGS` on every host (hI, pJ and nKhJ).
#
#
# Faults without sch_netem (see "Faults" below): loss and partitions are nftables rules in table
# `inet butter_fault` of each host, with named counters loss_dropped and partition_dropped that
# last as long as the bed; delay is an iptables NFQUEUE rule on eth0's output (--queue-bypass: with
# no program bound, packets pass) served by tests/tools/netfault (butter-netfault) running inside
# the same host namespace, e.g. for 30 ms ± 10 ms on h1:
#   netns-bed.sh exec --prefix P --host h1 -- build/bin/butter-netfault --queue 0 --delay-ms 30 --jitter-ms 10 &
#   netns-bed.sh delay --prefix P --host h1 --queue 0
# Everything lives in the host namespaces, so `down` removes it (and kills butter-netfault).
#
# Interface names are fixed and short (eth0, br0, hI, pJ, r, rK, lan1, lan2, in, out), whatever the
# prefix, so
# the 15-character limit on interface names never bites; the prefix only names namespaces.
# `up` first removes any stale bed with the same prefix, and on any failure removes what it made.
set -euo pipefail

prog=$(basename "$0")
die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# REQUIRES: $1 is a valid prefix. Prints the namespaces of the bed with that prefix, one a line.
bed_namespaces() {
  local prefix=$1
  ip netns list 2>/dev/null | awk '{print $1}' |
    grep -E "^${prefix}-(lan|lan2|router|h[0-9]+|p[0-9]+|n[0-9]+(lan|router|h[0-9]+))\$" || true
}

check_prefix() {
  local prefix=$1
  [ -n "$prefix" ] || die "--prefix is required"
  [[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9_]{0,31}$ ]] ||
    die "bad prefix '$prefix': 1 to 32 characters of [A-Za-z0-9_], not starting with '_'"
}

# Kills every process inside the bed's namespaces (SIGTERM, a short bounded wait, then SIGKILL),
# then deletes the namespaces. Never fails.
bed_down() {
  local prefix=$1 ns pids any i
  local -a spaces
  mapfile -t spaces < <(bed_namespaces "$prefix")
  [ ${#spaces[@]} -gt 0 ] || return 0
  any=0
  for ns in "${spaces[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      any=1
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
    fi
  done
  if [ "$any" = 1 ]; then
    for i in $(seq 1 20); do   # at most 2 s for a clean exit
      any=0
      for ns in "${spaces[@]}"; do
        [ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ] || any=1
      done
      [ "$any" = 1 ] || break
      sleep 0.1
    done
    for ns in "${spaces[@]}"; do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      # shellcheck disable=SC2086
      [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    done
  fi
  for ns in "${spaces[@]}"; do
    ip netns delete "$ns" 2>/dev/null || true
  done
  # A namespace whose mount point is busy may survive one attempt; retry a bounded number of times.
  for i in $(seq 1 10); do
    mapfile -t spaces < <(bed_namespaces "$prefix")
    [ ${#spaces[@]} -gt 0 ] || return 0
    for ns in "${spaces[@]}"; do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      # shellcheck disable=SC2086
      [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
      ip netns delete "$ns" 2>/dev/null || true
    done
    sleep 0.1
  done
  mapfile -t spaces < <(bed_namespaces "$prefix")
  [ ${#spaces[@]} -eq 0 ] || note "warning: could not remove: ${spaces[*]}"
  return 0
}

# Runs a command, and on failure says which one failed (with its output) before failing.
run() {
  local out
  if ! out=$("$@" 2>&1); then
    echo "$prog: error: command failed: $*" >&2
    [ -z "$out" ] || printf '    %s\n' "${out//$'\n'/$'\n'    }" >&2
    return 1
  fi
}

# A bridge namespace: br0, up, without multicast snooping (so multicast is flooded to every port).
make_bridge_ns() {
  local ns=$1
  run ip netns add "$ns"
  run ip -n "$ns" link set lo up
  run ip -n "$ns" link add br0 type bridge mcast_snooping 0
  run ip -n "$ns" link set br0 up
}

# A host namespace `ns` with eth0 = `addr`, plugged into port `port` of the bridge in `bridge_ns`.
make_host_ns() {
  local ns=$1 bridge_ns=$2 port=$3 addr=$4 out
  run ip netns add "$ns"
  run ip -n "$ns" link set lo up
  run ip -n "$bridge_ns" link add "$port" type veth peer name eth0 netns "$ns"
  run ip -n "$bridge_ns" link set "$port" master br0
  run ip -n "$bridge_ns" link set "$port" up
  run ip -n "$ns" link set eth0 multicast on
  run ip -n "$ns" addr add "$addr" dev eth0
  run ip -n "$ns" link set eth0 up
  run ip -n "$ns" route add 224.0.0.0/4 dev eth0
  if [ -n "$netem" ]; then
    # shellcheck disable=SC2086
    if ! out=$(ip netns exec "$ns" tc qdisc add dev eth0 root netem $netem 2>&1); then
      if [[ $out == *"qdisc kind is unknown"* ]]; then
        die "--netem: this kernel has no netem qdisc (sch_netem): $out"
      fi
      die "--netem '$netem' on $ns failed: $out"
    fi
  fi
}

# Hairpinning on NAT router namespace `r` whose outside address is `public`: a TCP connection
# from the inside to public:P reaches the inside host:port that the NAT maps to P (the mapping of
# any outbound TCP connection, learnt into map @hairpin as it is made, kept 10 minutes), with the
# source rewritten to `public` (port kept when free), so the neighbour sees the caller as the
# outside world does. Redirects are off: the router forwards back out of `in` on purpose.
make_hairpin() {
  local r=$1 public=$2
  run ip netns exec "$r" sysctl -q -w net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.in.send_redirects=0
  run ip netns exec "$r" nft -f - <<EOF
table ip hairpin {
  map hairpin {
    type inet_service : ipv4_addr . inet_service
    flags dynamic,timeout
    timeout 10m
  }
  chain learn {
    type filter hook postrouting priority srcnat + 10; policy accept;
    oifname "out" meta l4proto tcp ct state new ct status snat add @hairpin { ct reply proto-dst : ct original ip saddr . ct original proto-src }
  }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "in" ip daddr $public meta l4proto tcp dnat ip to tcp dport map @hairpin
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    iifname "in" oifname "in" ct status dnat snat ip to $public
  }
}
EOF
}

# Private LAN `k` of the bed with prefix `prefix`: bridge namespace P-nKlan, `n` hosts P-nKhJ on
# 198.19.K.0/24, and router P-nKrouter between it and the public LAN (P-lan, port rK), which
# masquerades what leaves and drops new connections coming in.
make_nat_lan() {
  local prefix=$1 k=$2 n=$3 kind=${4:-} j
  local flags="" input_rule="" hairpin=0
  if [[ $kind == *+hairpin ]]; then hairpin=1; kind=${kind%+hairpin}; fi
  case $kind in
    "") ;;
    eim) ;;
    random) flags=" random" ;;
    fully-random) flags=" fully-random" ;;
    *) die "--nat-kinds: unknown kind '$kind' (eim, random or fully-random, each optionally +hairpin)" ;;
  esac
  [ -n "$kind" ] && input_rule="iifname \"out\" ct state new drop"
  local r="$prefix-n${k}router" br="$prefix-n${k}lan"
  make_bridge_ns "$br"
  for j in $(seq 1 "$n"); do
    make_host_ns "$prefix-n${k}h$j" "$br" "h$j" "198.19.$k.$((10 + j))/24"
  done
  run ip netns add "$r"
  run ip -n "$r" link set lo up
  run ip -n "$prefix-lan" link add "r$k" type veth peer name out netns "$r"
  run ip -n "$prefix-lan" link set "r$k" master br0
  run ip -n "$prefix-lan" link set "r$k" up
  run ip -n "$br" link add r type veth peer name in netns "$r"
  run ip -n "$br" link set r master br0
  run ip -n "$br" link set r up
  run ip -n "$r" addr add "198.18.0.$((1 + k))/24" dev out
  run ip -n "$r" addr add "198.19.$k.1/24" dev in
  run ip -n "$r" link set out up
  run ip -n "$r" link set in up
  run ip netns exec "$r" sysctl -q -w net.ipv4.ip_forward=1
  run ip netns exec "$r" nft -f - <<EOF
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 198.19.$k.0/24 oifname "out" masquerade$flags
  }
}
table ip filter {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "out" oifname "in" ct state established,related accept
    iifname "out" oifname "in" drop
  }
  chain input {
    type filter hook input priority filter; policy accept;
    $input_rule
  }
}
EOF
  if [ "$hairpin" = 1 ]; then make_hairpin "$r" "198.18.0.$((1 + k))"; fi
  for j in $(seq 1 "$n"); do
    run ip -n "$prefix-n${k}h$j" route add default via "198.19.$k.1" dev eth0
  done
}

# EXIT trap of `up`: on failure (or interruption), removes the half-built bed.
on_up_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ]; then
    note "up failed; removing bed $cleanup_prefix"
    bed_down "$cleanup_prefix"
  fi
  exit "$rc"
}

cmd_up() {
  local prefix="" hosts="" lan2_hosts=0 router=0 nat_lans=0 nat_hosts="" nat_kinds=""
  netem=""
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      --hosts) [ $# -ge 2 ] || die "--hosts needs a value"; hosts=$2; shift 2 ;;
      --lan2-hosts) [ $# -ge 2 ] || die "--lan2-hosts needs a value"; lan2_hosts=$2; shift 2 ;;
      --router) router=1; shift ;;
      --nat-lans) [ $# -ge 2 ] || die "--nat-lans needs a value"; nat_lans=$2; shift 2 ;;
      --nat-hosts) [ $# -ge 2 ] || die "--nat-hosts needs a value"; nat_hosts=$2; shift 2 ;;
      --nat-kinds) [ $# -ge 2 ] || die "--nat-kinds needs a value"; nat_kinds=$2; shift 2 ;;
      --netem) [ $# -ge 2 ] || die "--netem needs a value"; netem=$2; shift 2 ;;
      *) die "up: unknown argument '$1'" ;;
    esac
  done
  check_prefix "$prefix"
  if ! [[ $hosts =~ ^[0-9]{1,3}$ ]] || [ "$hosts" -lt 1 ] || [ "$hosts" -gt 200 ]; then
    die "--hosts must be a number from 1 to 200 (got '$hosts')"
  fi
  if ! [[ $lan2_hosts =~ ^[0-9]{1,3}$ ]] || [ "$lan2_hosts" -gt 200 ]; then
    die "--lan2-hosts must be a number from 0 to 200 (got '$lan2_hosts')"
  fi
  if ! [[ $nat_lans =~ ^[0-9]$ ]] || [ "$nat_lans" -gt 4 ]; then
    die "--nat-lans must be a number from 0 to 4 (got '$nat_lans')"
  fi
  if [ -n "$nat_hosts" ]; then
    [ "$nat_lans" -gt 0 ] || die "--nat-hosts needs --nat-lans"
    if ! [[ $nat_hosts =~ ^[0-9]{1,3}$ ]] || [ "$nat_hosts" -gt 200 ]; then
      die "--nat-hosts must be a number from 0 to 200 (got '$nat_hosts')"
    fi
  else
    nat_hosts=1
  fi
  local -a kinds=()
  if [ -n "$nat_kinds" ]; then
    IFS=, read -r -a kinds <<<"$nat_kinds"
    [ "${#kinds[@]}" -eq "$nat_lans" ] || die "--nat-kinds needs one kind per NAT LAN ($nat_lans), got '$nat_kinds'"
    for kind in "${kinds[@]}"; do
      [[ $kind =~ ^(eim|random|fully-random)(\+hairpin)?$ ]] || die "--nat-kinds: unknown kind '$kind' (eim, random or fully-random, each optionally +hairpin)"
    done
  fi
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
  command -v ip >/dev/null || die "'ip' (iproute2) not found"
  if [ "$router" = 1 ] || [ "$nat_lans" -gt 0 ]; then command -v nft >/dev/null || die "'nft' (nftables) not found"; fi
  if [ -n "$netem" ]; then command -v tc >/dev/null || die "'tc' (iproute2) not found"; fi

  bed_down "$prefix"   # a stale bed from a killed run with the same prefix

  # From here on, any failure or interruption removes what was made.
  cleanup_prefix=$prefix
  trap on_up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local i
  make_bridge_ns "$prefix-lan"
  for i in $(seq 1 "$hosts"); do
    make_host_ns "$prefix-h$i" "$prefix-lan" "h$i" "198.18.0.$((10 + i))/24"
  done

  if [ "$lan2_hosts" -gt 0 ] || [ "$router" = 1 ]; then
    make_bridge_ns "$prefix-lan2"
    for i in $(seq 1 "$lan2_hosts"); do
      make_host_ns "$prefix-p$i" "$prefix-lan2" "p$i" "198.19.0.$((10 + i))/24"
    done
  fi

  if [ "$router" = 1 ]; then
    local r="$prefix-router"
    run ip netns add "$r"
    run ip -n "$r" link set lo up
    run ip -n "$prefix-lan" link add r type veth peer name lan1 netns "$r"
    run ip -n "$prefix-lan2" link add r type veth peer name lan2 netns "$r"
    for lan in lan lan2; do
      run ip -n "$prefix-$lan" link set r master br0
      run ip -n "$prefix-$lan" link set r up
    done
    run ip -n "$r" addr add 198.18.0.1/24 dev lan1
    run ip -n "$r" addr add 198.19.0.1/24 dev lan2
    run ip -n "$r" link set lan1 up
    run ip -n "$r" link set lan2 up
    run ip netns exec "$r" sysctl -q -w net.ipv4.ip_forward=1
    run ip netns exec "$r" nft -f - <<'EOF'
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 198.19.0.0/24 oifname "lan1" masquerade
  }
}
table ip filter {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "lan1" oifname "lan2" ct state established,related accept
    iifname "lan1" oifname "lan2" drop
  }
}
EOF
    for i in $(seq 1 "$lan2_hosts"); do
      run ip -n "$prefix-p$i" route add default via 198.19.0.1 dev eth0
    done
  fi

  local k
  for k in $(seq 1 "$nat_lans"); do
    make_nat_lan "$prefix" "$k" "$nat_hosts" "${kinds[$((k - 1))]:-}"
  done

  trap - EXIT INT TERM
  echo "$prog: bed $prefix is up: $hosts host(s) on 198.18.0.0/24$([ "$lan2_hosts" -gt 0 ] && echo ", $lan2_hosts on 198.19.0.0/24")$([ "$router" = 1 ] && echo ", NAT router")$([ "$nat_lans" -gt 0 ] && echo ", $nat_lans NAT LAN(s) of $nat_hosts host(s) on 198.19.1-$nat_lans.0/24")$([ -n "$netem" ] && echo ", netem '$netem'")"
}

cmd_down() {
  local prefix=""
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      *) die "down: unknown argument '$1'" ;;
    esac
  done
  check_prefix "$prefix"
  bed_down "$prefix"
}

cmd_exec() {
  local prefix="" host=""
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      --host) [ $# -ge 2 ] || die "--host needs a value"; host=$2; shift 2 ;;
      --) shift; break ;;
      *) die "exec: unknown argument '$1' (the command goes after --)" ;;
    esac
  done
  check_prefix "$prefix"
  [[ $host =~ ^(h[0-9]+|p[0-9]+|router|lan|lan2|n[0-9]+(h[0-9]+|router|lan))$ ]] ||
    die "--host must be hN, pN, nKhN, router, nKrouter, lan, lan2 or nKlan (got '$host')"
  [ $# -gt 0 ] || die "exec: no command after --"
  ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$prefix-$host" || die "no namespace $prefix-$host"
  exec ip netns exec "$prefix-$host" "$@"
}

cmd_list() {
  local prefix=""
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      *) die "list: unknown argument '$1'" ;;
    esac
  done
  if [ -n "$prefix" ]; then
    check_prefix "$prefix"
    bed_namespaces "$prefix"
  else
    # Every namespace that looks like part of a bed, grouped by prefix.
    ip netns list 2>/dev/null | awk '{print $1}' |
      grep -E '^[A-Za-z0-9][A-Za-z0-9_]*-(lan|lan2|router|h[0-9]+|p[0-9]+|n[0-9]+(lan|router|h[0-9]+))$' |
      sed -E 's/^(.*)-([^-]+)$/\1 \2/' | sort |
      awk '{a[$1] = a[$1] " " $2} END {for (p in a) print p ":" a[p]}' || true
  fi
}

# Builds and removes a one-host bed under a private prefix; prints the reason on failure.
cmd_probe() {
  [ "$(id -u)" -eq 0 ] || { echo "not running as root"; exit 1; }
  command -v ip >/dev/null || { echo "'ip' (iproute2) not found"; exit 1; }
  command -v nft >/dev/null || { echo "'nft' (nftables) not found"; exit 1; }
  command -v ping >/dev/null || { echo "'ping' (iputils-ping) not found"; exit 1; }
  local prefix="btprobe$$" out
  if ! out=$("$0" up --prefix "$prefix" --hosts 1 --lan2-hosts 1 --router 2>&1); then
    bed_down "$prefix"
    echo "cannot build a test bed: $out"
    exit 1
  fi
  bed_down "$prefix"
  echo "ok"
}

# --- Faults ----------------------------------------------------------------------------------------

# REQUIRES: $1 is hI, pJ or nKhJ. Prints its address.
host_addr() {
  case $1 in
    h*) echo "198.18.0.$((10 + ${1#h}))" ;;
    p*) echo "198.19.0.$((10 + ${1#p}))" ;;
    n*) local kj=${1#n}; echo "198.19.${kj%h*}.$((10 + ${kj#*h}))" ;;
  esac
}

# Checks --prefix/--host and that the namespace exists; prints the namespace.
fault_host_ns() {
  local prefix=$1 host=$2
  check_prefix "$prefix"
  [[ $host =~ ^([hp]|n[0-9]h)[0-9]{1,3}$ ]] || die "--host must be hN, pN or nKhN (got '$host')"
  ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF "$prefix-$host" || die "no namespace $prefix-$host"
  echo "$prefix-$host"
}

# The fault table of namespace $1 (idempotent): named counters, the loss chain and the partition
# chains. Partition rules run first (priority -20), then loss (-10), then iptables' NFQUEUE (0).
fault_table() {
  ip netns exec "$1" nft -f - <<'EOF'
add table inet butter_fault
add counter inet butter_fault loss_dropped
add counter inet butter_fault partition_dropped
add chain inet butter_fault loss_out { type filter hook output priority -10; policy accept; }
add chain inet butter_fault part_out { type filter hook output priority -20; policy accept; }
add chain inet butter_fault part_in { type filter hook input priority -20; policy accept; }
EOF
}

cmd_loss() {
  local prefix="" host="" percent="" ns permille
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      --host) [ $# -ge 2 ] || die "--host needs a value"; host=$2; shift 2 ;;
      --percent) [ $# -ge 2 ] || die "--percent needs a value"; percent=$2; shift 2 ;;
      *) die "loss: unknown argument '$1'" ;;
    esac
  done
  ns=$(fault_host_ns "$prefix" "$host")
  [[ $percent =~ ^([0-9]{1,3})(\.([0-9]))?$ ]] || die "--percent must be 0 to 100 with at most one decimal (got '$percent')"
  permille=$((10#${BASH_REMATCH[1]} * 10 + 10#${BASH_REMATCH[3]:-0}))
  [ "$permille" -le 1000 ] || die "--percent must be at most 100"
  fault_table "$ns" || die "cannot create the fault table in $ns"
  ip netns exec "$ns" nft flush chain inet butter_fault loss_out || die "cannot flush the loss chain in $ns"
  if [ "$permille" -gt 0 ]; then
    ip netns exec "$ns" nft add rule inet butter_fault loss_out oifname eth0 \
      numgen random mod 1000 '<' "$permille" counter name loss_dropped drop || die "cannot add the loss rule in $ns"
  fi
}

cmd_delay() {
  local verb=$1 prefix="" host="" queue="" ns
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      --host) [ $# -ge 2 ] || die "--host needs a value"; host=$2; shift 2 ;;
      --queue) [ $# -ge 2 ] || die "--queue needs a value"; queue=$2; shift 2 ;;
      *) die "$verb: unknown argument '$1'" ;;
    esac
  done
  ns=$(fault_host_ns "$prefix" "$host")
  if ! [[ $queue =~ ^[0-9]{1,5}$ ]] || [ "$queue" -gt 65535 ]; then
    die "--queue must be 0 to 65535 (got '$queue')"
  fi
  command -v iptables >/dev/null || die "'iptables' not found (scripts/install-deps.sh installs it)"
  local -a rule=(OUTPUT -o eth0 -j NFQUEUE --queue-num "$queue" --queue-bypass)
  if [ "$verb" = delay ]; then
    ip netns exec "$ns" iptables -C "${rule[@]}" 2>/dev/null && return 0
    local out
    out=$(ip netns exec "$ns" iptables -A "${rule[@]}" 2>&1) ||
      die "cannot add the NFQUEUE rule in $ns (needs iptables-nft with xt_NFQUEUE): $out"
  else
    while ip netns exec "$ns" iptables -C "${rule[@]}" 2>/dev/null; do
      ip netns exec "$ns" iptables -D "${rule[@]}" || die "cannot remove the NFQUEUE rule in $ns"
    done
  fi
}

# Comma-separated hosts -> the list of their addresses, "a, b, c" (dies on a bad host).
host_list_addrs() {
  local prefix=$1 list=$2 h addrs=""
  IFS=, read -r -a hs <<<"$list"
  [ ${#hs[@]} -gt 0 ] || die "empty host list"
  for h in "${hs[@]}"; do
    fault_host_ns "$prefix" "$h" >/dev/null
    addrs+="${addrs:+, }$(host_addr "$h")"
  done
  echo "$addrs"
}

cmd_partition() {
  local prefix="" a="" b="" side list other ns h
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      --a) [ $# -ge 2 ] || die "--a needs a value"; a=$2; shift 2 ;;
      --b) [ $# -ge 2 ] || die "--b needs a value"; b=$2; shift 2 ;;
      *) die "partition: unknown argument '$1'" ;;
    esac
  done
  check_prefix "$prefix"
  local addrs_a addrs_b
  addrs_a=$(host_list_addrs "$prefix" "$a")
  addrs_b=$(host_list_addrs "$prefix" "$b")
  # Each side drops what it sends to the other and what it receives from it (multicast included).
  for side in a b; do
    if [ $side = a ]; then list=$a; other=$addrs_b; else list=$b; other=$addrs_a; fi
    IFS=, read -r -a hs <<<"$list"
    for h in "${hs[@]}"; do
      ns="$prefix-$h"
      fault_table "$ns" || die "cannot create the fault table in $ns"
      ip netns exec "$ns" nft -f - <<EOF || die "cannot add the partition rules in $ns"
add rule inet butter_fault part_out ip daddr { $other } counter name partition_dropped drop
add rule inet butter_fault part_in ip saddr { $other } counter name partition_dropped drop
EOF
    done
  done
}

cmd_heal() {
  local prefix="" ns
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      *) die "heal: unknown argument '$1'" ;;
    esac
  done
  check_prefix "$prefix"
  while read -r ns; do
    [[ $ns =~ -([hp]|n[0-9]+h)[0-9]+$ ]] || continue
    ip netns exec "$ns" nft list table inet butter_fault >/dev/null 2>&1 || continue
    ip netns exec "$ns" nft flush chain inet butter_fault part_out || die "cannot heal $ns"
    ip netns exec "$ns" nft flush chain inet butter_fault part_in || die "cannot heal $ns"
  done < <(bed_namespaces "$prefix")
}

cmd_counters() {
  local prefix="" ns
  while [ $# -gt 0 ]; do
    case $1 in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
      *) die "counters: unknown argument '$1'" ;;
    esac
  done
  check_prefix "$prefix"
  while read -r ns; do
    [[ $ns =~ -(([hp]|n[0-9]+h)[0-9]+)$ ]] || continue
    local host=${BASH_REMATCH[1]}
    { ip netns exec "$ns" nft list counters table inet butter_fault 2>/dev/null || true; } |
      awk -v h="$host" '/counter /{name=$2} /packets/{v[name]=$2}
        END {printf "%s loss_dropped %d partition_dropped %d\n", h, v["loss_dropped"], v["partition_dropped"]}'
  done < <(bed_namespaces "$prefix")
}

# Builds a two-host bed and tries every fault rule; prints why not on failure.
cmd_fault_probe() {
  [ "$(id -u)" -eq 0 ] || { echo "not running as root"; exit 1; }
  command -v nft >/dev/null || { echo "'nft' (nftables) not found"; exit 1; }
  command -v iptables >/dev/null || { echo "'iptables' not found (scripts/install-deps.sh installs it)"; exit 1; }
  local prefix="btfprobe$$" out rc=0
  if ! out=$("$0" up --prefix "$prefix" --hosts 2 2>&1); then
    bed_down "$prefix"
    echo "cannot build a test bed: $out"
    exit 1
  fi
  out=$( { "$0" loss --prefix "$prefix" --host h1 --percent 1.5 &&
           "$0" delay --prefix "$prefix" --host h1 --queue 0 &&
           "$0" undelay --prefix "$prefix" --host h1 --queue 0 &&
           "$0" partition --prefix "$prefix" --a h1 --b h2 &&
           "$0" heal --prefix "$prefix"; } 2>&1) || rc=1
  bed_down "$prefix"
  if [ $rc -ne 0 ]; then
    echo "fault rules do not work here: $out"
    exit 1
  fi
  echo "ok"
}

[ $# -ge 1 ] || usage
sub=$1; shift
case $sub in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  exec) cmd_exec "$@" ;;
  list) cmd_list "$@" ;;
  probe) cmd_probe "$@" ;;
  loss) cmd_loss "$@" ;;
  delay|undelay) cmd_delay "$sub" "$@" ;;
  partition) cmd_partition "$@" ;;
  heal) cmd_heal "$@" ;;
  counters) cmd_counters "$@" ;;
  fault-probe) cmd_fault_probe "$@" ;;
  -h|--help|help) usage ;;
  *) note "unknown command '$sub'"; usage ;;
esac
