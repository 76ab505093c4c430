#!/usr/bin/python3
"""Injects RSTs no server sends into a real recording of three HTTP connections to nginx
(scripts/record-reassembly.sh), the way a third party on the path would: the endpoints never act
on them, so every exchange goes on as recorded. Writes the result with the recording's own link
type and timestamps; each injected packet sits halfway between its neighbours in time.

  1st connection: before the handshake completes, a RST from the server's side whose ACK is not
     the SYN's (a client in SYN-SENT drops it: RFC 793 3.9), then one from the client's side
     whose sequence number is far out of the server's window.
  2nd connection (two requests, keep-alive): between the first response and the second request,
     a RST from the server's side with its sequence number 2^30 past the server's next one.
  3rd connection: between the request and the response, a RST from the server's side at
     exactly the server's next sequence number, which the client never gets (the capture shows
     the conversation going on).

Usage: inject-rst.py IN.pcap OUT.pcap SERVER_PORT
"""
import sys

from scapy.all import IP, TCP, Ether, PcapWriter, rdpcap

src, dst, server_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
packets = list(rdpcap(src))


def client_port(p):
    return p[TCP].dport if p[TCP].sport == server_port else p[TCP].sport


def from_server(p):
    return p[TCP].sport == server_port


connections = []
for p in packets:
    if p[TCP].flags == 'S' and client_port(p) not in connections:
        connections.append(client_port(p))
if len(connections) != 3:
    sys.exit(f'{src}: {len(connections)} connections, expected 3')


def index_of(port, test, start=0):
    """Index of the first packet of connection `port` from `start` on that `test` accepts."""
    for i in range(start, len(packets)):
        if client_port(packets[i]) == port and test(packets[i]):
            return i
    sys.exit(f'{src}: connection {port} lacks an expected packet')


def next_seq(port, before, server_side):
    """The next sequence number of one side of connection `port`, from the packets before index `before`."""
    seq = None
    for p in packets[:before]:
        if client_port(p) != port or from_server(p) != server_side:
            continue
        t = p[TCP]
        seq = (t.seq + len(t.payload) + (1 if t.flags.S or t.flags.F else 0)) & 0xFFFFFFFF
    return seq


def rst(template, seq, ack, flags):
    """A RST in the direction of `template` (a packet of the recording)."""
    ip, t = template[IP], template[TCP]
    return (Ether(src=template[Ether].src, dst=template[Ether].dst, type=template[Ether].type)
            / IP(src=ip.src, dst=ip.dst, ttl=64, flags='DF')
            / TCP(sport=t.sport, dport=t.dport, seq=seq, ack=ack, flags=flags, window=0))


injections = []  # (index to insert before, packet)
first, second, third = connections

syn = index_of(first, lambda p: p[TCP].flags == 'S')
syn_ack = index_of(first, lambda p: p[TCP].flags == 'SA')
handshake_ack = index_of(first, lambda p: not from_server(p) and p[TCP].flags == 'A', syn_ack)
client_isn = packets[syn][TCP].seq
injections.append((syn_ack, rst(packets[syn_ack], 0x5EED0000, (client_isn + 1 + 0x2000) & 0xFFFFFFFF, 'RA')))
injections.append((handshake_ack, rst(packets[syn], (client_isn + 1 + (1 << 30)) & 0xFFFFFFFF, 0, 'R')))

first_response = index_of(second, lambda p: from_server(p) and len(p[TCP].payload) > 0)
second_request = index_of(second, lambda p: not from_server(p) and len(p[TCP].payload) > 0, first_response)
injections.append((second_request, rst(packets[first_response],
                                       (next_seq(second, second_request, True) + (1 << 30)) & 0xFFFFFFFF,
                                       next_seq(second, second_request, False), 'RA')))

request = index_of(third, lambda p: not from_server(p) and len(p[TCP].payload) > 0)
response = index_of(third, lambda p: from_server(p) and len(p[TCP].payload) > 0, request)
injections.append((response, rst(packets[response], next_seq(third, response, True), next_seq(third, response, False), 'RA')))

for at, p in sorted(injections, key=lambda i: i[0], reverse=True):
    p.time = (packets[at - 1].time + packets[at].time) / 2
    packets.insert(at, p)

writer = PcapWriter(dst, linktype=1, sync=True)
for p in packets:
    writer.write(p)
writer.close()
