#!/usr/bin/python3
"""Simulates capture loss: copies a pcap (Ethernet or Linux loopback-as-Ethernet, IPv4/TCP),
leaving out some TCP segments that carry payload, as a tap that missed them would. The
endpoints still received them, so the acks, and what the endpoints did next, stay in the file:
the capture has holes that no retransmission fills.

Which segments go: the frames --frames names (1-based numbers of the input), or seeded random:
each payload segment from the server port is left out with probability --server-rate, each one
to it with --client-rate. The frame numbers left out are printed, so tests can name them.

Usage: drop-packets.py IN OUT --frames N,N,...
       drop-packets.py IN OUT --port P [--server-rate R] [--client-rate R] [--seed N]
"""
import argparse
import random
import struct


def tcp_ports_and_payload(frame):
    """(sport, dport, payload length) of an Ethernet/IPv4/TCP frame, else None."""
    if len(frame) < 14 + 20 or frame[12:14] != b'\x08\x00':
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    total = struct.unpack('!H', ip[2:4])[0]
    tcp = ip[ihl:]
    sport, dport = struct.unpack('!HH', tcp[:4])
    data_offset = (tcp[12] >> 4) * 4
    return sport, dport, total - ihl - data_offset


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('input')
    parser.add_argument('output')
    parser.add_argument('--frames', default='')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--server-rate', type=float, default=0.0)
    parser.add_argument('--client-rate', type=float, default=0.0)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    named = {int(n) for n in args.frames.split(',') if n}

    with open(args.input, 'rb') as f:
        data = f.read()
    magic = data[:4]
    endian = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f'{args.input}: link type {linktype}, expected Ethernet (1)')
    out = [data[:24]]
    dropped = []
    offset = 24
    number = 0
    while offset + 16 <= len(data):
        incl = struct.unpack(endian + 'I', data[offset + 8:offset + 12])[0]
        record = data[offset:offset + 16 + incl]
        frame = record[16:]
        offset += 16 + incl
        number += 1
        if number in named:
            dropped.append(number)
            continue
        tcp = tcp_ports_and_payload(frame)
        if not named and tcp is not None and tcp[2] > 0:
            sport, dport, _ = tcp
            rate = args.server_rate if sport == args.port else args.client_rate if dport == args.port else 0.0
            if rng.random() < rate:
                dropped.append(number)
                continue
        out.append(record)
    with open(args.output, 'wb') as f:
        f.write(b''.join(out))
    print(f'{args.output}: left out {len(dropped)} of {number} frames: {" ".join(map(str, dropped))}')


if __name__ == '__main__':
    main()
