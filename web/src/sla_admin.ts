// Admin pages for business-hours schedules (with holidays) and SLA policies, over Zendesk's
// business_hours/schedules and slas/policies APIs. Validation happens on the server: its 422
// messages are shown as they come.
import { ApiError, request, validationMessages } from './api';
import { h, replaceChildren, uid } from './dom';
import type { RouteContext } from './router';
import { metricLabel } from './sla';
import { errorBox, loading, messageOf, setTitle } from './ui';

interface Interval {
  start_time: number;
  end_time: number;
}
interface Schedule {
  id: number;
  name: string;
  time_zone: string;
  iana_time_zone?: string;
  intervals: Interval[];
}
interface Holiday {
  id: number;
  name: string;
  start_date: string;
  end_date: string;
}
interface PolicyCondition {
  field: string;
  operator: string;
  value: unknown;
}
interface PolicyMetric {
  priority: string;
  metric: string;
  target: number;
  business_hours: boolean;
}
interface Policy {
  id: number;
  title: string;
  description?: string;
  filter: { all: PolicyCondition[]; any: PolicyCondition[] };
  policy_metrics: PolicyMetric[];
  schedule_id: number | null;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const METRICS = ['first_reply_time', 'next_reply_time', 'periodic_update_time', 'requester_wait_time', 'total_resolution_time'];
const CONDITION_FIELDS: Array<{ field: string; label: string; operators: string[] }> = [
  { field: 'priority', label: 'Priority', operators: ['is', 'is_not', 'less_than', 'greater_than'] },
  { field: 'group_id', label: 'Group (id)', operators: ['is', 'is_not'] },
  { field: 'organization_id', label: 'Organization (id)', operators: ['is', 'is_not'] },
  { field: 'via', label: 'Channel', operators: ['is', 'is_not'] },
  { field: 'type', label: 'Type', operators: ['is', 'is_not'] },
  { field: 'current_tags', label: 'Tags', operators: ['includes', 'not_includes'] },
];

const SCHEDULES = '/api/v2/business_hours/schedules';
const POLICIES = '/api/v2/slas/policies';

/** A failure as the page shows it: a 422's messages, or what went wrong. */
function failure(prefix: string, err: unknown): HTMLElement {
  if (err instanceof ApiError && err.status === 422) {
    const { description, details } = validationMessages(err.body);
    return errorBox(description, ...details);
  }
  return errorBox(`${prefix} ${messageOf(err)}`);
}

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const minutesOf = (text: string): number | null => {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const total = Number(m[1]) * 60 + Number(m[2]);
  return total <= 1440 ? total : null;
};

export function renderSlaSettings(container: HTMLElement, ctx: RouteContext): void {
  setTitle('SLA settings');
  const schedulesSlot = h('section', { 'aria-labelledby': 'schedules-heading', testid: 'schedules' }, loading());
  const policiesSlot = h('section', { 'aria-labelledby': 'policies-heading', testid: 'policies' }, loading());
  replaceChildren(container, h('h1', null, 'SLA settings'), schedulesSlot, policiesSlot);
  let schedules: Schedule[] = [];

  const reload = (): void => {
    Promise.all([
      request<{ schedules: Schedule[] }>('GET', SCHEDULES),
      request<{ sla_policies: Policy[] }>('GET', POLICIES),
    ]).then(
      ([s, p]) => {
        if (!ctx.isCurrent()) return;
        schedules = s.schedules;
        replaceChildren(schedulesSlot, ...scheduleSection(schedules, reload));
        replaceChildren(policiesSlot, ...policySection(p.sla_policies, schedules, reload));
      },
      (err: unknown) => {
        if (ctx.isCurrent()) replaceChildren(schedulesSlot, errorBox(`Couldn't load the SLA settings. ${messageOf(err)}`));
      },
    );
  };
  reload();
}

// ---- schedules ----

function scheduleSection(schedules: Schedule[], reload: () => void): Node[] {
  const editorSlot = h('div');
  const feedback = h('div', { 'aria-live': 'polite' });
  const open = (s?: Schedule): void => replaceChildren(editorSlot, scheduleEditor(s, reload, () => replaceChildren(editorSlot)));
  const add = h('button', { type: 'button', class: 'primary', testid: 'schedule-new' }, 'New schedule');
  add.addEventListener('click', () => open());
  const rows = schedules.map((s, i) => {
    const edit = h('button', { type: 'button', class: 'link-button', testid: 'schedule-edit' }, 'Edit');
    edit.addEventListener('click', () => open(s));
    const remove = h('button', { type: 'button', class: 'link-button', testid: 'schedule-delete' }, 'Delete');
    remove.addEventListener('click', () => {
      if (!window.confirm(`Delete the schedule "${s.name}"?`)) return;
      request('DELETE', `${SCHEDULES}/${s.id}`).then(reload, (err: unknown) => replaceChildren(feedback, failure("Couldn't delete.", err)));
    });
    return h(
      'li',
      { class: 'rule', testid: 'schedule-row', 'data-schedule-id': s.id },
      h('span', { class: 'rule-title', testid: 'schedule-name' }, s.name),
      h('span', { class: 'muted' }, ` · ${s.iana_time_zone ?? s.time_zone}${i === 0 ? ' · default' : ''}`),
      h('span', { class: 'rule-buttons' }, edit, remove),
    );
  });
  return [
    h('h2', { id: 'schedules-heading' }, 'Business-hours schedules'),
    h('p', { class: 'muted' }, 'The first schedule is the default; a policy may name another.'),
    feedback,
    rows.length ? h('ol', { class: 'rule-list', testid: 'schedule-list' }, ...rows) : h('p', { class: 'empty' }, 'No schedules yet: business hours are 24x7.'),
    add,
    editorSlot,
  ];
}

/** One open interval per day, or null when the schedule needs more (split days, overnight). */
function perDay(intervals: Interval[]): Array<Interval | null> | null {
  const days: Array<Interval | null> = DAYS.map(() => null);
  for (const iv of intervals) {
    const day = Math.floor(iv.start_time / 1440);
    if (day !== Math.floor((iv.end_time - 1) / 1440) || days[day]) return null;
    days[day] = { start_time: iv.start_time - day * 1440, end_time: iv.end_time - day * 1440 };
  }
  return days;
}

function scheduleEditor(s: Schedule | undefined, saved: () => void, close: () => void): HTMLElement {
  const nameId = uid('schedule-name');
  const zoneId = uid('schedule-zone');
  const name = h('input', { id: nameId, type: 'text', testid: 'schedule-name-input', props: { value: s?.name ?? '' } });
  const zone = h('input', { id: zoneId, type: 'text', testid: 'schedule-zone-input', placeholder: 'Europe/Berlin', props: { value: s?.time_zone ?? '' } });
  const office = DAYS.map((_, d) => (d >= 1 && d <= 5 ? { start_time: 540, end_time: 1020 } : null));
  const days = s ? perDay(s.intervals) : office;
  const feedback = h('div', { 'aria-live': 'polite', testid: 'schedule-feedback' });
  let readIntervals: () => Interval[] | string;
  let hoursBlock: HTMLElement;
  if (days) {
    const rows = DAYS.map((label, d) => {
      const iv = days[d];
      const openBox = h('input', { type: 'checkbox', testid: `day-${d}-open`, 'aria-label': `${label} open`, props: { checked: !!iv } });
      const start = h('input', { type: 'text', size: 5, testid: `day-${d}-start`, 'aria-label': `${label} opens at`, props: { value: hhmm(iv?.start_time ?? 540) } });
      const end = h('input', { type: 'text', size: 5, testid: `day-${d}-end`, 'aria-label': `${label} closes at`, props: { value: hhmm(iv?.end_time ?? 1020) } });
      return { element: h('tr', null, h('th', { scope: 'row' }, label), h('td', null, openBox), h('td', null, start), h('td', null, end)), openBox, start, end, d, label };
    });
    hoursBlock = h(
      'table',
      { class: 'hours-table', testid: 'schedule-hours' },
      h('thead', null, h('tr', null, h('th', null, 'Day'), h('th', null, 'Open'), h('th', null, 'From'), h('th', null, 'To'))),
      h('tbody', null, ...rows.map((r) => r.element)),
    );
    readIntervals = () => {
      const out: Interval[] = [];
      for (const r of rows) {
        if (!r.openBox.checked) continue;
        const a = minutesOf(r.start.value);
        const b = minutesOf(r.end.value);
        if (a === null || b === null) return `${r.label}: times are HH:MM, 00:00 to 24:00`;
        out.push({ start_time: r.d * 1440 + a, end_time: r.d * 1440 + b });
      }
      return out;
    };
  } else {
    // Split or overnight hours: edited as Zendesk's interval list (minutes from Sunday 00:00).
    const raw = h('textarea', { rows: 4, testid: 'schedule-intervals', 'aria-label': 'Intervals (JSON)', props: { value: JSON.stringify(s!.intervals) } });
    hoursBlock = h('div', null, h('p', { class: 'muted' }, 'These hours have split or overnight intervals; edit them as minutes from Sunday 00:00.'), raw);
    readIntervals = () => {
      try {
        return JSON.parse(raw.value) as Interval[];
      } catch {
        return 'Intervals: not valid JSON';
      }
    };
  }
  const save = h('button', { type: 'submit', class: 'primary', testid: 'schedule-save' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'link-button' }, 'Cancel');
  cancel.addEventListener('click', close);
  const form = h(
    'form',
    { class: 'rule-editor', testid: 'schedule-editor', novalidate: true },
    h('h3', null, s ? `Edit ${s.name}` : 'New schedule'),
    h('div', { class: 'field' }, h('label', { for: nameId }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: zoneId }, 'Time zone (IANA, e.g. Europe/Berlin)'), zone),
    hoursBlock,
    s ? holidays(s) : h('p', { class: 'muted' }, 'Add holidays after saving.'),
    feedback,
    h('div', { class: 'composer-actions' }, save, cancel),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const intervals = readIntervals();
    if (typeof intervals === 'string') {
      replaceChildren(feedback, errorBox(intervals));
      return;
    }
    save.disabled = true;
    const done = (): void => {
      close();
      saved();
    };
    const fail = (err: unknown): void => {
      save.disabled = false;
      replaceChildren(feedback, failure("Couldn't save.", err));
    };
    if (!s) {
      request('POST', SCHEDULES, { body: { schedule: { name: name.value, time_zone: zone.value, intervals } } }).then(done, fail);
    } else {
      request('PUT', `${SCHEDULES}/${s.id}`, { body: { schedule: { name: name.value, time_zone: zone.value } } })
        .then(() => request('PUT', `${SCHEDULES}/${s.id}/workweek`, { body: { workweek: { intervals } } }))
        .then(done, fail);
    }
  });
  return form;
}

