"""Drives scripts/grpc/server.py over one channel (one HTTP/2 connection): unary calls (one with
a W3C traceparent), a server-streaming call of 5 messages, a client-streaming call of 4,
calls failing with NOT_FOUND, INTERNAL and UNAVAILABLE, and a call to an unknown method
(UNIMPLEMENTED). Usage: client.py PORT"""
import sys

import grpc

identity = lambda b: b
channel = grpc.insecure_channel(f'127.0.0.1:{sys.argv[1]}')
grpc.channel_ready_future(channel).result(timeout=10)


def method(kind, name):
    return getattr(channel, kind)(f'/packetd.test.Echo/{name}', request_serializer=identity, response_deserializer=identity)


unary = method('unary_unary', 'Unary')
unary(b'hello')
unary(b'traced', metadata=[('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')])
list(method('unary_stream', 'ServerStream')(b'5'))
method('stream_unary', 'ClientStream')(iter([b'a', b'b', b'c', b'd']))
for status in ('NOT_FOUND', 'INTERNAL', 'UNAVAILABLE'):
    try:
        method('unary_unary', 'Fail')(status.encode())
    except grpc.RpcError as error:
        assert error.code().name == status, error
try:
    method('unary_unary', 'Missing')(b'x')
except grpc.RpcError as error:
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED, error
channel.close()
