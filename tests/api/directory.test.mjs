// Organizations, groups and sites (a Rapport extension): create, list, show, update, delete.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FORBIDDEN, NOT_FOUND, client, createTicket, createUser, tokenAuth, stopClean } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

describe('directory', () => {
  let srv;
  let api;
  let asAgent;
  let asCustomer;
  let customer;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    const agent = await createUser(api, { name: 'Dir Agent', email: 'dir-agent@example.com', role: 'agent' });
    customer = await createUser(api, { name: 'Dir Customer', email: 'dir-customer@example.com' });
    asAgent = api.as(tokenAuth(agent.email, srv.token));
    asCustomer = api.as(tokenAuth(customer.email, srv.token));
  });
  after(() => stopClean(srv));

  describe('organizations', () => {
    test('create (201 + Location), show, list, update', async () => {
      const res = await api.post(
        '/api/v2/organizations.json',
        { organization: { name: 'Acme Inc', domain_names: ['Acme.com'], external_id: 'org-acme', tags: ['Gold'], notes: 'n' } },
        { expect: 201 },
      );
      const o = res.body.organization;
      assert.equal(res.headers.get('location'), `${srv.baseUrl}/api/v2/organizations/${o.id}.json`);
      assert.equal(o.url, `${srv.baseUrl}/api/v2/organizations/${o.id}.json`);
      assert.equal(o.name, 'Acme Inc');
      assert.deepEqual(o.domain_names, ['acme.com']);
      assert.deepEqual(o.tags, ['gold']);
      assert.equal(o.external_id, 'org-acme');
      assert.equal(o.shared_tickets, false);

      assert.equal((await api.get(`/api/v2/organizations/${o.id}.json`, { expect: 200 })).body.organization.name, 'Acme Inc');
      const list = (await api.get('/api/v2/organizations.json', { expect: 200 })).body;
      assert.ok(list.organizations.some((x) => x.id === o.id));
      assert.equal(list.count, list.organizations.length);

      const up = await api.put(`/api/v2/organizations/${o.id}.json`, { organization: { notes: 'updated', shared_tickets: true } }, { expect: 200 });
      assert.equal(up.body.organization.notes, 'updated');
      assert.equal(up.body.organization.shared_tickets, true);
      assert.equal(up.body.organization.name, 'Acme Inc');
    });

    test('a duplicate name (any case) is 422 "Name: has already been taken" and creates nothing', async () => {
      await api.post('/api/v2/organizations.json', { organization: { name: 'Unique Org' } }, { expect: 201 });
      const before = (await api.get('/api/v2/organizations.json', { expect: 200 })).body.count;
      const res = await api.post('/api/v2/organizations.json', { organization: { name: 'unique org' } }, { expect: 422 });
      assert.equal(res.body.error, 'RecordInvalid');
      assert.equal(res.body.details.name[0].description, 'Name: has already been taken');
      assert.equal(res.body.details.name[0].error, 'DuplicateValue');
      assert.equal((await api.get('/api/v2/organizations.json', { expect: 200 })).body.count, before);
      // Renaming onto a taken name is refused too.
      const other = (await api.post('/api/v2/organizations.json', { organization: { name: 'Other Org' } }, { expect: 201 })).body
        .organization;
      const ren = await api.put(`/api/v2/organizations/${other.id}.json`, { organization: { name: 'Unique Org' } }, { expect: 422 });
      assert.equal(ren.body.details.name[0].description, 'Name: has already been taken');
      assert.equal((await api.get(`/api/v2/organizations/${other.id}.json`, { expect: 200 })).body.organization.name, 'Other Org');
      const blank = await api.post('/api/v2/organizations.json', { organization: { name: '' } }, { expect: 422 });
      assert.equal(blank.body.details.name[0].error, 'BlankValue');
    });

    test('delete gives 204, then 404; members and tickets stay', async () => {
      const o = (await api.post('/api/v2/organizations.json', { organization: { name: 'Doomed Org' } }, { expect: 201 })).body.organization;
      const member = await createUser(api, { name: 'Org Member', email: 'member@example.com', organization_id: o.id });
      const t = await createTicket(api, { subject: 'org ticket', requester_id: member.id });
      assert.equal(t.organization_id, o.id, 'a ticket takes its requester organization');
      const del = await api.delete(`/api/v2/organizations/${o.id}.json`, { expect: 204 });
      assert.equal(del.text, '');
      assert.deepEqual((await api.get(`/api/v2/organizations/${o.id}.json`, { expect: 404 })).body, NOT_FOUND);
      await api.delete(`/api/v2/organizations/${o.id}.json`, { expect: 404 });
      assert.equal((await api.get(`/api/v2/users/${member.id}.json`, { expect: 200 })).body.user.organization_id, null);
      assert.equal((await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket.organization_id, null);
    });

    test('agents manage organizations but cannot delete them; end users see only their own', async () => {
      const o = (await asAgent.post('/api/v2/organizations.json', { organization: { name: 'Agent Org' } }, { expect: 201 })).body
        .organization;
      assert.deepEqual((await asAgent.delete(`/api/v2/organizations/${o.id}.json`, { expect: 403 })).body, FORBIDDEN);
      await api.get(`/api/v2/organizations/${o.id}.json`, { expect: 200 });
      assert.deepEqual((await asCustomer.get('/api/v2/organizations.json', { expect: 403 })).body, FORBIDDEN);
      await asCustomer.get(`/api/v2/organizations/${o.id}.json`, { expect: 403 });
      await asCustomer.post('/api/v2/organizations.json', { organization: { name: 'Customer Org' } }, { expect: 403 });
      await api.put(`/api/v2/users/${customer.id}.json`, { user: { organization_id: o.id } }, { expect: 200 });
      assert.equal((await asCustomer.get(`/api/v2/organizations/${o.id}.json`, { expect: 200 })).body.organization.name, 'Agent Org');
    });
  });

  describe('groups', () => {
    test('create (201 + Location), show, list, update, delete', async () => {
      const res = await api.post('/api/v2/groups.json', { group: { name: 'Tier 1', description: 'first line' } }, { expect: 201 });
      const g = res.body.group;
      assert.equal(res.headers.get('location'), `${srv.baseUrl}/api/v2/groups/${g.id}.json`);
      assert.equal(g.url, `${srv.baseUrl}/api/v2/groups/${g.id}.json`);
      assert.equal(g.name, 'Tier 1');
      assert.equal(g.description, 'first line');
      assert.equal(g.deleted, false);
      assert.equal(typeof g.default, 'boolean');
      assert.equal(typeof g.is_public, 'boolean');

      assert.equal((await api.get(`/api/v2/groups/${g.id}`, { expect: 200 })).body.group.name, 'Tier 1');
      const up = await api.put(`/api/v2/groups/${g.id}.json`, { group: { name: 'Tier One' } }, { expect: 200 });
      assert.equal(up.body.group.name, 'Tier One');
      assert.equal(up.body.group.description, 'first line');
      assert.ok((await api.get('/api/v2/groups.json', { expect: 200 })).body.groups.some((x) => x.id === g.id));

      await api.delete(`/api/v2/groups/${g.id}.json`, { expect: 204 });
      const list = (await api.get('/api/v2/groups.json', { expect: 200 })).body;
      assert.ok(!list.groups.some((x) => x.id === g.id), 'a deleted group leaves the list');
      const shown = await api.get(`/api/v2/groups/${g.id}.json`);
      assert.ok(shown.status === 404 || shown.body.group.deleted === true, `deleted group shows as ${shown.status} ${shown.text}`);
      // A deleted group cannot receive tickets.
      const t = await api.post('/api/v2/tickets.json', { ticket: { comment: { body: 'x' }, group_id: g.id } }, { expect: 422 });
      assert.ok(t.body.details.group_id, JSON.stringify(t.body));
    });

    test('only admins create or change groups; a group needs a name', async () => {
      await asAgent.post('/api/v2/groups.json', { group: { name: 'Agent Group' } }, { expect: 403 });
      await asAgent.get('/api/v2/groups.json', { expect: 200 });
      await asCustomer.get('/api/v2/groups.json', { expect: 403 });
      const blank = await api.post('/api/v2/groups.json', { group: { description: 'no name' } }, { expect: 422 });
      assert.equal(blank.body.details.name[0].error, 'BlankValue');
      assert.ok(!(await api.get('/api/v2/groups.json', { expect: 200 })).body.groups.some((g) => g.name === 'Agent Group'));
    });
  });

  describe('sites (Rapport extension)', () => {
    test('create (201 + Location), show, list, update; no delete', async () => {
      const res = await api.post(
        '/api/v2/sites.json',
        { site: { name: 'Lisbon', kind: 'vendor', vendor: 'CallCo', time_zone: 'Europe/Lisbon' } },
        { expect: 201 },
      );
      const s = res.body.site;
      assert.equal(res.headers.get('location'), `${srv.baseUrl}/api/v2/sites/${s.id}.json`);
      assert.equal(s.url, `${srv.baseUrl}/api/v2/sites/${s.id}.json`);
      assert.deepEqual([s.name, s.kind, s.vendor, s.time_zone], ['Lisbon', 'vendor', 'CallCo', 'Europe/Lisbon']);
      assert.equal((await api.get(`/api/v2/sites/${s.id}.json`, { expect: 200 })).body.site.name, 'Lisbon');
      const up = await api.put(`/api/v2/sites/${s.id}.json`, { site: { kind: 'in_house', vendor: null } }, { expect: 200 });
      assert.equal(up.body.site.kind, 'in_house');
      assert.equal(up.body.site.vendor, null);
      assert.ok((await api.get('/api/v2/sites.json', { expect: 200 })).body.sites.some((x) => x.id === s.id));
      await api.delete(`/api/v2/sites/${s.id}.json`, { expect: 405 });
      await api.get(`/api/v2/sites/${s.id}.json`, { expect: 200 });
      await api.get('/api/v2/sites/9999.json', { expect: 404 });
    });

    test('a bad kind is 422; a duplicate name is refused; agents cannot create sites', async () => {
      const bad = await api.post('/api/v2/sites.json', { site: { name: 'Bad', kind: 'moon' } }, { expect: 422 });
      assert.equal(bad.body.details.kind[0].error, 'InvalidValue');
      await api.post('/api/v2/sites.json', { site: { name: 'Porto' } }, { expect: 201 });
      const dup = await api.post('/api/v2/sites.json', { site: { name: 'Porto' } }, { expect: 422 });
      assert.equal(dup.body.details.name[0].description, 'Name: has already been taken');
      await asAgent.post('/api/v2/sites.json', { site: { name: 'Agent Site' } }, { expect: 403 });
      const names = (await api.get('/api/v2/sites.json', { expect: 200 })).body.sites.map((s) => s.name);
      assert.deepEqual(names.filter((n) => ['Bad', 'Porto', 'Agent Site'].includes(n)), ['Porto']);
    });
  });
});
