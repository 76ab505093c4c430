"""An h2c server that answers every request with HEADERS and the whole body in one DATA frame,
written together (one segment on lo, MTU 65536), as large as the client's SETTINGS_MAX_FRAME_SIZE
allows: for recording captures/http2-big-frames.pcap (nginx writes HEADERS and DATA apart, in
frames of http2_chunk_size). Serves prior knowledge and HTTP/1.1 `Upgrade: h2c` on one port.
Header fields go out never-indexed, so a capture joined mid-connection still decodes them.
Needs python3-h2. Usage: big-frame-server.py PORT SECONDS BODY_BYTES"""
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from hpack import NeverIndexedHeaderTuple as Field
from loopback import serve_for

port, lifetime, body_bytes = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'


def answer(h2conn, stream_id, path):
    body = (f'{path} '.encode() * (body_bytes // (len(path) + 1) + 1))[:body_bytes]
    h2conn.send_headers(stream_id, [Field(':status', '200'), Field('content-type', 'text/plain'),
                                    Field('content-length', str(len(body)))])
    h2conn.send_data(stream_id, body, end_stream=True)


def serve(conn):
    h2conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding='utf-8'))
    data = b''
    while len(data) < len(PREFACE) and PREFACE.startswith(data):
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    if data.startswith(PREFACE):
        h2conn.initiate_connection()
    else:
        while b'\r\n\r\n' not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, data = data.partition(b'\r\n\r\n')
        lines = head.decode('latin1').split('\r\n')
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(':') for l in lines[1:])}
        out = b'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'
        h2conn.initiate_upgrade_connection(headers['http2-settings'])
        answer(h2conn, 1, lines[0].split(' ')[1])
        conn.sendall(out + h2conn.data_to_send())
    while True:
        for event in h2conn.receive_data(data) if data else []:
            if isinstance(event, h2.events.RequestReceived):
                answer(h2conn, event.stream_id, dict(event.headers)[':path'])
        out = h2conn.data_to_send()
        if out:
            conn.sendall(out)
        data = conn.recv(65536)
        if not data:
            return


serve_for(port, lifetime, serve, 10, (OSError, h2.exceptions.ProtocolError), threaded=True)
