/**
 * What `packetd config` prints: every setting with its default and a word on what it does.
 * It must validate as printed (test/cli), and running it must need no server: the traces and
 * metrics pipelines, which would connect to an OTLP endpoint or open a port, stay commented.
 */
export const REFERENCE_PIPELINE = `# packetd pipeline reference. Check a file with \`packetd validate FILE\`, run it with
# \`packetd run FILE\`. Relative paths resolve against the directory of this file.
# Durations: "250ms", "30s", "5m", "1h" (a bare number is seconds).
# Sizes: "512KiB", "4MiB", "10MB" (a bare number is bytes).
# Every key: docs/pipeline.md. Protocols: docs/protocols.md.

# Where packets come from: exactly one of pcap, live, tcpdump.
# A pcap or pcapng file (format detected from its first bytes), or "-" for a capture stream
# on stdin (tcpdump -w - | packetd run FILE).
source:
  pcap:
    path: captures/http-nginx.pcap
  # Or live, until SIGINT/SIGTERM (docs/live.md; needs CAP_NET_RAW + CAP_NET_ADMIN):
  # live:                            # through libpcap (the cap addon)
  #   interfaces: [lo]               # names, "any", or { regex: "^eth" } (required)
  #   filter: "not port 22"          # BPF, ANDed with one derived from the protocol rules
  #   promiscuous: true              # cap always captures promiscuously; false needs tcpdump
  #   buffer_size: 64MiB             # libpcap's kernel ring (resident memory)
  #   snaplen: 65535                 # bytes kept per packet (cap's maximum)
  #   ip: both                       # both | ipv4 | ipv6
  #   queue_size: 64MiB              # packets held while a sink catches up or a reload runs
  # tcpdump:                         # a capture program as a child process: kernel timestamps
  #   interface: any
  #   filter: "not port 22"
  #   path: tcpdump                  # or command: [dumpcap, -i, lo, -w, -]
  #   promiscuous: true              # false: tcpdump -p
  #   buffer_size: 64MiB             # tcpdump -B
  #   snaplen: 262144                # tcpdump -s
  #   ip: both
  #   queue_size: 64MiB

# The admin HTTP server of a live run: /metrics, /healthz, /watch, POST /-/reload.
# A capture file run starts none.
admin:
  listen: 127.0.0.1:6061                   # HOST:PORT; "[::1]:6061"; port 0 = any free port
  enabled: true

# Which protocols to decode, on which server ports (without ports: the protocol's defaults,
# as below), with protocol-specific options (their defaults below). Leaving the whole list
# out decodes every known protocol on its default ports. When two rules claim a port, the
# first wins.
protocols:
  - protocol: http
    ports: [80, 3000, 8008, 8080, 8888]
    options:
      capture_headers: false             # every header in the record
      include_sensitive_headers: false   # Authorization, Cookie, ... as sent, not REDACTED
      capture_body_bytes: 0              # keep the first N body bytes (0 = off)
      max_header_bytes: 64KiB            # a longer header block is a decode error
  - protocol: dns                        # over UDP and TCP
    ports: [53]
    options:
      max_records: 16                    # answer/authority records kept per response
  - protocol: redis
    ports: [6379]
    options:
      include_arguments: false           # db.query.text with argument values, not "?"
  - protocol: memcached
    ports: [11211]
    options:
      include_arguments: false
  - protocol: http2                      # h2c; gRPC calls on it are reported as "grpc"
    ports: [50051]
    options:
      capture_headers: false
      include_sensitive_headers: false
      max_header_bytes: 64KiB            # one header block
      max_streams: 1024                  # open streams tracked per connection
  - protocol: grpc                       # the HTTP/2 decoder under gRPC's name
    ports: [50051]
  - protocol: postgresql
    ports: [5432]
    options:
      include_literals: false            # db.query.text keeps literals instead of "?"
      max_query_bytes: 2KiB              # db.query.text is cut to this length
  - protocol: mysql                      # MySQL and MariaDB
    ports: [3306]
    options:
      include_literals: false
      max_query_bytes: 2KiB

# Also recognise the protocols above by content when no port rule matches a conversation.
detect: true

# Frame decoding: IP fragments and tunnels (VXLAN, Geneve, GRE, ERSPAN, IP in IP, MPLS, PPPoE).
frames:
  max_fragmented_datagrams: 1024           # IP datagrams reassembled at once; the oldest is evicted
  fragment_timeout: 30s                    # packet time an unfinished datagram waits for its fragments
  max_tunnel_depth: 4                      # tunnels unwrapped one inside another; deeper is a decode error

# TCP/UDP conversation tracking. Every bound is counted in packetd's stats when hit.
reassembly:
  max_connections: 262144                  # conversations tracked at once
  max_buffered_bytes_per_connection: 4MiB  # out-of-order bytes held per connection
  tcp_idle_timeout: 5m                     # packet time without traffic before a TCP conversation ends
  udp_idle_timeout: 60s
  rst_hold: 3s                             # a reset conversation the endpoints go on with resumes

# Pairing requests with responses.
match:
  request_timeout: 30s                     # a request with no response by then is "unanswered"
  max_pending_per_connection: 1024         # requests waiting for a response, per conversation

# OpenTelemetry resource attributes of exported spans and metrics, added to the defaults
# service.name "packetd" and host.name (this machine).
resource:
  service.name: packetd
  # deployment.environment.name: prod

# Named pipelines over the shared roundtrip stream: processors in order, then every sink.
pipelines:
  log:
    processors:
      # Built-in filter: keeps roundtrips matching every criterion given (a list = any of).
      - use: filter
        # protocol: [http, postgresql]
        # transport: [tcp]
        status: [ok, error, unanswered]
        # partial: [request_missing, gap, framing]   # incomplete roundtrips; "complete" = the others
        # address: [10.0.0.0/8, "::1"]    # client or server address, exact or CIDR
        # port: [80, 8080]                # client or server port
        # attributes: { http.request.method: [GET, POST] }
        exclude: false                    # true drops the matching roundtrips instead
      # A custom processor: a module whose default export is (options, context) => operator.
      # Every key besides "use" is passed to it as options.
      # - use: ./slow-requests.js
      #   threshold_ms: 500
    sinks:
      # One JSON object per roundtrip (the record documented in the README).
      - use: jsonl
        path: "-"                         # "-" is stdout; or a file, appended to
        # max_bytes: 100MiB               # rotate the file before it grows past this
        # max_files: 5                    # rotated files kept: FILE.1 (newest) … FILE.5
  # Other roundtrip sinks: "text" (one line per roundtrip for people, same path/rotation
  # options) and "null" (discards, for benchmarks).
  # errors:
  #   processors:
  #     - { use: filter, status: [error, unanswered] }
  #   sinks:
  #     - { use: text, path: errors.log }

  # Traces: toSpans turns roundtrips into spans; otlp sends them over OTLP/HTTP (docs/otel.md).
  # traces:
  #   processors:
  #     - use: toSpans
  #       kind: auto                      # auto | server | client
  #       request_headers: []             # recorded as http.request.header.<name> (needs capture_headers)
  #       response_headers: []
  #   sinks:
  #     - use: otlp
  #       endpoint: http://localhost:4318 # /v1/traces is appended to a bare base URL
  #       encoding: protobuf              # protobuf | json
  #       headers: {}                     # e.g. { authorization: "Bearer …" }
  #       compression: none               # none | gzip
  #       timeout: 10s
  #       batch_size: 1024                # spans per request
  #       batch_interval: 1s              # a partial batch goes after this long
  #       queue_size: 65536               # spans held; at least twice batch_size
  #       max_concurrent_requests: 2
  #       retry: { initial_interval: 1s, max_interval: 30s, max_elapsed_time: 5m }

  # Metrics: toMetrics records RED metrics (once per run); prometheus serves them, otlp pushes
  # them (docs/metrics.md).
  # metrics:
  #   processors:
  #     - use: toMetrics
  #       labels: {}                      # { <protocol>: [attribute, ...], default: [...] }; {} = the default list
  #       histograms: explicit            # explicit | exponential (OTLP only)
  #       duration_buckets: [100us, 250us, 500us, 1ms, 2.5ms, 5ms, 10ms, 25ms, 50ms, 75ms, 100ms, 250ms, 500ms, 750ms, 1s, 2.5s, 5s, 7.5s, 10s]
  #       size_buckets: [64, 256, 1KiB, 4KiB, 16KiB, 64KiB, 256KiB, 1MiB, 4MiB, 16MiB]
  #       exponential_max_size: 160
  #       max_series_per_metric: 2000
  #   sinks:
  #     - use: prometheus
  #       host: 127.0.0.1                 # no authentication: widen on purpose only
  #       port: 9464
  #       path: /metrics
  #       linger: 0                       # keep serving this long after the end of input
  #       linger_scrapes: 0               # ... or until this many scrapes after it (0 = all of linger)
  #     - use: otlp                       # the same options as for traces, without batch_size
  #       endpoint: http://localhost:4318 # and batch_interval; /v1/metrics is appended
  #       interval: 10s                   # collect and push this often
`;
