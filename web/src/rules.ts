// Admin pages for triggers, automations and macros: the list in order (with move up/down, which
// saves the new order), and an editor with a row of selects per condition and per action.
import { ApiError, validationMessages } from './api';
import { h, replaceChildren, uid } from './dom';
import type { RouteContext } from './router';
import {
  OPERATOR_LABELS,
  actionFields,
  conditionFields,
  deleteRule,
  listRules,
  reorderRules,
  saveRule,
  type Action,
  type Condition,
  type Rule,
  type RuleKind,
} from './rules_api';
import { errorBox, loading, messageOf, setTitle } from './ui';

const KINDS: Array<{ kind: RuleKind; label: string; path: string }> = [
  { kind: 'trigger', label: 'Triggers', path: 'triggers' },
  { kind: 'automation', label: 'Automations', path: 'automations' },
  { kind: 'macro', label: 'Macros', path: 'macros' },
];

export function renderRules(container: HTMLElement, ctx: RouteContext): void {
  const spec = KINDS.find((k) => k.path === ctx.params.kind) ?? KINDS[0]!;
  setTitle(spec.label);
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Business rules' },
    ...KINDS.map((k) =>
      h('a', { href: `#/admin/${k.path}`, testid: `rules-tab-${k.kind}`, 'aria-current': k === spec ? 'page' : false }, k.label),
    ),
  );
  const body = h('div', { class: 'rules' }, loading());
  replaceChildren(container, h('h1', null, 'Business rules'), tabs, body);

  const reload = (): void => {
    listRules(spec.kind).then(
      (rules) => {
        if (ctx.isCurrent()) replaceChildren(body, ruleList(spec.kind, rules, reload));
      },
      (err: unknown) => {
        if (ctx.isCurrent()) replaceChildren(body, errorBox(`Couldn't load the ${spec.label.toLowerCase()}. ${messageOf(err)}`));
      },
    );
  };
  reload();
}

function ruleList(kind: RuleKind, rules: Rule[], reload: () => void): HTMLElement {
  const editorSlot = h('div', { class: 'rule-editor-slot' });
  const feedback = h('div', { 'aria-live': 'polite', testid: 'rules-feedback' });
  const openEditor = (rule?: Rule): void => {
    replaceChildren(editorSlot, editor(kind, rule, () => reload(), () => replaceChildren(editorSlot)));
    editorSlot.querySelector<HTMLInputElement>('input')?.focus();
  };
  const move = async (index: number, by: number): Promise<void> => {
    if (kind === 'macro') return;
    const ids = rules.map((r) => r.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id!);
    try {
      await reorderRules(kind, ids);
      reload();
    } catch (err) {
      replaceChildren(feedback, errorBox(`Couldn't reorder. ${messageOf(err)}`));
    }
  };
  const add = h('button', { type: 'button', class: 'primary', testid: 'rule-new' }, `New ${kind}`);
  add.addEventListener('click', () => openEditor());
  const rows = rules.map((r, i) => {
    const edit = h('button', { type: 'button', class: 'link-button', testid: 'rule-edit' }, 'Edit');
    edit.addEventListener('click', () => openEditor(r));
    const up = h('button', { type: 'button', class: 'link-button', 'aria-label': `Move ${r.title} up`, testid: 'rule-up', disabled: i === 0 }, '↑');
    const down = h('button', { type: 'button', class: 'link-button', 'aria-label': `Move ${r.title} down`, testid: 'rule-down', disabled: i === rules.length - 1 }, '↓');
    up.addEventListener('click', () => void move(i, -1));
    down.addEventListener('click', () => void move(i, 1));
    const remove = h('button', { type: 'button', class: 'link-button', testid: 'rule-delete' }, 'Delete');
    remove.addEventListener('click', () => {
      if (!window.confirm(`Delete "${r.title}"?`)) return;
      deleteRule(kind, r.id).then(reload, (err: unknown) => replaceChildren(feedback, errorBox(messageOf(err))));
    });
    return h(
      'li',
      { class: r.active ? 'rule' : 'rule inactive', testid: 'rule-row', 'data-rule-id': r.id },
      h('span', { class: 'rule-title', testid: 'rule-title' }, r.title),
      r.active ? null : h('span', { class: 'muted' }, ' (inactive)'),
      h('span', { class: 'muted' }, ` · used ${r.usage_count ?? 0}×`),
      h('span', { class: 'rule-buttons' }, kind === 'macro' ? null : up, kind === 'macro' ? null : down, edit, remove),
    );
  });
  return h(
    'div',
    null,
    feedback,
    rules.length ? h('ol', { class: 'rule-list', testid: 'rule-list' }, ...rows) : h('p', { class: 'empty' }, `No ${kind}s yet.`),
    add,
    editorSlot,
  );
}

