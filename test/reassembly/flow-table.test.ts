import { describe, expect, it } from 'vitest';
import { Flow } from '../../src/reassembly/flow.js';
import { flowHash, flowKey } from '../../src/reassembly/flow-key.js';
import { LruFlows } from '../../src/reassembly/flow-table.js';
import { seqAdd, seqDiff } from '../../src/reassembly/seq.js';
import { endpoint, udpPacket } from '../helpers/packets.js';

const server = endpoint('10.0.0.2', 53);
const clients = [endpoint('10.0.0.1', 5000), endpoint('10.0.1.1', 5000), endpoint('10.0.2.1', 5000)];

/** Flows forced into one hash bucket, to exercise the chain. */
function sameBucketFlows(): Flow[] {
  return clients.map((client, i) => {
    const p = udpPacket(client, server, i, 'x');
    const conv = { id: i + 1, transport: 'udp' as const, client, server, rolesGuessed: true, start: i };
    return new Flow(flowKey(p), 7, conv, client.address, client.port, server.address, server.port);
  });
}

describe('flow keys', () => {
  it('give both directions of a conversation the same key and hash', () => {
    const there = udpPacket(clients[0], server, 0, 'q');
    const back = udpPacket(server, clients[0], 0, 'a');
    expect(flowKey(back)).toBe(flowKey(there));
    expect(flowHash(back)).toBe(flowHash(there));
    expect(flowKey(udpPacket(clients[1], server, 0, 'q'))).not.toBe(flowKey(there));
  });
});

describe('LruFlows', () => {
  it('tells apart flows that share a hash, and unlinks any of them', () => {
    const table = new LruFlows<Flow>();
    const flows = sameBucketFlows();
    for (const flow of flows) table.add(flow, 0);
    const lookup = (i: number) => table.find(udpPacket(server, clients[i], 0, 'a'), 7);
    expect([0, 1, 2].map(lookup)).toEqual(flows);
    table.remove(flows[1]);
    expect([0, 1, 2].map(lookup)).toEqual([flows[0], undefined, flows[2]]);
    table.remove(flows[2]);
    table.remove(flows[0]);
    expect([0, 1, 2].map(lookup)).toEqual([undefined, undefined, undefined]);
    expect(table.size).toBe(0);
  });

  it('moves a flow to the back of the activity order once per tick', () => {
    const table = new LruFlows<Flow>();
    const flows = sameBucketFlows();
    for (const flow of flows) table.add(flow, 0);
    table.touch(flows[0], 0);
    expect(table.oldest()).toBe(flows[0]);
    table.touch(flows[0], 1);
    expect([...table.inActivityOrder()]).toEqual([flows[1], flows[2], flows[0]]);
  });
});

describe('sequence arithmetic', () => {
  it('orders numbers across the 32-bit wrap', () => {
    expect(seqDiff(5, 0xfffffffb)).toBe(10);
    expect(seqDiff(0xfffffffb, 5)).toBe(-10);
    expect(seqAdd(0xfffffffb, 10)).toBe(5);
  });
});