function holidays(s: Schedule): HTMLElement {
  const path = `${SCHEDULES}/${s.id}/holidays`;
  const list = h('ul', { class: 'holiday-list', testid: 'holiday-list' }, h('li', null, loading()));
  const feedback = h('div', { 'aria-live': 'polite', testid: 'holiday-feedback' });
  const nameIn = h('input', { type: 'text', testid: 'holiday-name', 'aria-label': 'Holiday name', placeholder: 'Name' });
  const startIn = h('input', { type: 'date', testid: 'holiday-start', 'aria-label': 'First day' });
  const endIn = h('input', { type: 'date', testid: 'holiday-end', 'aria-label': 'Last day (optional)' });
  const add = h('button', { type: 'button', class: 'link-button', testid: 'holiday-add' }, 'Add holiday');
  const load = (): void => {
    request<{ holidays: Holiday[] }>('GET', path).then(
      (r) =>
        replaceChildren(
          list,
          ...(r.holidays.length
            ? r.holidays.map((x) => {
                const del = h('button', { type: 'button', class: 'link-button', 'aria-label': `Delete ${x.name}` }, '✕');
                del.addEventListener('click', () =>
                  request('DELETE', `${path}/${x.id}`).then(load, (err: unknown) => replaceChildren(feedback, failure("Couldn't delete.", err))),
                );
                return h('li', { testid: 'holiday-row' }, `${x.name}: ${x.start_date}${x.end_date !== x.start_date ? ` to ${x.end_date}` : ''} `, del);
              })
            : [h('li', { class: 'muted' }, 'No holidays.')]),
        ),
      (err: unknown) => replaceChildren(feedback, failure("Couldn't load the holidays.", err)),
    );
  };
  add.addEventListener('click', () => {
    const holiday: Record<string, string> = { name: nameIn.value, start_date: startIn.value };
    if (endIn.value) holiday.end_date = endIn.value;
    request('POST', path, { body: { holiday } }).then(
      () => {
        nameIn.value = startIn.value = endIn.value = '';
        replaceChildren(feedback);
        load();
      },
      (err: unknown) => replaceChildren(feedback, failure("Couldn't add the holiday.", err)),
    );
  });
  load();
  return h('fieldset', null, h('legend', null, 'Holidays (closed all day)'), list, h('div', { class: 'holiday-new' }, nameIn, startIn, endIn, add), feedback);
}

