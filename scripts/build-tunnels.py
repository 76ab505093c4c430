#!/usr/bin/python3
"""Builds the tunnel captures this kernel cannot record (it has VXLAN but no gre, geneve, ipip,
sit, ip6tnl or mpls_router module, and there is no PPPoE or Cisco HDLC peer to talk to).

The traffic inside is real: the inner Ethernet frames of the recorded VXLAN capture (curl and
python's http.server over the overlay), with their timestamps. Only the encapsulation is written
here, header by header from the RFCs, around each frame, outer addresses being the underlay's
(198.18.0.1/.2, fd00:18::1/2). Conversations, in capture order: 1 GET /hello.txt, 2 GET /page.txt,
3 GET /missing (IPv4 inside), 4 GET /hello.txt over IPv6 inside; plus the inner ARP and
neighbour discovery frames where the encapsulation carries Ethernet.

Usage: build-tunnels.py VXLAN_PCAP OUT_DIR   (run by scripts/record-tunnels.sh)
"""
import logging
import struct
import sys

# Raw frames written under a non-Ethernet link type draw a warning per packet: they are meant so.
logging.getLogger('scapy.runtime').setLevel(logging.ERROR)

from scapy.all import IP, UDP, Ether, IPv6, PcapReader, PcapWriter, Raw

CLIENT4, SERVER4 = '198.18.0.1', '198.18.0.2'
CLIENT6, SERVER6 = 'fd00:18::1', 'fd00:18::2'
ETH_IPV4, ETH_IPV6, ETH_TEB, ETH_MPLS, ETH_PPPOE = 0x0800, 0x86DD, 0x6558, 0x8847, 0x8864
LINKTYPE_ETHERNET, LINKTYPE_PPP, LINKTYPE_C_HDLC = 1, 9, 104


class Frame:
    """One inner frame of the VXLAN capture: its bytes, time, direction and conversation."""

    def __init__(self, outer, conversation):
        self.time = outer.time
        self.inner = bytes(outer[UDP].payload)[8:]
        self.from_client = outer[IP].src == CLIENT4
        self.conversation = conversation
        ethertype = struct.unpack('!H', self.inner[12:14])[0]
        self.ethertype = ethertype
        self.ip = self.inner[14:] if ethertype in (ETH_IPV4, ETH_IPV6) else None

    def outer4(self):
        return (CLIENT4, SERVER4) if self.from_client else (SERVER4, CLIENT4)

    def outer6(self):
        return (CLIENT6, SERVER6) if self.from_client else (SERVER6, CLIENT6)


def read_frames(path):
    """Inner frames of the IPv4 underlay, numbered by inner TCP conversation (1-based, by first appearance)."""
    frames, conversations = [], {}
    for outer in PcapReader(path):
        if IP not in outer or UDP not in outer or outer[UDP].dport != 4789:
            continue
        inner = Ether(bytes(outer[UDP].payload)[8:])
        key = None
        if inner.haslayer('TCP'):
            tcp = inner['TCP']
            network = inner[IP] if IP in inner else inner[IPv6]
            key = frozenset([(network.src, tcp.sport), (network.dst, tcp.dport)])
            conversations.setdefault(key, len(conversations) + 1)
        frames.append(Frame(outer, conversations.get(key, 0)))
    return frames


def underlay_ether(frame):
    macs = ('02:00:00:18:00:01', '02:00:00:18:00:02')
    src, dst = macs if frame.from_client else macs[::-1]
    return Ether(src=src, dst=dst)


def ip_over4(frame, protocol, payload):
    src, dst = frame.outer4()
    return underlay_ether(frame) / IP(src=src, dst=dst, proto=protocol, ttl=64, id=0) / Raw(payload)


def ip_over6(frame, next_header, payload):
    src, dst = frame.outer6()
    return underlay_ether(frame) / IPv6(src=src, dst=dst, nh=next_header, hlim=64) / Raw(payload)


def internet_checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def write(path, linktype, packets):
    writer = PcapWriter(path, linktype=linktype, sync=True)
    for time, packet in packets:
        if isinstance(packet, bytes):
            packet = Raw(packet)
        packet.time = time
        writer.write(packet)
    writer.close()


