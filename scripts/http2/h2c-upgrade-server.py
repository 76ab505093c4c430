"""A tiny HTTP/1.1 server that accepts `Upgrade: h2c` (RFC 7540 §3.2) and answers over HTTP/2,
for recording captures/http2-upgrade.pcap (nginx does not do h2c upgrades). Needs python3-h2.
Usage: h2c-upgrade-server.py PORT SECONDS   (serves on 127.0.0.1 until SECONDS have passed)"""
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from loopback import serve_for

port, lifetime = int(sys.argv[1]), float(sys.argv[2])


def read_head(conn):
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b''
        data += chunk
    head, _, rest = data.partition(b'\r\n\r\n')
    return head.decode('latin1'), rest


def serve(conn):
    head, rest = read_head(conn)
    if head is None:
        return
    lines = head.split('\r\n')
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(':') for l in lines[1:])}
    h2conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.sendall(b'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n')
    h2conn.initiate_upgrade_connection(headers['http2-settings'])
    pending = {1: lines[0].split(' ')[1]}
    conn.sendall(h2conn.data_to_send())
    data = rest
    while True:
        events = h2conn.receive_data(data) if data else []
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                pending[event.stream_id] = dict(event.headers)[b':path'].decode()
        for stream_id, path in list(pending.items()):
            status = '404' if path == '/missing' else '200'
            body = f'h2c upgrade answer for {path}\n'.encode()
            h2conn.send_headers(stream_id, [(':status', status), ('content-type', 'text/plain'),
                                            ('content-length', str(len(body)))])
            h2conn.send_data(stream_id, body, end_stream=True)
            del pending[stream_id]
        out = h2conn.data_to_send()
        if out:
            conn.sendall(out)
        data = conn.recv(65536)
        if not data:
            return


serve_for(port, lifetime, serve, 5, (OSError, h2.exceptions.ProtocolError))
