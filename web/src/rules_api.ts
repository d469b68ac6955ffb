// Business rules over the API: triggers, automations and macros (Zendesk's shapes), and macro
// previews for the ticket view.
import { request } from './api';

export type RuleKind = 'trigger' | 'automation' | 'macro';

export interface Condition {
  field: string;
  operator: string;
  value: unknown;
}

export interface Action {
  field: string;
  value: unknown;
}

export interface Rule {
  id: number;
  title: string;
  description?: string;
  active: boolean;
  position: number;
  conditions?: { all: Condition[]; any: Condition[] };
  actions: Action[];
  restriction?: unknown;
  usage_count?: number;
}

export interface MacroResult {
  ticket: Record<string, unknown>;
  comment?: { body?: string; html_body?: string; public?: boolean };
}

const plural = (kind: RuleKind): string => `${kind}s`;

export async function listRules(kind: RuleKind): Promise<Rule[]> {
  const res = await request<Record<string, Rule[]>>('GET', `/api/v2/${plural(kind)}.json`);
  return res[plural(kind)] ?? [];
}

export async function saveRule(kind: RuleKind, rule: Partial<Rule>, id?: number): Promise<Rule> {
  const path = id ? `/api/v2/${plural(kind)}/${id}.json` : `/api/v2/${plural(kind)}.json`;
  const res = await request<Record<string, Rule>>(id ? 'PUT' : 'POST', path, { body: { [kind]: rule } });
  return res[kind] as Rule;
}

export async function deleteRule(kind: RuleKind, id: number): Promise<void> {
  await request<void>('DELETE', `/api/v2/${plural(kind)}/${id}.json`);
}

export async function reorderRules(kind: 'trigger' | 'automation', ids: number[]): Promise<Rule[]> {
  const res = await request<Record<string, Rule[]>>('PUT', `/api/v2/${plural(kind)}/reorder.json`, {
    body: { [`${kind}_ids`]: ids },
  });
  return res[plural(kind)] ?? [];
}

export async function activeMacros(): Promise<Rule[]> {
  const res = await request<{ macros: Rule[] }>('GET', '/api/v2/macros/active.json');
  return res.macros ?? [];
}

export async function previewMacro(ticketId: number, macroId: number): Promise<MacroResult> {
  const res = await request<{ result: MacroResult }>('GET', `/api/v2/tickets/${ticketId}/macros/${macroId}/apply.json`);
  return res.result;
}

// ---- the vocabulary the editor offers (docs/automation.md has the whole of it) ----

export interface FieldSpec {
  field: string;
  label: string;
  operators: string[];
  /** Choices for the value; undefined: free text. */
  values?: string[];
}

const CHANGE_OPS = ['is', 'is_not', 'changed', 'not_changed', 'value', 'value_previous'];
const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const TYPES = ['question', 'incident', 'problem', 'task'];
const TIME_OPS = ['greater_than', 'less_than', 'is'];

export const OPERATOR_LABELS: Record<string, string> = {
  is: 'is',
  is_not: 'is not',
  less_than: 'less than',
  greater_than: 'greater than',
  changed: 'changed',
  not_changed: 'not changed',
  value: 'changed to',
  value_previous: 'changed from',
  includes: 'contains at least one of',
  not_includes: 'contains none of',
};

export function conditionFields(kind: RuleKind): FieldSpec[] {
  const common: FieldSpec[] = [
    { field: 'status', label: 'Status', operators: ['is', 'is_not', 'less_than', 'greater_than', ...CHANGE_OPS.slice(2)], values: STATUSES },
    { field: 'priority', label: 'Priority', operators: ['is', 'is_not', 'less_than', 'greater_than', ...CHANGE_OPS.slice(2)], values: PRIORITIES },
    { field: 'type', label: 'Type', operators: CHANGE_OPS, values: TYPES },
    { field: 'group_id', label: 'Group (id)', operators: CHANGE_OPS },
    { field: 'assignee_id', label: 'Assignee (id)', operators: CHANGE_OPS },
    { field: 'requester_id', label: 'Requester (id)', operators: ['is', 'is_not'] },
    { field: 'organization_id', label: 'Organization (id)', operators: ['is', 'is_not'] },
    { field: 'current_tags', label: 'Tags', operators: ['includes', 'not_includes'] },
    { field: 'via_id', label: 'Channel', operators: ['is', 'is_not'], values: ['email', 'web', 'api', 'chat', 'voice'] },
    { field: 'subject_includes_word', label: 'Subject text', operators: ['includes', 'not_includes', 'is', 'is_not'] },
    { field: 'within_business_hours', label: "Within the ticket's business hours", operators: ['is'], values: ['true', 'false'] },
    { field: 'within_schedule', label: 'Within schedule (id)', operators: ['is'] },
  ];
  if (kind === 'automation') {
    const hours = (field: string, label: string): FieldSpec => ({ field, label, operators: TIME_OPS });
    return [
      ...common.map((f) => ({ ...f, operators: f.operators.filter((o) => !['changed', 'not_changed', 'value', 'value_previous'].includes(o)) })),
      hours('PENDING', 'Hours since pending'),
      hours('OPEN', 'Hours since open'),
      hours('NEW', 'Hours since created (new)'),
      hours('HOLD', 'Hours since on-hold'),
      hours('SOLVED', 'Hours since solved'),
      hours('created_at', 'Hours since created'),
      hours('updated_at', 'Hours since update'),
      hours('assigned_at', 'Hours since assigned'),
      hours('requester_updated_at', 'Hours since requester update'),
    ];
  }
  return [
    { field: 'update_type', label: 'Ticket is', operators: ['is'], values: ['Create', 'Change'] },
    ...common,
    { field: 'comment_includes_word', label: 'Comment text', operators: ['includes', 'not_includes', 'is', 'is_not'] },
    { field: 'comment_is_public', label: 'Comment is public', operators: ['is'], values: ['true', 'false', 'not_relevant'] },
    { field: 'role', label: 'Current user', operators: ['is', 'is_not'], values: ['end_user', 'agent'] },
  ];
}

export interface ActionSpec {
  field: string;
  label: string;
  values?: string[];
  /** Notifications take [recipient, subject, body]; webhooks [id, body]. */
  shape?: 'notify' | 'webhook';
}

export function actionFields(kind: RuleKind): ActionSpec[] {
  const fields: ActionSpec[] = [
    { field: 'status', label: 'Status', values: STATUSES },
    { field: 'priority', label: 'Priority', values: PRIORITIES },
    { field: 'type', label: 'Type', values: TYPES },
    { field: 'group_id', label: 'Group (id)' },
    { field: 'assignee_id', label: 'Assignee (id or current_user)' },
    { field: 'current_tags', label: 'Add tags' },
    { field: 'remove_tags', label: 'Remove tags' },
    { field: 'set_tags', label: 'Set tags' },
    { field: 'comment_value', label: 'Comment' },
    { field: 'comment_mode_is_public', label: 'Comment is public', values: ['true', 'false'] },
  ];
  if (kind === 'macro') return [...fields, { field: 'subject', label: 'Subject' }];
  return [
    ...fields,
    { field: 'notification_user', label: 'Email user', values: ['requester_id', 'assignee_id', 'current_user'], shape: 'notify' },
    { field: 'notification_webhook', label: 'Call webhook (id)', shape: 'webhook' },
  ];
}
