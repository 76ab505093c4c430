#!/usr/bin/python3
"""Writes the DNS captures no server here produces (captures/dns-*-handmade.pcap), with scapy.

dns-names-handmade.pcap: names no encoder writes. Three exchanges on 127.0.0.1:18453:
  1. `www.example.test A`, answered with the question's name compressed by a pointer *forward*
     to the answer's owner name (offset 22), and a CNAME whose target points forward too.
  2. A query whose name is 1025 bytes on the wire (16 labels of 63, the root), answered
     NXDOMAIN with the question repeated: over the 255-byte limit of RFC 1035.
  3. `loop.example.test A`, answered with an answer owner name that loops (a label, then a
     pointer back to it): malformed.
dns-lookalikes-handmade.pcap: DNS-shaped protocols that are not plain DNS, on their own ports
(5353, 5355, 137: outside this project's test port ranges, and their responders announce on
every interface, so none is run here; the shared corpus holds none). Documentation addresses.
  mDNS (RFC 6762): a multicast PTR query, a multicast answer to it (from another host, to the
  group), an unsolicited announcement, a QU query (unicast-response bit) and its unicast
  answer, a unicast query from an ephemeral port (legacy unicast) and its answer.
  LLMNR (RFC 4795): a multicast query and the unicast answer to the asker's port, a unicast
  query and its answer.
  NetBIOS name service (RFC 1002): a broadcast name query, its positive answer, a node status
  query (NBSTAT) and a name registration.
Usage: scripts/dns/build-handmade.py [OUT_DIR]   (default: captures/)
"""
import os
import struct
import sys

from scapy.all import Ether, IP, UDP, Raw, wrpcap  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'captures')
T0 = 1_800_000_000.0


def name(text):
    if text == '.':
        return b'\x00'
    return b''.join(bytes([len(label)]) + label.encode('latin1') for label in text.split('.')) + b'\x00'


def ptr(offset):
    return struct.pack('>H', 0xC000 | offset)


def header(ident, flags, qd=0, an=0, ns=0, ar=0):
    return struct.pack('>HHHHHH', ident, flags, qd, an, ns, ar)


def question(wire, qtype, qclass=1):
    return wire + struct.pack('>HH', qtype, qclass)


def rr(owner, rtype, rdata, ttl=300, rclass=1):
    return owner + struct.pack('>HHIH', rtype, rclass, ttl, len(rdata)) + rdata


def packets(exchanges):
    """exchanges: (src, sport, dst, dport, payload) in time order, 1 ms apart."""
    frames = []
    for i, (src, sport, dst, dport, payload) in enumerate(exchanges):
        frame = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02') / IP(src=src, dst=dst, ttl=64) / UDP(sport=sport, dport=dport) / Raw(payload)
        frame.time = T0 + i * 0.001
        frames.append(frame)
    return frames


LOCAL = '127.0.0.1'
PORT = 18453
A, CNAME, PTR, TXT, SRV, NB, NBSTAT = 1, 5, 12, 16, 33, 0x20, 0x21
QUERY_RD = 0x0100
RESPONSE_RD_RA = 0x8180


def names_capture():
    flow = []
    # 1. Forward pointers. Header 12 bytes; the question's name "www" + pointer is 3+1+2 bytes
    # at 12..17, type and class to 21, so the answer's owner "example.test" starts at 22.
    flow.append((LOCAL, 40001, LOCAL, PORT, header(0x0F01, QUERY_RD, qd=1) + question(name('www.example.test'), A)))
    answer_owner = 12 + 6 + 4
    # Answer 1: example.test CNAME "web" + a pointer forward to answer 2's owner, which starts
    # after answer 1 (owner 14 bytes, 10 fixed, RDATA 6).
    second_owner = answer_owner + len(name('example.test')) + 10 + 6
    first = rr(name('example.test'), CNAME, b'\x03web' + ptr(second_owner))
    second = rr(name('cdn.example.test'), A, bytes([192, 0, 2, 80]))
    response = header(0x0F01, RESPONSE_RD_RA, qd=1, an=2) + question(b'\x03www' + ptr(answer_owner), A) + first + second
    assert response[second_owner:second_owner + 4] == b'\x03cdn'
    assert response[answer_owner:answer_owner + 8] == b'\x07example'
    flow.append((LOCAL, PORT, LOCAL, 40001, response))
    # 2. A 1025-byte name: 16 labels of 63 letters (16 * 64 bytes) and the root.
    long_name = b''.join(bytes([63]) + bytes([0x61 + i]) * 63 for i in range(16)) + b'\x00'
    assert len(long_name) == 1025
    flow.append((LOCAL, 40002, LOCAL, PORT, header(0x0F02, QUERY_RD, qd=1) + question(long_name, A)))
    flow.append((LOCAL, PORT, LOCAL, 40002, header(0x0F02, RESPONSE_RD_RA | 3, qd=1) + question(long_name, A)))
    # 3. A loop: the answer's owner is "x" then a pointer to that "x".
    loop_q = question(name('loop.example.test'), A)
    at = 12 + len(loop_q)
    flow.append((LOCAL, 40003, LOCAL, PORT, header(0x0F03, QUERY_RD, qd=1) + loop_q))
    flow.append((LOCAL, PORT, LOCAL, 40003, header(0x0F03, RESPONSE_RD_RA, qd=1, an=1) + loop_q + rr(b'\x01x' + ptr(at), A, bytes([192, 0, 2, 81]))))
    return packets(flow)


