// Workforce planning: the staffing calculator (inputs left; the N table and a service-level-vs-N
// chart right), the volume forecast chart (history, forecast, prediction band, accuracy) and the
// staffing plan heat map (day x interval). Charts are drawn as SVG by hand: three simple charts do
// not justify a charting library in the bundle.
import { ApiError, queryString, request, validationMessages, type User } from './api';
import { h, replaceChildren, uid } from './dom';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

const SVG = 'http://www.w3.org/2000/svg';

interface StaffingRow {
  agents: number;
  service_level: number;
  asa_s: number | null;
  p_wait: number;
  occupancy: number;
  abandonment?: number;
  answer: boolean;
}
interface StaffingTable {
  answer: number;
  scheduled: number;
  traffic_erlangs: number;
  approximation: string;
  rows: StaffingRow[];
}
interface Accuracy {
  holdout_weeks: number;
  intervals: number;
  zero_actual_intervals: number;
  mape: number | null;
  smape: number;
  wape: number | null;
}
interface Forecast {
  interval_minutes: number;
  intervals_per_day: number;
  history: { start: string; days: number; volume: number[] };
  start: string;
  days: number;
  volume: number[];
  lower: number[];
  upper: number[];
  level: number;
  accuracy: Accuracy | null;
}
interface Plan {
  start: string;
  days: number;
  intervals_per_day: number;
  interval_minutes: number;
  base: { required: number[]; scheduled: number[]; totals: { fte: number; peak_scheduled: number; scheduled_agent_hours: number } };
  forecast_accuracy: Accuracy | null;
}

export function plansWorkforce(u: User): boolean {
  return u.role === 'admin' || (u.role === 'agent' && (u.rapport_role === 'manager' || u.rapport_role === 'team_lead'));
}

/** Managers and admins make plans; team leads read forecasts. */
export function plans(u: User): boolean {
  return u.role === 'admin' || (u.role === 'agent' && u.rapport_role === 'manager');
}

