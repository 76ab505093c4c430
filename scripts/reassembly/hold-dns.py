#!/usr/bin/python3
"""Edits a real recording of DNS over TCP (scripts/record-reassembly.sh) into what a tap sees when
the network reorders or loses packets before it, so that queries wait in reassembly behind a
hole. Timestamps stay the recorded ones, in order: a moved packet takes the time of the slot it
moves to.

  1st connection (mdig, two pipelined queries): the second query reaches the tap before the
     first, and the server's ACK of the first after both. The second waits until the first
     fills the hole.
  2nd connection (dig +keepopen, two queries one after the other): the tap lost the first
     query (the server got it and answers it). The second waits behind the hole until the
     server's response to it acknowledges past it.

Usage: hold-dns.py IN.pcap OUT.pcap SERVER_PORT
"""
import sys

from scapy.all import TCP, PcapWriter, rdpcap

src, dst, server_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
packets = list(rdpcap(src))


def client_port(p):
    return p[TCP].dport if p[TCP].sport == server_port else p[TCP].sport


connections = []
for p in packets:
    if p[TCP].flags == 'S' and client_port(p) not in connections:
        connections.append(client_port(p))
if len(connections) != 2:
    sys.exit(f'{src}: {len(connections)} connections, expected 2')


def queries(port):
    """Indexes of the client's segments that carry data on connection `port`."""
    return [i for i, p in enumerate(packets)
            if client_port(p) == port and p[TCP].sport != server_port and len(p[TCP].payload) > 0]


pipelined, sequential = (queries(port) for port in connections)
if len(pipelined) != 2 or len(sequential) != 2:
    sys.exit(f'{src}: expected two query segments per connection')

first, second = pipelined
span = packets[first:second + 1]
times = [p.time for p in span]
reordered = [packets[second], packets[first]] + packets[first + 1:second]
for p, t in zip(reordered, times):
    p.time = t
packets[first:second + 1] = reordered

del packets[sequential[0]]

writer = PcapWriter(dst, linktype=1, sync=True)
for p in packets:
    writer.write(p)
writer.close()
