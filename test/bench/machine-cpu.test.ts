import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import pg from 'pg';
import { type MachineCpu, machineCpuPerRequest, readMachineCpu } from '../../bench/lib/machine-cpu.js';
import { adminUrl } from '../support/postgres.js';

// A CPU-bound statement of a few hundred milliseconds in the backend that runs it.
const busyStatement = 'SELECT count(*) FROM generate_series(1, 4000000)';

function read(): MachineCpu {
  const reading = readMachineCpu();
  expect(reading, '/proc readable').to.not.equal(undefined);
  return reading!;
}

describe("bench: the machine's CPU account (/proc)", function () {
  this.timeout(30_000);

  it("finds the machine's Postgres and Valkey processes", () => {
    const dependencies = [...read().dependencies.values()].map((process) => process.dependency);
    expect(dependencies).to.include('postgres');
    expect(dependencies).to.include('valkey');
  });

  it('charges a busy child process to the machine', async () => {
    const before = read();
    await new Promise<void>((resolve, reject) => {
      // Spins until it has had 400 ms of CPU, however long a contended machine takes to give it.
      const spin = 'while (process.cpuUsage().user < 400_000);';
      const child = spawn(process.execPath, ['-e', spin]);
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    const spent = machineCpuPerRequest(before, read(), 1)!;
    expect(spent.machineMs).to.be.at.least(400);
    expect(spent.stolenShare).to.be.within(0, 1);
  });

  it('a backend that keeps running is charged to Postgres; one that exits takes its CPU with it', async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    const idle = new pg.Client({ connectionString: adminUrl });
    const backendPid = async (of: pg.Client) =>
      ((await of.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
    try {
      await client.connect();
      await idle.connect();
      await idle.query(busyStatement); // CPU the idle backend has spent before the first reading
      const [clientPid, idlePid] = [await backendPid(client), await backendPid(idle)];
      const before = read();
      expect(before.dependencies.get(idlePid)?.micros, 'the backend has spent its CPU').to.be.greaterThan(
        100_000,
      );
      await client.query(busyStatement);
      await idle.end(); // the backend exits between the readings
      const deadline = Date.now() + 10_000;
      while (existsSync(`/proc/${idlePid}`)) {
        if (Date.now() > deadline)
          expect.fail(`backend ${idlePid} still running 10 s after its client closed`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const after = read();
      const spent = machineCpuPerRequest(before, after, 2)!;
      // Everything the running backend spent between the readings is in, whatever the exited one
      // had spent before them (a plain sum of before and after would subtract that).
      const clientSpentMs =
        (after.dependencies.get(clientPid)!.micros - before.dependencies.get(clientPid)!.micros) / 1000;
      expect(clientSpentMs, 'the statement ran in the client backend').to.be.greaterThan(0);
      expect(spent.postgresMs * 2).to.be.at.least(clientSpentMs);
      expect(spent.machineMs).to.be.at.least(spent.postgresMs);
    } finally {
      await client.end().catch(() => {});
      await idle.end().catch(() => {});
    }
  });

  it('answers nothing without two readings or without requests', () => {
    const reading = read();
    expect(machineCpuPerRequest(undefined, reading, 10)).to.equal(undefined);
    expect(machineCpuPerRequest(reading, reading, 0)).to.equal(undefined);
  });
});
