/** What `packetd config` prints: every setting with its default and a word on what it does. */
export const REFERENCE_PIPELINE = `# packetd pipeline reference. Check a file with \`packetd validate FILE\`, run it with
# \`packetd run FILE\`. Relative paths resolve against the directory of this file.
# Durations: "250ms", "30s", "5m", "1h" (a bare number is seconds).
# Sizes: "512KiB", "4MiB", "10MB" (a bare number is bytes).

# Where packets come from: a pcap or pcapng file (format detected from its first bytes),
# or "-" for a capture stream on stdin (tcpdump -w - | packetd run FILE).
source:
  pcap:
    path: captures/http-nginx.pcap
  # Or live, until SIGINT/SIGTERM (docs/live.md; needs CAP_NET_RAW + CAP_NET_ADMIN):
  # live:                            # through libpcap (the cap addon)
  #   interfaces: [lo]               # names, "any", or { regex: "^eth" }
  #   filter: "not port 22"          # BPF, ANDed with one derived from the protocol rules
  #   promiscuous: true              # cap always captures promiscuously; false needs tcpdump
  #   buffer_size: 64MiB             # libpcap's kernel ring (resident memory)
  #   snaplen: 65535                 # bytes kept per packet (cap's maximum)
  #   ip: both                       # both | ipv4 | ipv6
  #   queue_size: 64MiB              # packets held while a sink catches up or a reload runs
  # tcpdump:                         # a capture program as a child process: kernel timestamps
  #   interface: lo
  #   filter: "not port 22"
  #   path: tcpdump                  # or command: [dumpcap, -i, lo, -w, -]
  #   promiscuous: true
  #   buffer_size: 64MiB
  #   snaplen: 262144
  #   ip: both
  #   queue_size: 64MiB

# The admin HTTP server of a live run: /metrics, /healthz, /watch, POST /-/reload.
admin:
  listen: 127.0.0.1:6061
  enabled: true

# Which protocols to decode, on which server ports. Without ports, the protocol's default
# ports. Leave the whole list out to decode every known protocol on its default ports.
protocols:
  - protocol: http
    ports: [80, 8080]
    options:                     # protocol-specific options, passed to its decoder
      capture_headers: false             # HTTP: every header in the record
      include_sensitive_headers: false   # HTTP: Authorization, Cookie, ... as sent, not REDACTED
      capture_body_bytes: 0              # HTTP: keep the first N body bytes (0 = off)
      max_header_bytes: 64KiB            # HTTP: a longer header block is a decode error

# Also recognise protocols by content when no port rule matches a conversation.
detect: true

# TCP/UDP conversation tracking. Every bound is counted in packetd's stats when hit.
reassembly:
  max_connections: 262144                  # conversations tracked at once
  max_buffered_bytes_per_connection: 4MiB  # out-of-order bytes held per connection
  tcp_idle_timeout: 5m                     # packet time without traffic before a TCP conversation ends
  udp_idle_timeout: 60s

# Pairing requests with responses.
match:
  request_timeout: 30s                     # a request with no response by then is "unanswered"
  max_pending_per_connection: 1024         # requests waiting for a response, per conversation

# Named pipelines over the shared roundtrip stream: processors in order, then every sink.
pipelines:
  log:
    processors:
      # Built-in filter: keeps roundtrips matching every criterion given (a list = any of).
      - use: filter
        protocol: [http]
        # transport: [tcp]
        status: [ok, error, unanswered]
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
  # Other sinks: "text" (one line per roundtrip for people, same path/rotation options) and
  # "null" (discards, for benchmarks).
  # errors:
  #   processors:
  #     - { use: filter, status: [error, unanswered] }
  #   sinks:
  #     - { use: text, path: errors.log }
`;
