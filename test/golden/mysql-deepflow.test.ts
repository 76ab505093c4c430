/**
 * deepflow's MySQL captures (../shared/corpus/deepflow/mysql, ports 3306, 20130, 30130, found
 * by content): each decodes, and the statements and errors packetd reports are the ones
 * deepflow's `.result` files name, for COM_QUERY and COM_STMT_PREPARE (deepflow shows an
 * execute's parameter values where packetd shows the prepared statement's text). deepflow also
 * reports the login as a request; packetd passes the handshake over by design, so those lines
 * are left out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COM_QUERY, COM_STMT_PREPARE } from '../../src/protocols/mysql/wire.js';
import { corpusPath, decodeErrors, runChain } from './chain.js';

const DIR = corpusPath('deepflow/mysql');
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.pcap') && existsSync(`${DIR}/${f.replace(/\.pcap$/, '.result')}`)) : [];
if (files.length === 0) console.log(`mysql-deepflow: ${DIR} not found, skipped`);

interface DeepflowLine {
  msg_type: string;
  request_type?: number;
  request_resource?: string;
  response_status?: string;
  response_execption?: string;
  endpoint?: string | null;
}

function deepflowLines(file: string): DeepflowLine[] {
  return readFileSync(`${DIR}/${file.replace(/\.pcap$/, '.result')}`, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line.slice(0, line.lastIndexOf('}') + 1)) as DeepflowLine);
}

describe.skipIf(files.length === 0).each(files)('deepflow/mysql/%s', (file) => {
  it('names the statements and errors deepflow names', async () => {
    const lines = deepflowLines(file);
    const statements = lines
      .filter((l) => l.msg_type === 'Request' && (l.request_type === COM_QUERY || l.request_type === COM_STMT_PREPARE))
      .map((l) => l.request_resource);
    const errors = lines
      .filter((l) => l.msg_type === 'Response' && l.response_status?.endsWith('_error') && !l.endpoint?.startsWith('Login'))
      .map((l) => l.response_execption);
    const { roundtrips, stats } = await runChain(`${DIR}/${file}`, [{ protocol: 'mysql', options: { include_literals: true } }], true);
    const ours = roundtrips.filter((rt) => rt.request?.['command'] === 'COM_QUERY' || rt.request?.['command'] === 'COM_STMT_PREPARE');
    // Roundtrips come out as responses complete: across connections, order differs from deepflow's.
    expect(ours.map((rt) => String(rt.attributes['db.query.text'])).sort()).toEqual(statements.sort());
    expect(roundtrips.filter((rt) => rt.status === 'error').map((rt) => rt.response?.['message'])).toEqual(errors);
    expect(decodeErrors(stats)).toEqual({});
  });
});
