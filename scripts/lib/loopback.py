"""Raw-socket clients for the record scripts (python3 heredocs; record-common.sh puts this
directory on PYTHONPATH). Talks to 127.0.0.1 only."""
import socket
import time


def connect(port, mss=None):
    """A TCP connection to 127.0.0.1:port; `mss` caps segment size so big values span segments."""
    s = socket.socket()
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.connect(('127.0.0.1', port))
    return s


def drain(s, pause=0.2):
    """Waits `pause` seconds, then reads whatever arrived, without blocking."""
    time.sleep(pause)
    s.setblocking(False)
    try:
        while s.recv(1 << 20):
            pass
    except (BlockingIOError, socket.timeout):
        pass
    s.setblocking(True)


def exchanger(default_pause):
    """exchange(s, data[, pause]): sends `data`, then drains the answer (one roundtrip at a time)."""
    def exchange(s, data, pause=default_pause):
        s.sendall(data)
        drain(s, pause)
    return exchange


def serve_for(port, lifetime, serve, timeout, errors=(OSError,), threaded=False):
    """Accepts connections on 127.0.0.1:port for `lifetime` seconds and runs serve(conn) on each
    (in a thread of its own when `threaded`), with a `timeout` per socket operation; `errors` end
    that connection quietly. Closes each connection after, and stops at the deadline."""
    import threading

    def handle(conn):
        with conn:
            conn.settimeout(timeout)
            try:
                serve(conn)
            except errors:
                pass

    server = socket.create_server(('127.0.0.1', port))
    server.settimeout(0.5)
    deadline = time.time() + lifetime
    while time.time() < deadline:
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        if threaded:
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
        else:
            handle(conn)
