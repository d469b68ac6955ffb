// The email channel's admin API (mailboxes) and the email parts of comments.
import { request } from './api';

export interface Mailbox {
  id: number;
  address: string;
  name: string;
  group_id: number | null;
  imap_host: string | null;
  imap_port: number | null;
  imap_tls: 'imaps' | 'starttls' | 'none';
  imap_user: string | null;
  imap_password_set: boolean;
  imap_folder: string;
  enabled: boolean;
  last_uid: number;
  last_poll_at: string | null;
  last_error: string | null;
}

export interface MailboxInput {
  address?: string;
  name?: string;
  group_id?: number | null;
  imap_host?: string | null;
  imap_port?: number | null;
  imap_tls?: string;
  imap_user?: string | null;
  /** Write-only: sent only when the admin types a new one. */
  imap_password?: string;
  imap_folder?: string;
  enabled?: boolean;
}

export interface Attachment {
  id: number;
  file_name: string;
  content_url: string;
  content_type: string;
  size: number;
  inline: boolean;
}

export interface ConnectionTest {
  ok: boolean;
  answer: string | null;
  error: string | null;
}

const BASE = '/api/v2/channels/email/mailboxes';

export async function listMailboxes(): Promise<Mailbox[]> {
  return (await request<{ mailboxes: Mailbox[] }>('GET', BASE)).mailboxes;
}

export async function saveMailbox(id: number | null, mailbox: MailboxInput): Promise<Mailbox> {
  const path = id === null ? BASE : `${BASE}/${id}`;
  return (await request<{ mailbox: Mailbox }>(id === null ? 'POST' : 'PUT', path, { body: { mailbox } })).mailbox;
}

export async function deleteMailbox(id: number): Promise<void> {
  await request('DELETE', `${BASE}/${id}`);
}

export function testMailbox(id: number): Promise<ConnectionTest> {
  return request<ConnectionTest>('POST', `${BASE}/${id}/test`, { body: {} });
}

/** Where a comment's original email can be read (agents only; 404 for comments not from email). */
export function originalUrl(ticketId: number, commentId: number): string {
  return `/api/v2/tickets/${ticketId}/comments/${commentId}/original?format=text`;
}

/** The sanitized HTML of an email comment as a framable document (remote images only on request). */
export function emailHtmlUrl(ticketId: number, commentId: number, remoteImages = false): string {
  return `/api/v2/tickets/${ticketId}/comments/${commentId}/html${remoteImages ? '?remote_images=1' : ''}`;
}