const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`);

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const id = uid('wf');
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}

function textInput(name: string, value: string, testid: string): HTMLInputElement {
  return h('input', { name, testid, props: { value }, autocomplete: 'off' });
}

function problem(err: unknown): HTMLElement {
  if (err instanceof ApiError && err.status === 422) {
    const v = validationMessages(err.body);
    return errorBox(v.description, ...v.details);
  }
  return errorBox(messageOf(err));
}

// ---- staffing calculator ------------------------------------------------------------------------

function serviceLevelChart(t: StaffingTable, target: number | null): SVGSVGElement {
  const w = 420, hgt = 220, left = 44, right = 12, top = 12, bottom = 32;
  const chart = svg('svg', { viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': 'Service level by number of agents', 'data-testid': 'sl-chart', class: 'wf-chart' });
  const ns = t.rows.map((r) => r.agents);
  const minN = Math.min(...ns), maxN = Math.max(...ns);
  const x = (n: number) => left + ((n - minN) / Math.max(1, maxN - minN)) * (w - left - right);
  const y = (v: number) => top + (1 - v) * (hgt - top - bottom);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    chart.append(svg('line', { x1: left, x2: w - right, y1: y(v), y2: y(v), class: 'grid' }));
    const label = svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
    label.textContent = `${v * 100}%`;
    chart.append(label);
  }
  if (target !== null) chart.append(svg('line', { x1: left, x2: w - right, y1: y(target), y2: y(target), class: 'target', 'data-testid': 'sl-target' }));
  chart.append(svg('polyline', { points: t.rows.map((r) => `${x(r.agents)},${y(r.service_level)}`).join(' '), class: 'line' }));
  for (const r of t.rows) {
    const dot = svg('circle', { cx: x(r.agents), cy: y(r.service_level), r: r.answer ? 5 : 3, class: r.answer ? 'dot answer' : 'dot' });
    const title = svg('title', {});
    title.textContent = `${r.agents} agents: ${pct(r.service_level)}`;
    dot.append(title);
    chart.append(dot);
    const label = svg('text', { x: x(r.agents), y: hgt - 10, 'text-anchor': 'middle', class: 'axis' });
    label.textContent = String(r.agents);
    chart.append(label);
  }
  return chart;
}

function staffingResult(t: StaffingTable, target: number | null): HTMLElement {
  const abandon = t.rows.some((r) => r.abandonment !== undefined);
  const table = h(
    'table',
    { class: 'data', testid: 'staffing-table' },
    h('thead', null, h('tr', null, ...['Agents', 'Service level', 'ASA', 'P(wait)', 'Occupancy', ...(abandon ? ['Abandonment'] : [])].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      null,
      ...t.rows.map((r) =>
        h(
          'tr',
          { class: r.answer ? 'answer' : '', 'data-agents': r.agents, testid: r.answer ? 'staffing-answer' : undefined },
          h('td', null, String(r.agents), r.answer ? h('span', { class: 'badge' }, ' answer') : null),
          h('td', null, pct(r.service_level)),
          h('td', null, r.asa_s === null ? '∞' : `${r.asa_s.toFixed(1)} s`),
          h('td', null, pct(r.p_wait)),
          h('td', null, pct(r.occupancy)),
          abandon ? h('td', null, pct(r.abandonment)) : null,
        ),
      ),
    ),
  );
  return h(
    'div',
    { class: 'wf-result' },
    h('p', { testid: 'staffing-summary' }, `${t.answer} agents needed, ${t.scheduled} to schedule (traffic ${t.traffic_erlangs.toFixed(2)} erlangs).`),
    h('p', { class: 'muted' }, t.approximation),
    serviceLevelChart(t, target),
    table,
  );
}

function calculator(): HTMLElement {
  const volume = textInput('volume', '100', 'calc-volume');
  const interval = textInput('interval', '30m', 'calc-interval');
  const aht = textInput('aht', '180s', 'calc-aht');
  const target = textInput('target', '80/20', 'calc-target');
  const shrinkage = textInput('shrinkage', '30%', 'calc-shrinkage');
  const patience = textInput('patience', '', 'calc-patience');
  const out = h('div', { class: 'wf-right', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'wf-left', 'aria-label': 'Staffing inputs', testid: 'calc-form' },
    field('Contacts per interval', volume),
    field('Interval', interval, 'e.g. 15m, 30m, 1h'),
    field('Average handle time', aht, 'e.g. 180s, 4m'),
    field('Target', target, '% answered within seconds, e.g. 80/20'),
    field('Shrinkage', shrinkage),
    field('Patience (Erlang A)', patience, 'optional, e.g. 120s'),
    h('button', { type: 'submit', testid: 'calc-submit' }, 'Calculate'),
  );
  const run = (): void => {
    const q = queryString([
      ['volume', volume.value],
      ['interval', interval.value],
      ['aht', aht.value],
      ['target', target.value],
      ['shrinkage', shrinkage.value],
      ['patience', patience.value],
      ['rows', 5],
    ]);
    replaceChildren(out, loading('Calculating…'));
    request<StaffingTable>('GET', `/api/v2/workforce/staffing${q}`).then(
      (t) => {
        const m = /^\s*([\d.]+)/.exec(target.value);
        replaceChildren(out, staffingResult(t, m ? Number(m[1]) / 100 : null));
      },
      (err) => replaceChildren(out, problem(err)),
    );
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  run();
  return h('section', { class: 'wf-section', 'aria-labelledby': 'wf-calc' }, h('h2', { id: 'wf-calc' }, 'Staffing calculator'), h('div', { class: 'wf-split' }, form, out));
}

// ---- forecast chart -----------------------------------------------------------------------------

function forecastChart(f: Forecast): SVGSVGElement {
  const w = 900, hgt = 260, left = 40, right = 10, top = 10, bottom = 24;
  const hist = f.history.volume;
  const n = hist.length + f.volume.length;
  const max = Math.max(1, ...hist, ...f.upper);
  const x = (i: number) => left + (i / Math.max(1, n - 1)) * (w - left - right);
  const y = (v: number) => top + (1 - v / max) * (hgt - top - bottom);
  const chart = svg('svg', { viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': 'Contact volume: history and forecast with its prediction interval', 'data-testid': 'forecast-chart', class: 'wf-chart' });
  for (const v of [0, max / 2, max]) {
    chart.append(svg('line', { x1: left, x2: w - right, y1: y(v), y2: y(v), class: 'grid' }));
    const t = svg('text', { x: left - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
    t.textContent = v.toFixed(v < 10 ? 1 : 0);
    chart.append(t);
  }
  const off = hist.length;
  const band = [...f.upper.map((v, i) => `${x(off + i)},${y(v)}`), ...f.lower.map((v, i) => `${x(off + i)},${y(v)}`).reverse()].join(' ');
  chart.append(svg('polygon', { points: band, class: 'band', 'data-testid': 'forecast-band' }));
  chart.append(svg('polyline', { points: hist.map((v, i) => `${x(i)},${y(v)}`).join(' '), class: 'line history', 'data-testid': 'forecast-history' }));
  chart.append(svg('polyline', { points: f.volume.map((v, i) => `${x(off + i)},${y(v)}`).join(' '), class: 'line forecast', 'data-testid': 'forecast-line' }));
  chart.append(svg('line', { x1: x(off), x2: x(off), y1: top, y2: hgt - bottom, class: 'now' }));
  const label = svg('text', { x: x(off) + 4, y: hgt - 8, class: 'axis' });
  label.textContent = `forecast from ${f.start}`;
  chart.append(label);
  return chart;
}

function accuracyLine(a: Accuracy | null): HTMLElement {
  if (!a) return h('p', { class: 'muted', testid: 'forecast-accuracy' }, 'No weeks held out: accuracy not measured.');
  return h(
    'p',
    { testid: 'forecast-accuracy' },
    `Accuracy on the last ${a.holdout_weeks} weeks held out: MAPE ${pct(a.mape)}, sMAPE ${pct(a.smape)}, WAPE ${pct(a.wape)} ` +
      `(${a.zero_actual_intervals} of ${a.intervals} intervals had no contacts and are left out of MAPE).`,
  );
}

// ---- plan heat map ------------------------------------------------------------------------------

function heatMap(p: Plan): HTMLElement {
  const max = Math.max(1, p.base.totals.peak_scheduled);
  const perDay = p.intervals_per_day;
  const start = new Date(`${p.start}T00:00:00Z`);
  const header = h('tr', null, h('th', { scope: 'col' }, 'Day'));
  for (let k = 0; k < perDay; k += Math.max(1, Math.round(60 / p.interval_minutes))) {
    const span = Math.min(perDay - k, Math.max(1, Math.round(60 / p.interval_minutes)));
    header.append(h('th', { scope: 'col', colspan: span }, String((k * p.interval_minutes) / 60).padStart(2, '0')));
  }
  const rows = [];
  for (let d = 0; d < p.days; ++d) {
    const day = new Date(start.getTime() + d * 86_400_000);
    const label = day.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
    const tr = h('tr', null, h('th', { scope: 'row' }, label));
    for (let k = 0; k < perDay; ++k) {
      const v = p.base.scheduled[d * perDay + k] ?? 0;
      const hhmm = `${String(Math.floor((k * p.interval_minutes) / 60)).padStart(2, '0')}:${String((k * p.interval_minutes) % 60).padStart(2, '0')}`;
      // Six shades by class: the page's Content-Security-Policy allows no inline styles.
      const shade = v === 0 ? 0 : Math.min(5, 1 + Math.floor((v / max) * 4.999));
      tr.append(h('td', { class: `heat heat-${shade}`, title: `${label} ${hhmm}: ${v} scheduled` }, v ? String(v) : ''));
    }
    rows.push(tr);
  }
  return h(
    'div',
    { class: 'wf-heat-wrap' },
    h('p', { testid: 'plan-summary' }, `${p.base.totals.fte.toFixed(1)} FTE (scheduled agent-hours per week / 40), peak ${p.base.totals.peak_scheduled} scheduled.`),
    h('table', { class: 'wf-heat', testid: 'plan-heatmap' }, h('caption', { class: 'visually-hidden' }, 'Scheduled agents by day and interval'), h('thead', null, header), h('tbody', null, ...rows)),
  );
}

function forecastAndPlan(canPlan: boolean): HTMLElement {
  const channel = textInput('channel', '', 'fc-channel');
  const interval = h('select', { name: 'interval', testid: 'fc-interval' }, h('option', { value: '60m' }, '60 minutes'), h('option', { value: '30m' }, '30 minutes'), h('option', { value: '15m' }, '15 minutes'));
  const historyWeeks = textInput('history_weeks', '8', 'fc-history');
  const weeks = textInput('weeks', '2', 'fc-weeks');
  const holdout = textInput('holdout_weeks', '2', 'fc-holdout');
  const aht = textInput('aht_s', '600', 'plan-aht');
  const shrinkage = textInput('shrinkage', '0.3', 'plan-shrinkage');
  const chartOut = h('div', { 'aria-live': 'polite' });
  const planOut = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Forecast inputs', testid: 'fc-form' },
    field('Channel', channel, 'empty: all'),
    field('Interval', interval),
    field('History weeks', historyWeeks),
    field('Weeks ahead', weeks),
    field('Held-out weeks', holdout),
    field('AHT (s)', aht),
    field('Shrinkage', shrinkage, '0 to <1'),
    h('button', { type: 'submit', testid: 'fc-submit' }, 'Forecast and plan'),
  );
  const run = (): void => {
    const common = { channel: channel.value.trim() || undefined, interval: interval.value, history_weeks: Number(historyWeeks.value), weeks: Number(weeks.value), holdout_weeks: Number(holdout.value) };
    replaceChildren(chartOut, loading('Forecasting…'));
    replaceChildren(planOut);
    request<{ forecast: Forecast }>('GET', `/api/v2/workforce/forecast${queryString(Object.entries(common))}`).then(
      ({ forecast }) => {
        replaceChildren(chartOut, accuracyLine(forecast.accuracy), forecastChart(forecast));
        if (!canPlan) {
          replaceChildren(planOut, h('p', { class: 'notice' }, 'Staffing plans are for managers and admins.'));
          return undefined;
        }
        replaceChildren(planOut, loading('Planning…'));
        return request<{ plan: Plan }>('POST', '/api/v2/workforce/plans', {
          body: { plan: { ...common, aht_s: Number(aht.value), shrinkage: Number(shrinkage.value) } },
        }).then(
          ({ plan }) => replaceChildren(planOut, heatMap(plan)),
          (err) => replaceChildren(planOut, problem(err)),
        );
      },
      (err) => replaceChildren(chartOut, problem(err)),
    );
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  return h(
    'section',
    { class: 'wf-section', 'aria-labelledby': 'wf-fc' },
    h('h2', { id: 'wf-fc' }, 'Forecast and staffing plan'),
    form,
    chartOut,
    h('h3', null, 'Scheduled agents'),
    planOut,
  );
}


// ---- people: schedule import, absences and adherence ----------------------------------------------

interface PeopleRow {
  user_id?: number | null;
  team_lead_id?: number | null;
  group_id?: number | null;
  site_id?: number | null;
  name: string;
  agents: number;
  paid_hours: number;
  available_hours: number;
  online_hours: number;
  unplanned_absence_hours: number;
  planned_absence_hours: number;
  absenteeism: number | null;
  shrinkage: number | null;
  adherence: number | null;
  handled: number;
  utilization: number | null;
  tenure_month?: number | null;
  ramp_target?: number | null;
  span_of_control?: number | null;
}

function scheduleImport(): HTMLElement {
  const file = h('input', { type: 'file', accept: '.csv,text/csv', testid: 'schedule-file' });
  const out = h('div', { 'aria-live': 'polite', testid: 'schedule-result' });
  const form = h(
    'form',
    { class: 'filters compact', 'aria-label': 'Import a schedule', testid: 'schedule-form' },
    field('Schedule CSV (email,starts_at,ends_at,activity)', file),
    h('button', { type: 'submit', testid: 'schedule-submit' }, 'Import'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      replaceChildren(out, errorBox('Choose a CSV file first.'));
      return;
    }
    replaceChildren(out, loading('Importing…'));
    chosen
      .text()
      .then((text) => request<{ imported: number }>('POST', '/api/v2/workforce/schedules/import', { body: text, raw: true }))
      .then(
        (r) => replaceChildren(out, h('p', { role: 'status', testid: 'schedule-imported' }, `Imported ${r.imported} shifts.`)),
        (err) => {
          if (err instanceof ApiError && err.status === 422) {
            // One line per bad row, in file order, so the planner can fix the file in one pass.
            const details = (err.body as { details?: Record<string, Array<{ description: string }>> } | null)?.details ?? {};
            const lines = Object.entries(details)
              .sort(([a], [b]) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')))
              .flatMap(([, problems]) => problems.map((p) => p.description));
            replaceChildren(out, errorBox('Nothing was imported: fix these rows and try again.', ...lines));
          } else replaceChildren(out, problem(err));
        },
      );
  });
  return h('div', null, h('h3', null, 'Import a schedule'), form, out);
}

function peopleReport(): HTMLElement {
  const today = new Date().toISOString().slice(0, 10);
  const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  const from = h('input', { type: 'date', testid: 'people-from', props: { value: weekAgo } });
  const to = h('input', { type: 'date', testid: 'people-to', props: { value: today } });
  const by = h(
    'select',
    { testid: 'people-by' },
    h('option', { value: 'agent' }, 'Agent'),
    h('option', { value: 'team_lead' }, 'Team lead'),
    h('option', { value: 'group' }, 'Group'),
    h('option', { value: 'site' }, 'Site'),
  );
  const out = h('div', { 'aria-live': 'polite' });
  const run = (): void => {
    replaceChildren(out, loading('Loading…'));
    const q = queryString([['from', from.value], ['to', to.value], ['by', by.value]]);
    request<{ people: { rows: PeopleRow[] } }>('GET', `/api/v2/workforce/reports/people${q}`).then(
      ({ people }) => {
        const agentView = by.value === 'agent';
        const cols = ['Name', 'Paid h', 'Absent (unplanned) h', 'Absenteeism', 'Shrinkage', 'Adherence', 'Handled', 'Utilization',
          ...(agentView ? ['Ramp target'] : []), ...(by.value === 'team_lead' ? ['Span of control'] : [])];
        replaceChildren(
          out,
          h(
            'table',
            { class: 'data', testid: 'people-table' },
            h('thead', null, h('tr', null, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              null,
              ...people.rows.map((r) =>
                h(
                  'tr',
                  { testid: 'people-row', 'data-name': r.name },
                  h('td', null, r.name),
                  h('td', null, r.paid_hours.toFixed(1)),
                  h('td', null, r.unplanned_absence_hours.toFixed(1)),
                  h('td', null, pct(r.absenteeism)),
                  h('td', null, pct(r.shrinkage)),
                  h('td', { testid: 'people-adherence' }, pct(r.adherence)),
                  h('td', null, String(r.handled)),
                  h('td', null, pct(r.utilization)),
                  agentView ? h('td', null, pct(r.ramp_target, 0)) : null,
                  by.value === 'team_lead' ? h('td', null, r.span_of_control === null || r.span_of_control === undefined ? '—' : String(r.span_of_control)) : null,
                ),
              ),
            ),
          ),
        );
      },
      (err) => replaceChildren(out, problem(err)),
    );
  };
  const form = h(
    'form',
    { class: 'filters compact', 'aria-label': 'People report period', testid: 'people-form' },
    field('From', from),
    field('To', to),
    field('By', by),
    h('button', { type: 'submit', testid: 'people-submit' }, 'Show'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  return h('div', null, h('h3', null, 'Absence, shrinkage and adherence'), form, out);
}

function peopleSection(canImport: boolean): HTMLElement {
  return h(
    'section',
    { class: 'wf-section', 'aria-labelledby': 'wf-people' },
    h('h2', { id: 'wf-people' }, 'People'),
    canImport ? scheduleImport() : null,
    peopleReport(),
  );
}

export function renderWorkforce(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Workforce');
  if (!plansWorkforce(ctx.session.user)) {
    replaceChildren(container, h('h1', null, 'Workforce'), errorBox('Workforce planning is for team leads, managers and admins.'));
    return;
  }
  replaceChildren(container, h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, 'Workforce')), calculator(), forecastAndPlan(plans(ctx.session.user)), peopleSection(plans(ctx.session.user)));
}
