#!/usr/bin/env bash
# Records the bundled tunnel captures (captures/tunnel-*.pcap). Real VXLAN: two network
# namespaces joined by a veth pair (the underlay), VXLAN devices on it, a python http.server in
# one namespace and curl in the other talking over the overlay; tcpdump on the underlay veth.
# Then scripts/build-tunnels.py wraps the inner frames of the VXLAN capture in the encapsulations
# this kernel cannot make (it has no gre, geneve, ipip, sit, ip6tnl or mpls_router): see there.
# Needs root (namespaces, tcpdump); installs missing Debian packages. Everything runs inside the
# two namespaces this script creates (pdt-tun-a, pdt-tun-b), removed on exit.
# Addresses: underlay 198.18.0.0/24 and fd00:18::/64; overlays 192.168.42.0/24 + fd42::/64
# (VNI 42 over IPv4), 192.168.46.0/24 (VNI 46 over IPv6), 192.168.43.0/24 (VNI 43 inside VNI 42).
# Usage: scripts/record-tunnels.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN for the HTTP server (default 18680, inside namespace pdt-tun-b).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-18680}

install_missing tcpdump:tcpdump ip:iproute2 curl:curl capinfos:tshark 'import scapy:python3-scapy'

a='ip netns exec pdt-tun-a'
b='ip netns exec pdt-tun-b'
remove_namespaces() { ip netns del pdt-tun-a; ip netns del pdt-tun-b; }
remove_namespaces >/dev/null 2>&1 || true
ip netns add pdt-tun-a
ip netns add pdt-tun-b
cleanup_hooks+=(remove_namespaces)

ip link add pdt-tun0 netns pdt-tun-a type veth peer name pdt-tun1 netns pdt-tun-b
# side NS UNDERLAY4 UNDERLAY6 PEER4 PEER6 HOST: the underlay, three VXLAN devices, the overlays.
side() {
  local ns="ip netns exec $1" dev=$2 host=$7
  $ns ip link set lo up
  $ns ip link set "$dev" up
  $ns ip addr add "$3/24" dev "$dev"
  $ns ip addr add "$4/64" dev "$dev" nodad
  $ns ip link add vx42 type vxlan id 42 dstport 4789 local "$3" remote "$5" dev "$dev"
  $ns ip link add vx46 type vxlan id 46 dstport 4789 local "$4" remote "$6" dev "$dev"
  $ns ip link set vx42 up
  $ns ip link set vx46 up
  $ns ip addr add "192.168.42.$host/24" dev vx42
  $ns ip addr add "fd42::$host/64" dev vx42 nodad
  $ns ip addr add "192.168.46.$host/24" dev vx46
  local peer=$((3 - host))
  $ns ip link add vx43 type vxlan id 43 dstport 4789 local "192.168.42.$host" remote "192.168.42.$peer"
  $ns ip link set vx43 mtu 1350 up
  $ns ip addr add "192.168.43.$host/24" dev vx43
  # IPv6 router solicitations and MLD reports would add noise to every capture.
  $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.router_solicitations=0
  for d in vx42 vx46 vx43; do $ns sysctl -qw "net.ipv6.conf.$d.router_solicitations=0" "net.ipv6.conf.$d.mldv2_unsolicited_report_interval=0" 2>/dev/null || true; done
}
side pdt-tun-a pdt-tun0 198.18.0.1 fd00:18::1 198.18.0.2 fd00:18::2 1
side pdt-tun-b pdt-tun1 198.18.0.2 fd00:18::2 198.18.0.1 fd00:18::1 2
sleep 1

site="$work/site"
mkdir -p "$site"
printf 'hello through the tunnel\n' >"$site/hello.txt"
# 4 KB: three segments on the overlay's 1450-byte MTU.
/usr/bin/python3 -c "import sys; sys.stdout.write(''.join(f'line {i:04d} of a page sent through a tunnel\n' for i in range(100)))" >"$site/page.txt"
$b /usr/bin/python3 -m http.server "$port" --bind :: --directory "$site" >"$work/http.log" 2>&1 & servers+=($!)
wait_for 5 $a curl -s -o /dev/null "http://192.168.42.2:$port/hello.txt"

# capture_underlay FILE: tcpdump on namespace a's underlay veth, VXLAN only.
capture_underlay() {
  rm -f "$1"
  $a tcpdump -i pdt-tun0 --immediate-mode -U -s 65600 -w "$1" udp port 4789 2>"$work/tcpdump.err" & tcpd=$!
  for _ in $(seq 1 100); do grep -q 'listening on' "$work/tcpdump.err" && return; sleep 0.05; done
  echo "tcpdump did not start: $(cat "$work/tcpdump.err")" >&2; exit 1
}
get() { $a curl -s -o /dev/null --max-time 5 "$@" || true; }

capture_underlay "$out/tunnel-vxlan.pcap"
get "http://192.168.42.2:$port/hello.txt"
get "http://192.168.42.2:$port/page.txt"
get "http://192.168.42.2:$port/missing"              # 404
get "http://[fd42::2]:$port/hello.txt"               # IPv6 inside IPv4 VXLAN
stop_capture

capture_underlay "$out/tunnel-vxlan-ipv6.pcap"
get "http://192.168.46.2:$port/hello.txt"
get "http://192.168.46.2:$port/page.txt"
stop_capture

capture_underlay "$out/tunnel-vxlan-nested.pcap"
get "http://192.168.43.2:$port/hello.txt"
get "http://192.168.43.2:$port/missing"
stop_capture

for entry in tunnel-vxlan:4 tunnel-vxlan-ipv6:2 tunnel-vxlan-nested:2; do
  f="$out/${entry%%:*}.pcap"
  requests=$(count_fields "$f" http.request.method -d "tcp.port==$port,http")
  expect_count "$f" 'HTTP requests' "${entry##*:}" "$requests"
  summarize "$f" "$requests" 'HTTP requests'
done

/usr/bin/python3 "$here/build-tunnels.py" "$out/tunnel-vxlan.pcap" "$out"
