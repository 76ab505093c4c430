import { describe, expect, it } from 'vitest';
import { detectRedis } from '../../../src/protocols/redis/detect.js';
import { RedisDecoder } from '../../../src/protocols/redis/decoder.js';
import type { DecoderContext, StreamDecoder } from '../../../src/protocols/types.js';
import { C2S, decodeBothWays, decodeParts, harness, S2C, summary, type Part } from '../../helpers/decoder-harness.js';

/** A command as clients send it: an array of bulk strings. */
function cmd(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}

const create = (ctx: DecoderContext): StreamDecoder => new RedisDecoder(ctx);
const decode = (parts: Part[]) => decodeParts(create, 6379, parts);
/** Every case is also fed one byte per packet. */
const both = (parts: Part[], options: Record<string, unknown> = {}) => decodeBothWays(create, 6379, parts, options);

const op = (h: ReturnType<typeof decode>) =>
  h.messages.map((m) => (m.type === 'request' ? `> ${m.attributes['db.query.text']}` : `< ${String(m.details?.['type'])}${m.error ? ' error' : ''}`));

describe('Redis decoder', () => {
  it('reads a command and its reply, with sizes and redacted query text', () => {
    const h = both([[C2S, cmd('SET', 'user:1', 'ada')], [S2C, '+OK\r\n']]);
    expect(h.messages.map(summary)).toEqual([
      {
        type: 'request', size: 34, error: undefined, noReply: undefined, details: undefined,
        attributes: { 'db.system.name': 'redis', 'db.operation.name': 'SET', 'db.query.text': 'SET ? ?' },
      },
      { type: 'response', size: 5, attributes: {}, error: undefined, noReply: undefined, details: { type: 'simple_string' } },
    ]);
    expect(h.errors).toEqual([]);
  });

  it('shows arguments with include_arguments, and normalises names with their subcommand', () => {
    const h = both([[C2S, cmd('client', 'setname', 'app') + cmd('get', 'k')]], { include_arguments: true });
    expect(h.messages.map((m) => [m.attributes['db.operation.name'], m.attributes['db.query.text']])).toEqual([
      ['CLIENT SETNAME', 'CLIENT setname app'],
      ['GET', 'GET k'],
    ]);
    const redacted = both([[C2S, cmd('client', 'setname', 'app')]]);
    expect(redacted.messages[0]!.attributes).toMatchObject({ 'db.operation.name': 'CLIENT SETNAME', 'db.query.text': 'CLIENT SETNAME ?' });
  });

  it('reads pipelined commands and replies in order', () => {
    const requests = cmd('INCR', 'a').repeat(40);
    const replies = Array.from({ length: 40 }, (_, i) => `:${i + 1}\r\n`).join('');
    const h = both([[C2S, requests], [S2C, replies]]);
    expect(h.messages.filter((m) => m.type === 'request')).toHaveLength(40);
    expect(h.messages.filter((m) => m.type === 'response').map((m) => m.size)).toEqual(
      Array.from({ length: 40 }, (_, i) => String(i + 1).length + 3),
    );
  });

  it('reads every RESP3 reply type, and an attribute before its value', () => {
    const replies = [
      '%2\r\n+a\r\n:1\r\n+b\r\n*2\r\n$1\r\nx\r\n_\r\n', // map holding an array
      '~2\r\n+red\r\n+green\r\n',
      ',3.14\r\n',
      '#t\r\n',
      '(3492890328409238509324850943850943825024385\r\n',
      '=15\r\ntxt:Some string\r\n',
      '_\r\n',
      '|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.1923\r\n$4\r\nreal\r\n',
      '!21\r\nSYNTAX invalid syntax\r\n',
    ];
    const h = both([[C2S, cmd('X').repeat(replies.length)], [S2C, replies.join('')]]);
    expect(op(h).filter((line) => line.startsWith('<'))).toEqual([
      '< map', '< set', '< double', '< boolean', '< big_number', '< verbatim_string', '< null', '< bulk_string', '< blob_error error',
    ]);
    expect(h.messages.at(-1)!.attributes).toEqual({ 'db.response.status_code': 'SYNTAX', 'error.type': 'SYNTAX' });
  });

  it('marks error replies with their prefix', () => {
    const h = both([[C2S, cmd('LPUSH', 's', 'x')], [S2C, '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n']]);
    expect(h.messages[1]).toMatchObject({ error: true, attributes: { 'db.response.status_code': 'WRONGTYPE', 'error.type': 'WRONGTYPE' } });
  });

  it('reads inline commands, ignoring empty lines', () => {
    const h = both([[C2S, 'PING\r\n\r\nSET k "two words"\r\nexists a b\n'], [S2C, '+PONG\r\n+OK\r\n:0\r\n']]);
    expect(op(h)).toEqual(['> PING', '> SET ? ?', '> EXISTS ? ?', '< simple_string', '< simple_string', '< integer']);
    expect(h.messages[1]!.size).toBe(19);
  });

  it('does not take RESP2 pub/sub messages for replies; SUBSCRIBE is answered by its first confirmation', () => {
    const confirm = (kind: string, channel: string, n: number) => `*3\r\n$${kind.length}\r\n${kind}\r\n$${channel.length}\r\n${channel}\r\n:${n}\r\n`;
    const h = both([
      [C2S, cmd('SUBSCRIBE', 'a', 'b')],
      [S2C, confirm('subscribe', 'a', 1) + confirm('subscribe', 'b', 2)],
      [S2C, '*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n'],
      [C2S, cmd('PING')],
      [S2C, '*2\r\n$4\r\npong\r\n$0\r\n\r\n'],
      [C2S, cmd('UNSUBSCRIBE')],
      [S2C, confirm('unsubscribe', 'a', 1) + confirm('unsubscribe', 'b', 0)],
      [C2S, cmd('LRANGE', 'l', '0', '-1')],
      [S2C, '*1\r\n$7\r\nmessage\r\n'], // a list that happens to hold "message": a reply again
    ]);
    expect(op(h)).toEqual(['> SUBSCRIBE ? ?', '< array', '> PING', '< array', '> UNSUBSCRIBE', '< array', '> LRANGE ? ? ?', '< array']);
    expect(h.stats.snapshot()['packetd_redis_pushes_total']).toBe(3);
  });

  it('never takes RESP3 pushes for replies', () => {
    const h = both([
      [C2S, cmd('HELLO', '3')],
      [S2C, '%1\r\n+proto\r\n:3\r\n'],
      [C2S, cmd('SUBSCRIBE', 'news')],
      [S2C, '>3\r\n+subscribe\r\n+news\r\n:1\r\n'],
      [C2S, cmd('GET', 'k')],
      [S2C, '>3\r\n+message\r\n+news\r\n+hi\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nv\r\n'],
    ]);
    expect(op(h)).toEqual(['> HELLO ?', '< map', '> SUBSCRIBE ?', '< push', '> GET ?', '< bulk_string']);
    expect(h.stats.snapshot()['packetd_redis_pushes_total']).toBe(2);
  });

  it('tracks the database chosen by SELECT', () => {
    const h = both([[C2S, cmd('SELECT', '2') + cmd('GET', 'k')]]);
    expect(h.messages.map((m) => m.attributes['db.namespace'])).toEqual([undefined, '2']);
  });

  it('skips a bulk string lost in a gap, and resyncs after one elsewhere', () => {
    const h = harness(create, 6379);
    h.decoder.data(C2S, Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n01'), 1);
    h.decoder.gap(C2S, 4, 2);
    h.decoder.data(C2S, Buffer.from('6789\r\n'), 3);
    h.decoder.data(C2S, Buffer.from('*2\r\n$3\r\nGET\r\n'), 4);
    h.decoder.gap(C2S, 100, 5);
    h.decoder.data(C2S, Buffer.from('garbage\r\n' + cmd('PING')), 6);
    expect(h.messages.map((m) => [m.attributes['db.query.text'], m.size])).toEqual([['SET ? ?', 37], ['PING', 14]]);
    expect(h.errors).toEqual(['gap_in_message']);
  });

  it('counts malformed bytes and resyncs at the next command', () => {
    const h = both([[C2S, '*2\r\n$x\r\nfoo\r\n' + cmd('PING')], [S2C, '+PONG\r\n']]);
    expect(op(h)).toEqual(['> PING', '< simple_string']);
    expect(h.errors).toEqual(['bad_length']);
  });

  it('gives the conversation up on bytes no Redis peer sends, emitting nothing of them', () => {
    const reply = both([[C2S, cmd('PING')], [S2C, 'HTTP/1.1 200 OK\r\n+PONG\r\n']]);
    expect([op(reply), reply.errors, reply.released]).toEqual([['> PING'], ['bad_reply_type'], ['not_redis']]);
    const request = both([[C2S, 'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n' + cmd('PING')]]);
    expect([op(request), request.errors, request.released]).toEqual([[], ['http_request_line'], ['not_redis']]);
    // Joined after the request line: header lines read as inline commands, held until the reply.
    const header = both([[C2S, 'User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n'], [S2C, 'HTTP/1.1 200 OK\r\n']]);
    expect([op(header), header.errors, header.released]).toEqual([[], ['bad_reply_type'], ['not_redis']]);
    // Odd inline bytes a real server answered (tcpdump's resp_3_malicious.pcap) are commands.
    const odd = both([[C2S, '$0\r\n'], [S2C, "-ERR unknown command '$0'\r\n"]]);
    expect([op(odd), odd.released]).toEqual([['> $0', '< error error'], []]);
    // HTTP/0.9 `GET /index.html` is a valid inline command: held until the server's reply, which is no RESP.
    const old = both([[C2S, 'GET /index.html\r\n'], [S2C, '<html><body>page</body></html>\n']]);
    expect([op(old), old.errors, old.released]).toEqual([[], ['bad_reply_type'], ['not_redis']]);
    // Inline commands as redis-cli and telnet users send them stay commands, modules' names included.
    const inline = both([[C2S, 'PING\r\nFT.SEARCH idx "@title:hello world"\r\nclient_list\r\n']]);
    expect([op(inline), inline.released]).toEqual([['> PING', '> FT.SEARCH ? ?', '> CLIENT_LIST'], []]);
  });

  it('bounds nesting and line length', () => {
    const deep = decode([[C2S, cmd('X')], [S2C, '*1\r\n'.repeat(100) + ':1\r\n']]);
    expect(deep.errors).toEqual(['too_deep']);
    const long = decode([[S2C, '+' + 'a'.repeat(70_000)]]);
    expect(long.errors).toEqual(['line_too_long']);
  });
});

describe('Redis detection', () => {
  it('claims a client array of bulk strings, nothing else', () => {
    expect(detectRedis(Buffer.from(cmd('PING')), C2S)).toEqual({ verdict: 'yes' });
    expect(detectRedis(Buffer.from('*1'), C2S)).toEqual({ verdict: 'more' });
    expect(detectRedis(Buffer.from('GET / HTTP/1.1\r\n'), C2S)).toEqual({ verdict: 'no' });
    expect(detectRedis(Buffer.from('*1\r\n:1\r\n'), C2S)).toEqual({ verdict: 'no' });
    expect(detectRedis(Buffer.from('+OK\r\n'), S2C)).toEqual({ verdict: 'no' });
    expect(detectRedis(Buffer.from('get k\r\n'), C2S)).toEqual({ verdict: 'no' });
  });
});
