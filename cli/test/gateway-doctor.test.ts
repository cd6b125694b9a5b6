import { create } from '@bufbuild/protobuf';
import { GetDoctorReportResponseSchema } from '@mosaic/contracts/v1/admin_pb';
import { DependencyStatus, Tier } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import { doctorJson, renderDoctor, unreachableDoctor } from '../src/render/doctor-view.js';

const report = create(GetDoctorReportResponseSchema, {
  tier: Tier.FEDERATED,
  configPath: '/etc/mosaic/mosaic.config.json',
  mode: 'gateway',
  overall: DependencyStatus.RED,
  dependencies: [
    {
      name: 'postgres',
      status: DependencyStatus.GREEN,
      latencyMs: 3,
      target: 'db:5432',
      message: 'PostgreSQL answering',
    },
    {
      name: 'valkey',
      status: DependencyStatus.GREEN,
      latencyMs: 1,
      target: 'valkey:6379',
      message: 'Valkey answering',
    },
    {
      name: 'pgvector',
      status: DependencyStatus.YELLOW,
      latencyMs: 0,
      target: 'postgres extension "vector"',
      message: 'keyword mode',
      remedy: 'Install pgvector.',
    },
  ],
  services: [
    { name: 'ca', status: DependencyStatus.GREEN, latencyMs: 4, message: 'ready at http://ca:9101' },
    { name: 'grants', status: DependencyStatus.GREEN, latencyMs: 5, message: 'ready at http://grants:9102' },
    {
      name: 'audit',
      status: DependencyStatus.RED,
      latencyMs: 3000,
      message: 'unreachable at http://audit:9103',
    },
    { name: 'gateway', status: DependencyStatus.GREEN, latencyMs: 2, message: 'ready' },
  ],
});

describe('mosaic gateway doctor (rendering)', () => {
  it('M1-5: reports the tier and every service correctly', () => {
    const view = doctorJson(report, 'http://127.0.0.1:8080');
    expect(view.tier).to.equal('federated');
    expect(view.overall).to.equal('red');
    expect(view.services.map((s) => [s.name, s.status])).to.deep.equal([
      ['ca', 'green'],
      ['grants', 'green'],
      ['audit', 'red'],
      ['gateway', 'green'],
    ]);
    const text = renderDoctor(view);
    expect(text).to.include('tier    federated');
    expect(text).to.include('config  /etc/mosaic/mosaic.config.json');
    expect(text).to.include('microservices (this gateway: gateway)');
    for (const name of ['postgres', 'valkey', 'pgvector', 'ca', 'grants', 'audit', 'gateway']) {
      expect(text).to.match(new RegExp(`^${name}\\s+[●▲✖] (green|yellow|red)`, 'm'));
    }
    expect(text).to.match(/^audit\s+✖ red\s+3000 ms\s+unreachable at http:\/\/audit:9103$/m);
    expect(text).to.include('To fix:\n  pgvector: Install pgvector.');
  });

  it('M1-5: --json is valid, stable JSON: fixed key order, versioned, no protobuf internals', () => {
    const json = JSON.stringify(doctorJson(report, 'http://127.0.0.1:8080'));
    expect(JSON.parse(json)).to.be.an('object');
    expect(Object.keys(JSON.parse(json))).to.deep.equal([
      'version',
      'endpoint',
      'tier',
      'configPath',
      'mode',
      'overall',
      'dependencies',
      'services',
    ]);
    expect(json).not.to.include('$typeName');
    // The same report always serialises to the same bytes.
    expect(JSON.stringify(doctorJson(report, 'http://127.0.0.1:8080'))).to.equal(json);
    const first = JSON.parse(json).dependencies[0];
    expect(first).to.deep.equal({
      name: 'postgres',
      status: 'green',
      latencyMs: 3,
      target: 'db:5432',
      message: 'PostgreSQL answering',
      remedy: '',
    });
  });

  it('M1-5: an unreachable gateway is one red row that says where and what to do', () => {
    const view = unreachableDoctor({
      endpoint: 'http://127.0.0.1:1',
      tier: 'local',
      configPath: null,
      reason: 'connect ECONNREFUSED',
    });
    expect(view.overall).to.equal('red');
    expect(view.services).to.have.length(1);
    expect(view.services[0]!.message).to.include('http://127.0.0.1:1');
    expect(view.services[0]!.message).to.include('npm start');
    expect(renderDoctor(view)).to.include('(built-in defaults)');
    // Tier and config are this machine's, not the gateway's: the text says so.
    expect(renderDoctor(view)).to.match(
      /tier\s+local \(from this machine's config; the gateway was not reached\)/,
    );
    expect(renderDoctor(view)).to.match(/mode\s+unknown \(the gateway was not reached\)/);
    expect(renderDoctor(view)).not.to.include('microservices');
  });
});