/** A value as the text box shows it. */
function asText(v: unknown): string {
  if (Array.isArray(v)) return v.join(' ');
  if (v === null || v === undefined) return '';
  return String(v);
}

function valueControl(values: string[] | undefined, current: unknown, testid: string, label: string): HTMLInputElement | HTMLSelectElement {
  if (values) {
    const select = h('select', { testid, 'aria-label': label }, ...values.map((v) => h('option', { value: v }, v)));
    if (values.includes(asText(current))) select.value = asText(current);
    return select;
  }
  return h('input', { type: 'text', testid, 'aria-label': label, props: { value: asText(current) } });
}

interface Row<T> {
  element: HTMLElement;
  read: () => T;
}

function conditionRow(kind: RuleKind, c: Condition | undefined, onRemove: (el: HTMLElement) => void): Row<Condition> {
  const fields = conditionFields(kind);
  const field = h('select', { testid: 'condition-field', 'aria-label': 'Condition field' }, ...fields.map((f) => h('option', { value: f.field }, f.label)));
  const op = h('select', { testid: 'condition-operator', 'aria-label': 'Operator' });
  const valueSlot = h('span');
  let value: HTMLInputElement | HTMLSelectElement;
  const sync = (keep?: Condition): void => {
    const spec = fields.find((f) => f.field === field.value) ?? fields[0]!;
    replaceChildren(op, ...spec.operators.map((o) => h('option', { value: o }, OPERATOR_LABELS[o] ?? o)));
    if (keep && spec.operators.includes(keep.operator)) op.value = keep.operator;
    value = valueControl(spec.values, keep?.value, 'condition-value', 'Value');
    replaceChildren(valueSlot, value);
  };
  if (c && fields.some((f) => f.field === c.field)) field.value = c.field;
  sync(c);
  field.addEventListener('change', () => sync());
  const remove = h('button', { type: 'button', class: 'link-button', 'aria-label': 'Remove condition' }, '✕');
  const element = h('li', { class: 'rule-row-edit', testid: 'condition-row' }, field, op, valueSlot, remove);
  remove.addEventListener('click', () => onRemove(element));
  return { element, read: () => ({ field: field.value, operator: op.value, value: value.value }) };
}

function actionRow(kind: RuleKind, a: Action | undefined, onRemove: (el: HTMLElement) => void): Row<Action> {
  const specs = actionFields(kind);
  const field = h('select', { testid: 'action-field', 'aria-label': 'Action' }, ...specs.map((s) => h('option', { value: s.field }, s.label)));
  const slot = h('span', { class: 'action-value' });
  let read: () => unknown = () => '';
  const sync = (keep?: Action): void => {
    const spec = specs.find((s) => s.field === field.value) ?? specs[0]!;
    if (spec.shape === 'notify') {
      const parts = Array.isArray(keep?.value) ? (keep!.value as unknown[]) : [];
      const who = valueControl(spec.values, parts[0], 'action-recipient', 'Recipient');
      const subject = h('input', { type: 'text', testid: 'action-subject', 'aria-label': 'Email subject', placeholder: 'Subject', props: { value: asText(parts[1]) } });
      const body = h('textarea', { testid: 'action-body', 'aria-label': 'Email body', rows: 3, props: { value: asText(parts[2]) } });
      replaceChildren(slot, who, subject, body);
      read = () => [who.value, subject.value, body.value];
    } else if (spec.shape === 'webhook') {
      const parts = Array.isArray(keep?.value) ? (keep!.value as unknown[]) : [];
      const id = h('input', { type: 'text', testid: 'action-webhook', 'aria-label': 'Webhook id', props: { value: asText(parts[0]) } });
      const body = h('textarea', { testid: 'action-body', 'aria-label': 'JSON body', rows: 3, props: { value: asText(parts[1]) } });
      replaceChildren(slot, id, body);
      read = () => [id.value, body.value];
    } else if (spec.field === 'comment_value') {
      const text = h('textarea', { testid: 'action-value', 'aria-label': 'Comment', rows: 3, props: { value: asText(keep?.value) } });
      replaceChildren(slot, text);
      read = () => text.value;
    } else {
      const v = valueControl(spec.values, keep?.value, 'action-value', 'Value');
      replaceChildren(slot, v);
      read = () => v.value;
    }
  };
  if (a && specs.some((s) => s.field === a.field)) field.value = a.field;
  sync(a);
  field.addEventListener('change', () => sync());
  const remove = h('button', { type: 'button', class: 'link-button', 'aria-label': 'Remove action' }, '✕');
  const element = h('li', { class: 'rule-row-edit', testid: 'action-row' }, field, slot, remove);
  remove.addEventListener('click', () => onRemove(element));
  return { element, read: () => ({ field: field.value, value: read() }) };
}

