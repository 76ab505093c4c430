"""A gRPC server for recording captures/grpc-*.pcap: service packetd.test.Echo with generic
handlers (raw bytes in and out, so no generated code). Needs python3-grpcio.
Usage: server.py PORT SECONDS   (serves on 127.0.0.1 until SECONDS have passed)"""
import sys
import time
from concurrent import futures

import grpc

SERVICE = 'packetd.test.Echo'


def unary(request, context):
    return b'echo:' + request


def server_stream(request, context):
    for i in range(int(request or b'3')):
        yield f'part {i}'.encode()


def client_stream(requests, context):
    return str(sum(1 for _ in requests)).encode()


def fail(request, context):
    # The request names the status to fail with, e.g. b'NOT_FOUND'.
    context.abort(grpc.StatusCode[request.decode()], f'failed with {request.decode()}: é')


def handler(kind, fn):
    identity = lambda b: b
    return kind(fn, request_deserializer=identity, response_serializer=identity)


handlers = grpc.method_handlers_generic_handler(SERVICE, {
    'Unary': handler(grpc.unary_unary_rpc_method_handler, unary),
    'ServerStream': handler(grpc.unary_stream_rpc_method_handler, server_stream),
    'ClientStream': handler(grpc.stream_unary_rpc_method_handler, client_stream),
    'Fail': handler(grpc.unary_unary_rpc_method_handler, fail),
})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handlers])
server.add_insecure_port(f'127.0.0.1:{sys.argv[1]}')
server.start()
time.sleep(float(sys.argv[2]))
server.stop(0)