// ---- policies ----

function policySection(policies: Policy[], schedules: Schedule[], reload: () => void): Node[] {
  const editorSlot = h('div');
  const feedback = h('div', { 'aria-live': 'polite' });
  const open = (p?: Policy): void => replaceChildren(editorSlot, policyEditor(p, schedules, reload, () => replaceChildren(editorSlot)));
  const add = h('button', { type: 'button', class: 'primary', testid: 'policy-new' }, 'New SLA policy');
  add.addEventListener('click', () => open());
  const rows = policies.map((p) => {
    const edit = h('button', { type: 'button', class: 'link-button', testid: 'policy-edit' }, 'Edit');
    edit.addEventListener('click', () => open(p));
    const remove = h('button', { type: 'button', class: 'link-button', testid: 'policy-delete' }, 'Delete');
    remove.addEventListener('click', () => {
      if (!window.confirm(`Delete the policy "${p.title}"?`)) return;
      request('DELETE', `${POLICIES}/${p.id}`).then(reload, (err: unknown) => replaceChildren(feedback, failure("Couldn't delete.", err)));
    });
    const targets = p.policy_metrics.map((m) => `${m.priority} ${metricLabel(m.metric)} ${m.target} min${m.business_hours ? ' (business)' : ''}`).join('; ');
    return h(
      'li',
      { class: 'rule', testid: 'policy-row', 'data-policy-id': p.id },
      h('span', { class: 'rule-title', testid: 'policy-title' }, p.title),
      h('span', { class: 'muted', testid: 'policy-targets' }, ` · ${targets}`),
      h('span', { class: 'rule-buttons' }, edit, remove),
    );
  });
  return [
    h('h2', { id: 'policies-heading' }, 'SLA policies'),
    h('p', { class: 'muted' }, 'A ticket falls under the first policy whose conditions it meets.'),
    feedback,
    rows.length ? h('ol', { class: 'rule-list', testid: 'policy-list' }, ...rows) : h('p', { class: 'empty' }, 'No SLA policies yet.'),
    add,
    editorSlot,
  ];
}