def geneve(frames):
    """Geneve (RFC 8926), VNI 0x123456, one 8-byte option; conversation 3 carries IPv4 directly (protocol 0x0800)."""
    option = struct.pack('!HBB', 0x0103, 0x80, 1) + b'\xca\xfe\xf0\x0d'
    for frame in frames:
        direct = frame.conversation == 3
        protocol, payload = (ETH_IPV4, frame.ip) if direct else (ETH_TEB, frame.inner)
        header = struct.pack('!BBHI', len(option) // 4, 0, protocol, 0x123456 << 8) + option
        src, dst = frame.outer4()
        sport = 49152 + frame.conversation
        yield frame.time, underlay_ether(frame) / IP(src=src, dst=dst, ttl=64, id=0) / UDP(sport=sport, dport=6081) / Raw(header + payload)


def gretap(frames):
    """Transparent Ethernet bridging over GRE (gretap), key 1001 (RFC 2890)."""
    for frame in frames:
        yield frame.time, ip_over4(frame, 47, struct.pack('!HHI', 0x2000, ETH_TEB, 1001) + frame.inner)


def gre(frames):
    """GRE with a checksum and a sequence number, IPv4 and IPv6 inside (protocol 0x0800 / 0x86dd)."""
    sequence = 0
    for frame in frames:
        if frame.ip is None:
            continue
        sequence += 1
        header = struct.pack('!HHHHI', 0x9000, frame.ethertype, 0, 0, sequence)
        checksum = internet_checksum(header + frame.ip)
        header = header[:4] + struct.pack('!H', checksum) + header[6:]
        yield frame.time, ip_over4(frame, 47, header + frame.ip)


def erspan(frames):
    """Mirrored frames: conversations 1 and 2 in ERSPAN type II (session 100), the rest in type III (session 200, with the platform subheader)."""
    sequence = 0
    for frame in frames:
        sequence += 1
        if frame.conversation in (1, 2):
            gre_header = struct.pack('!HHI', 0x1000, 0x88BE, sequence)
            # version 1, VLAN 0; COS 0, En 0, T 0, session 100; index 7.
            span = struct.pack('!HHI', 0x1000, 100, 7)
        else:
            gre_header = struct.pack('!HHI', 0x1000, 0x22EB, sequence)
            timestamp = int(frame.time * 10_000) & 0xFFFFFFFF
            # version 2, VLAN 0; session 200; timestamp; SGT 0; P 0, FT 0 (Ethernet), HW ID 1, D 0, Gra 1, O 1.
            span = struct.pack('!HHIHH', 0x2000, 200, timestamp, 0, (1 << 4) | (1 << 1) | 1)
            span += struct.pack('!II', 3 << 26, timestamp)  # platform subheader: platform id 3
        yield frame.time, ip_over4(frame, 47, gre_header + span + frame.inner)


def ipip(frames):
    """IP in IP: conversations 1 and 3 IPv4 in IPv4 (protocol 4), 2 IPv4 in IPv6, 4 IPv6 in IPv4 (6in4, protocol 41)."""
    for frame in frames:
        if frame.ip is None:
            continue
        protocol = 4 if frame.ethertype == ETH_IPV4 else 41
        outer = ip_over6 if frame.conversation == 2 else ip_over4
        yield frame.time, outer(frame, protocol, frame.ip)


def mpls(frames):
    """MPLS on Ethernet: a transport label (16001, top) and a VPN label (300, bottom of stack) over the inner IP packet."""
    for frame in frames:
        if frame.ip is None:
            continue
        stack = struct.pack('!II', (16001 << 12) | 64, (300 << 12) | 0x100 | 64)
        yield frame.time, macs(frame) + struct.pack('!H', ETH_MPLS) + stack + frame.ip


def macs(frame):
    """The underlay Ethernet header's two addresses, for frames scapy would not build as they are."""
    return bytes(underlay_ether(frame))[:12]


def pppoe(frames):
    """PPPoE session 0x1234 (RFC 2516): PPP protocol 0x0021 (IPv4) or 0x0057 (IPv6)."""
    for frame in frames:
        if frame.ip is None:
            continue
        ppp = 0x0021 if frame.ethertype == ETH_IPV4 else 0x0057
        header = struct.pack('!BBHHH', 0x11, 0, 0x1234, len(frame.ip) + 2, ppp)
        yield frame.time, macs(frame) + struct.pack('!H', ETH_PPPOE) + header + frame.ip


def cisco_hdlc(frames):
    """LINKTYPE_C_HDLC: address 0x0f (unicast), control 0, then the ethertype."""
    for frame in frames:
        if frame.ip is not None:
            yield frame.time, struct.pack('!BBH', 0x0F, 0, frame.ethertype) + frame.ip


def ppp(frames):
    """LINKTYPE_PPP: address 0xff, control 0x03, PPP protocol."""
    for frame in frames:
        if frame.ip is not None:
            protocol = 0x0021 if frame.ethertype == ETH_IPV4 else 0x0057
            yield frame.time, struct.pack('!BBH', 0xFF, 0x03, protocol) + frame.ip


def main():
    source, out = sys.argv[1], sys.argv[2]
    frames = read_frames(source)
    write(f'{out}/tunnel-geneve.pcap', LINKTYPE_ETHERNET, geneve(frames))
    write(f'{out}/tunnel-gretap.pcap', LINKTYPE_ETHERNET, gretap(frames))
    write(f'{out}/tunnel-gre.pcap', LINKTYPE_ETHERNET, gre(frames))
    write(f'{out}/tunnel-erspan.pcap', LINKTYPE_ETHERNET, erspan(frames))
    write(f'{out}/tunnel-ipip.pcap', LINKTYPE_ETHERNET, ipip(frames))
    write(f'{out}/tunnel-mpls.pcap', LINKTYPE_ETHERNET, mpls(frames))
    write(f'{out}/tunnel-pppoe.pcap', LINKTYPE_ETHERNET, pppoe(frames))
    write(f'{out}/tunnel-chdlc.pcap', LINKTYPE_C_HDLC, cisco_hdlc(frames))
    write(f'{out}/tunnel-ppp.pcap', LINKTYPE_PPP, ppp(frames))


if __name__ == '__main__':
    main()