def netbios_name(text, suffix):
    """First-level encoding (RFC 1001 §14.1): 16 bytes (15 padded with spaces and a suffix;
    "*" padded with zeros), each half-byte as a letter A-P, in one 32-byte label."""
    raw = b'*' + bytes(15) if text == '*' else text.upper().ljust(15).encode('ascii') + bytes([suffix])
    return bytes([32]) + b''.join(bytes([0x41 + (b >> 4), 0x41 + (b & 0x0F)]) for b in raw) + b'\x00'


def lookalikes_capture():
    asker, printer, host, responder, group = '192.0.2.10', '192.0.2.20', '192.0.2.30', '192.0.2.40', '224.0.0.251'
    flow = []
    mdns, aa, cache_flush, qu = 5353, 0x8400, 0x8001, 0x8001
    service = name('_ipp._tcp.local')
    # In the answer (no question), the service name starts at 12: the instance points to it.
    flow.append((asker, mdns, group, mdns, header(0, 0, qd=1) + question(service, PTR)))
    flow.append((printer, mdns, group, mdns, header(0, aa, an=1, ar=2) + rr(service, PTR, b'\x07printer' + ptr(12), ttl=4500)
                 + rr(b'\x07printer' + ptr(12), SRV, struct.pack('>HHH', 0, 0, 631) + name('printer.local'), ttl=120, rclass=cache_flush)
                 + rr(name('printer.local'), A, bytes([192, 0, 2, 20]), ttl=120, rclass=cache_flush)))
    flow.append((host, mdns, group, mdns, header(0, aa, an=1) + rr(name('host.local'), A, bytes([192, 0, 2, 30]), ttl=120, rclass=cache_flush)))
    flow.append((asker, mdns, group, mdns, header(0, 0, qd=1) + question(name('host.local'), A, qu)))
    flow.append((host, mdns, asker, mdns, header(0, aa, an=1) + rr(name('host.local'), A, bytes([192, 0, 2, 30]), ttl=120, rclass=cache_flush)))
    flow.append((asker, 40100, host, mdns, header(0x4D01, 0, qd=1) + question(name('host.local'), A)))
    flow.append((host, mdns, asker, 40100, header(0x4D01, aa, qd=1, an=1) + question(name('host.local'), A) + rr(ptr(12), A, bytes([192, 0, 2, 30]), ttl=10)))
    llmnr = 5355
    flow.append((asker, 50000, '224.0.0.252', llmnr, header(0x5101, 0, qd=1) + question(name('fileserver'), A)))
    flow.append((responder, llmnr, asker, 50000, header(0x5101, 0x8000, qd=1, an=1) + question(name('fileserver'), A) + rr(ptr(12), A, bytes([192, 0, 2, 40]), ttl=30)))
    flow.append((asker, 50001, responder, llmnr, header(0x5102, 0, qd=1) + question(name('fileserver'), A)))
    flow.append((responder, llmnr, asker, 50001, header(0x5102, 0x8000, qd=1, an=1) + question(name('fileserver'), A) + rr(ptr(12), A, bytes([192, 0, 2, 40]), ttl=30)))
    nbns, broadcast = 137, '192.0.2.255'
    fileserver = netbios_name('FILESERVER', 0x20)
    flow.append((asker, nbns, broadcast, nbns, header(0x7A01, 0x0110, qd=1) + question(fileserver, NB)))
    flow.append((responder, nbns, asker, nbns, header(0x7A01, 0x8500, an=1) + rr(fileserver, NB, b'\x00\x00' + bytes([192, 0, 2, 40]), ttl=300000)))
    flow.append((asker, nbns, responder, nbns, header(0x7A02, 0x0000, qd=1) + question(netbios_name('*', 0), NBSTAT)))
    flow.append((asker, nbns, broadcast, nbns, header(0x7A03, 0x2910, qd=1, ar=1) + question(netbios_name('ASKER', 0x00), NB)
                 + rr(ptr(12), NB, b'\x00\x00' + bytes([192, 0, 2, 10]), ttl=300000)))
    return packets(flow)


wrpcap(os.path.join(out, 'dns-names-handmade.pcap'), names_capture())
wrpcap(os.path.join(out, 'dns-lookalikes-handmade.pcap'), lookalikes_capture())