interface Row<T> {
  element: HTMLElement;
  read: () => T;
}

function rows<T>(make: (v: T | undefined, remove: (el: HTMLElement) => void) => Row<T>, initial: T[], testid: string, label: string) {
  const all: Array<Row<T>> = [];
  const list = h('ol', { class: 'rule-rows', testid });
  const remove = (el: HTMLElement): void => {
    const i = all.findIndex((r) => r.element === el);
    if (i >= 0) all.splice(i, 1);
    el.remove();
  };
  const add = (v?: T): void => {
    const r = make(v, remove);
    all.push(r);
    list.append(r.element);
  };
  initial.forEach((v) => add(v));
  const button = h('button', { type: 'button', class: 'link-button', testid: `${testid}-add` }, label);
  button.addEventListener('click', () => add());
  return { element: h('div', null, list, button), read: () => all.map((r) => r.read()) };
}

function select(values: Array<[string, string]>, current: string | undefined, testid: string, label: string): HTMLSelectElement {
  const el = h('select', { testid, 'aria-label': label }, ...values.map(([v, text]) => h('option', { value: v }, text)));
  if (current !== undefined && values.some(([v]) => v === current)) el.value = current;
  return el;
}

function conditionRow(c: PolicyCondition | undefined, remove: (el: HTMLElement) => void): Row<PolicyCondition> {
  const field = select(CONDITION_FIELDS.map((f) => [f.field, f.label]), c?.field, 'policy-condition-field', 'Condition field');
  const op = h('select', { testid: 'policy-condition-operator', 'aria-label': 'Operator' });
  const syncOps = (keep?: string): void => {
    const spec = CONDITION_FIELDS.find((f) => f.field === field.value) ?? CONDITION_FIELDS[0]!;
    replaceChildren(op, ...spec.operators.map((o) => h('option', { value: o }, o.replace('_', ' '))));
    if (keep && spec.operators.includes(keep)) op.value = keep;
  };
  syncOps(c?.operator);
  field.addEventListener('change', () => syncOps());
  const value = h('input', {
    type: 'text',
    testid: 'policy-condition-value',
    'aria-label': 'Value',
    props: { value: Array.isArray(c?.value) ? (c!.value as unknown[]).join(' ') : c?.value == null ? '' : String(c!.value) },
  });
  const x = h('button', { type: 'button', class: 'link-button', 'aria-label': 'Remove condition' }, '✕');
  const element = h('li', { class: 'rule-row-edit', testid: 'policy-condition-row' }, field, op, value, x);
  x.addEventListener('click', () => remove(element));
  return {
    element,
    read: () => {
      const raw = value.value.trim();
      const isId = field.value === 'group_id' || field.value === 'organization_id';
      return { field: field.value, operator: op.value, value: isId && /^\d+$/.test(raw) ? Number(raw) : raw === '' ? null : raw };
    },
  };
}

