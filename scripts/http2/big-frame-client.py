"""An h2c client that allows large frames (SETTINGS_MAX_FRAME_SIZE 1 MiB, 1 MiB stream windows),
for recording captures/http2-big-frames.pcap against big-frame-server.py. Modes:
- `upgrade`: HTTP/1.1 `Upgrade: h2c` with those settings in HTTP2-Settings (the server never sees
  them as a frame), then a second request as stream 3;
- `late PATH_READY PATH_GO`: prior knowledge; the settings exchange happens, then the client
  creates PATH_READY and waits for PATH_GO (the recorder starts tcpdump in between: a tap that
  starts on a live connection), then sends its request.
Header fields go out never-indexed. Needs python3-h2. Usage: big-frame-client.py PORT MODE [...]"""
import os
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
from h2.settings import SettingCodes
from hpack import NeverIndexedHeaderTuple as Field

port, mode = int(sys.argv[1]), sys.argv[2]
LARGE = 1 << 20


def connection():
    h2conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding='utf-8'))
    h2conn.local_settings = h2.settings.Settings(client=True, initial_values={
        SettingCodes.MAX_CONCURRENT_STREAMS: 100,
        SettingCodes.MAX_FRAME_SIZE: LARGE,
        SettingCodes.INITIAL_WINDOW_SIZE: LARGE,
    })
    # What the frame reader accepts follows the settings h2 itself started with.
    h2conn.max_inbound_frame_size = LARGE
    h2conn.incoming_buffer.max_frame_size = LARGE
    return h2conn


def request(h2conn, stream_id, path):
    h2conn.send_headers(stream_id, [Field(':method', 'GET'), Field(':scheme', 'http'), Field(':path', path),
                                    Field(':authority', f'127.0.0.1:{port}'), Field('user-agent', 'packetd-big-frames')],
                        end_stream=True)


def until_ended(s, h2conn, streams, data=b''):
    """Reads until every stream in `streams` has ended."""
    pending = set(streams)
    while pending:
        for event in h2conn.receive_data(data) if data else []:
            if isinstance(event, h2.events.DataReceived):
                h2conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                pending.discard(event.stream_id)
        out = h2conn.data_to_send()
        if out:
            s.sendall(out)
        if pending:
            data = s.recv(1 << 20)
            if not data:
                return


s = socket.create_connection(('127.0.0.1', port))
h2conn = connection()
if mode == 'upgrade':
    settings = h2conn.initiate_upgrade_connection().decode()
    preface = h2conn.data_to_send()  # sent once the 101 came
    s.sendall(f'GET /upgrade HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade, HTTP2-Settings\r\n'
              f'Upgrade: h2c\r\nHTTP2-Settings: {settings}\r\n\r\n'.encode())
    data = b''
    while b'\r\n\r\n' not in data:
        data += s.recv(1 << 20)
    head, _, rest = data.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 101'), head
    s.sendall(preface)
    until_ended(s, h2conn, [1], rest)
    request(h2conn, 3, '/after-upgrade')
    s.sendall(h2conn.data_to_send())
    until_ended(s, h2conn, [3])
else:
    ready, go = sys.argv[3], sys.argv[4]
    h2conn.initiate_connection()
    h2conn.increment_flow_control_window(LARGE)
    s.sendall(h2conn.data_to_send())
    s.settimeout(0.5)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            h2conn.receive_data(data)
            s.sendall(h2conn.data_to_send())
    except socket.timeout:
        pass
    s.settimeout(10)
    open(ready, 'w').close()
    while not os.path.exists(go):
        time.sleep(0.05)
    for stream_id, path in ((1, '/late'),):
        request(h2conn, stream_id, path)
        s.sendall(h2conn.data_to_send())
        until_ended(s, h2conn, [stream_id])
h2conn.close_connection()
s.sendall(h2conn.data_to_send())
s.close()
