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

  it('a backend that keeps running is charged to Postgres; one that exits never makes the sum negative', async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    const idle = new pg.Client({ connectionString: adminUrl });
    await idle.connect();
    try {
      await idle.query(busyStatement); // CPU the idle backend has spent before the first reading
      const [{ pid }] = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [
        { pid: number },
      ];
      const before = read();
      expect(before.dependencies.get(pid)?.micros, 'the backend has spent its CPU').to.be.greaterThan(
        100_000,
      );
      await client.query(busyStatement);
      await idle.end(); // the backend exits between the readings
      while (existsSync(`/proc/${pid}`)) await new Promise((resolve) => setTimeout(resolve, 20));
      const after = read();
      const spent = machineCpuPerRequest(before, after, 2)!;
      expect(spent.postgresMs, 'half of the statement, per request').to.be.greaterThan(50);
      expect(spent.machineMs).to.be.at.least(spent.postgresMs);
    } finally {
      await client.end();
      await idle.end().catch(() => {});
    }
  });

  it('answers nothing without two readings or without requests', () => {
    const reading = read();
    expect(machineCpuPerRequest(undefined, reading, 10)).to.equal(undefined);
    expect(machineCpuPerRequest(reading, reading, 0)).to.equal(undefined);
  });
});