function metricRow(m: PolicyMetric | undefined, remove: (el: HTMLElement) => void): Row<PolicyMetric> {
  const priority = select(PRIORITIES.map((p) => [p, p]), m?.priority ?? 'normal', 'metric-priority', 'Priority');
  const metric = select(METRICS.map((x) => [x, metricLabel(x)]), m?.metric, 'metric-name', 'Metric');
  const target = h('input', { type: 'number', min: '1', testid: 'metric-target', 'aria-label': 'Target in minutes', props: { value: m ? String(m.target) : '60' } });
  const business = h('input', { type: 'checkbox', testid: 'metric-business', props: { checked: m?.business_hours ?? true } });
  const x = h('button', { type: 'button', class: 'link-button', 'aria-label': 'Remove target' }, '✕');
  const element = h(
    'li',
    { class: 'rule-row-edit', testid: 'metric-row' },
    priority,
    metric,
    target,
    h('span', { class: 'muted' }, ' min '),
    h('label', { class: 'toggle' }, business, h('span', null, 'business hours')),
    x,
  );
  x.addEventListener('click', () => remove(element));
  return { element, read: () => ({ priority: priority.value, metric: metric.value, target: Number(target.value), business_hours: business.checked }) };
}

function policyEditor(p: Policy | undefined, schedules: Schedule[], saved: () => void, close: () => void): HTMLElement {
  const titleId = uid('policy-title');
  const scheduleId = uid('policy-schedule');
  const title = h('input', { id: titleId, type: 'text', testid: 'policy-title-input', props: { value: p?.title ?? '' } });
  const schedule = select(
    [['', 'Default schedule'], ...schedules.map((s): [string, string] => [String(s.id), s.name])],
    p?.schedule_id ? String(p.schedule_id) : '',
    'policy-schedule',
    'Schedule',
  );
  schedule.id = scheduleId;
  const all = rows<PolicyCondition>(conditionRow, p?.filter.all ?? [], 'policy-all', 'Add condition');
  const any = rows<PolicyCondition>(conditionRow, p?.filter.any ?? [], 'policy-any', 'Add condition');
  const metrics = rows<PolicyMetric>(metricRow, p?.policy_metrics ?? [], 'policy-metrics', 'Add target');
  const feedback = h('div', { 'aria-live': 'polite', testid: 'policy-feedback' });
  const save = h('button', { type: 'submit', class: 'primary', testid: 'policy-save' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'link-button' }, 'Cancel');
  cancel.addEventListener('click', close);
  const form = h(
    'form',
    { class: 'rule-editor', testid: 'policy-editor', novalidate: true },
    h('h3', null, p ? `Edit ${p.title}` : 'New SLA policy'),
    h('div', { class: 'field' }, h('label', { for: titleId }, 'Title'), title),
    h('div', { class: 'field inline' }, h('label', { for: scheduleId }, 'Business hours from'), schedule),
    h('fieldset', null, h('legend', null, 'Tickets that meet all of these'), all.element),
    h('fieldset', null, h('legend', null, '…and any of these'), any.element),
    h('fieldset', null, h('legend', null, 'Targets'), metrics.element),
    feedback,
    h('div', { class: 'composer-actions' }, save, cancel),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = {
      sla_policy: {
        title: title.value,
        filter: { all: all.read(), any: any.read() },
        policy_metrics: metrics.read(),
        schedule_id: schedule.value ? Number(schedule.value) : null,
      },
    };
    save.disabled = true;
    request(p ? 'PUT' : 'POST', p ? `${POLICIES}/${p.id}` : POLICIES, { body }).then(
      () => {
        close();
        saved();
      },
      (err: unknown) => {
        save.disabled = false;
        replaceChildren(feedback, failure("Couldn't save.", err));
      },
    );
  });
  return form;
}