function rowList<T>(make: (initial: T | undefined, remove: (el: HTMLElement) => void) => Row<T>, initial: T[], testid: string, addLabel: string) {
  const rows: Array<Row<T>> = [];
  const list = h('ol', { class: 'rule-rows', testid });
  const removeRow = (el: HTMLElement): void => {
    const i = rows.findIndex((r) => r.element === el);
    if (i >= 0) rows.splice(i, 1);
    el.remove();
  };
  const add = (value?: T): void => {
    const row = make(value, removeRow);
    rows.push(row);
    list.append(row.element);
  };
  initial.forEach((v) => add(v));
  const button = h('button', { type: 'button', class: 'link-button', testid: `${testid}-add` }, addLabel);
  button.addEventListener('click', () => add());
  return { element: h('div', null, list, button), read: () => rows.map((r) => r.read()) };
}

function editor(kind: RuleKind, rule: Rule | undefined, saved: () => void, close: () => void): HTMLElement {
  const titleId = uid('rule-title');
  const title = h('input', { id: titleId, type: 'text', testid: 'rule-title-input', props: { value: rule?.title ?? '' } });
  const active = h('input', { type: 'checkbox', testid: 'rule-active', props: { checked: rule?.active ?? true } });
  const all = kind === 'macro' ? null : rowList<Condition>((c, rm) => conditionRow(kind, c, rm), rule?.conditions?.all ?? [], 'conditions-all', 'Add condition');
  const any = kind === 'macro' ? null : rowList<Condition>((c, rm) => conditionRow(kind, c, rm), rule?.conditions?.any ?? [], 'conditions-any', 'Add condition');
  const actions = rowList<Action>((a, rm) => actionRow(kind, a, rm), rule?.actions ?? [], 'actions', 'Add action');
  const feedback = h('div', { 'aria-live': 'polite', testid: 'rule-editor-feedback' });
  const save = h('button', { type: 'submit', class: 'primary', testid: 'rule-save' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'link-button' }, 'Cancel');
  cancel.addEventListener('click', close);
  const form = h(
    'form',
    { class: 'rule-editor', testid: 'rule-editor', novalidate: true },
    h('h2', null, rule ? `Edit ${kind}` : `New ${kind}`),
    h('div', { class: 'field' }, h('label', { for: titleId }, 'Title'), title),
    h('label', { class: 'toggle' }, active, h('span', null, 'Active')),
    all ? h('fieldset', null, h('legend', null, 'Meet all of these conditions'), all.element) : null,
    any ? h('fieldset', null, h('legend', null, 'Meet any of these conditions'), any.element) : null,
    h('fieldset', null, h('legend', null, 'Actions'), actions.element),
    feedback,
    h('div', { class: 'composer-actions' }, save, cancel),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body: Partial<Rule> = { title: title.value, active: active.checked, actions: actions.read() };
    if (all && any) body.conditions = { all: all.read(), any: any.read() };
    save.disabled = true;
    saveRule(kind, body, rule?.id).then(
      () => {
        close();
        saved();
      },
      (err: unknown) => {
        save.disabled = false;
        if (err instanceof ApiError && err.status === 422) {
          const { description, details } = validationMessages(err.body);
          replaceChildren(feedback, errorBox(description, ...details));
        } else {
          replaceChildren(feedback, errorBox(`Couldn't save. ${messageOf(err)}`));
        }
      },
    );
  });
  return form;
}
