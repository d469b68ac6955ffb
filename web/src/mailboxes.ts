// Settings → Email: the support mailboxes (admins). Each can be edited, tested against its IMAP
// server ("Test connection" shows the server's own answer or error) and removed.
import { ApiError, listGroups, validationMessages, type Group } from './api';
import { deleteMailbox, listMailboxes, saveMailbox, testMailbox, type Mailbox, type MailboxInput } from './email_api';
import { formatDate, h, replaceChildren, uid } from './dom';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

export function renderMailboxes(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Email settings');
  const list = h('div', { testid: 'mailbox-list' });
  const formSlot = h('div');
  const addButton = h('button', { type: 'button', class: 'primary', testid: 'mailbox-add' }, 'Add a mailbox');
  replaceChildren(
    container,
    h('h1', { tabindex: -1 }, 'Email'),
    h('p', { class: 'muted' }, 'Support addresses, the group that owns their new tickets, and the IMAP server Rapport reads them from.'),
    addButton,
    formSlot,
    list,
  );
  if (ctx.session.user.role !== 'admin') {
    replaceChildren(list, errorBox('Only admins can change email settings.'));
    addButton.hidden = true;
    return;
  }
  let groups: Group[] = [];
  const refresh = async (): Promise<void> => {
    replaceChildren(list, loading('Loading mailboxes…'));
    try {
      const [mailboxes, gs] = await Promise.all([listMailboxes(), listGroups().catch(() => [] as Group[])]);
      groups = gs;
      if (!ctx.isCurrent()) return;
      replaceChildren(
        list,
        mailboxes.length === 0
          ? h('p', { class: 'empty', testid: 'mailbox-empty' }, 'No mailboxes yet.')
          : h('ul', { class: 'mailboxes' }, ...mailboxes.map((m) => mailboxRow(m))),
      );
    } catch (err) {
      if (ctx.isCurrent()) replaceChildren(list, errorBox(`Couldn't load the mailboxes. ${messageOf(err)}`));
    }
  };
  const edit = (m: Mailbox | null): void => {
    replaceChildren(
      formSlot,
      mailboxForm(m, groups, async () => {
        replaceChildren(formSlot);
        await refresh();
      }, () => replaceChildren(formSlot)),
    );
    formSlot.querySelector('input')?.focus();
  };
  addButton.addEventListener('click', () => edit(null));

  const mailboxRow = (m: Mailbox): HTMLElement => {
    const result = h('div', { class: 'test-result', 'aria-live': 'polite', testid: 'mailbox-test-result' });
    const test = h('button', { type: 'button', testid: 'mailbox-test' }, 'Test connection');
    test.disabled = !m.imap_host;
    test.addEventListener('click', async () => {
      test.disabled = true;
      replaceChildren(result, loading('Connecting…'));
      try {
        const r = await testMailbox(m.id);
        replaceChildren(
          result,
          h('pre', { class: r.ok ? 'ok' : 'error', testid: r.ok ? 'mailbox-test-ok' : 'mailbox-test-error' }, r.ok ? (r.answer ?? '') : (r.error ?? '')),
        );
      } catch (err) {
        replaceChildren(result, errorBox(messageOf(err)));
      } finally {
        test.disabled = false;
      }
    });
    const editButton = h('button', { type: 'button', testid: 'mailbox-edit' }, 'Edit');
    editButton.addEventListener('click', () => edit(m));
    const remove = h('button', { type: 'button', class: 'link-button', testid: 'mailbox-delete' }, 'Remove');
    remove.addEventListener('click', async () => {
      if (!window.confirm(`Remove ${m.address}? Mail already received stays.`)) return;
      try {
        await deleteMailbox(m.id);
        await refresh();
      } catch (err) {
        result.append(errorBox(messageOf(err)));
      }
    });
    return h(
      'li',
      { class: 'mailbox', testid: 'mailbox', 'data-mailbox-id': m.id },
      h('strong', { testid: 'mailbox-address' }, m.address),
      m.name ? h('span', { class: 'muted' }, ` ${m.name}`) : null,
      h(
        'p',
        { class: 'muted' },
        m.imap_host ? `IMAP ${m.imap_user ?? ''}@${m.imap_host}:${m.imap_port ?? ''} (${m.imap_tls}), ${m.imap_folder}` : 'No IMAP server: mail arrives by pipe or HTTP',
        m.enabled ? '' : ' · disabled',
        m.last_poll_at ? ` · last poll ${formatDate(m.last_poll_at)}` : '',
      ),
      m.last_error ? h('p', { class: 'error', testid: 'mailbox-last-error' }, `Last error: ${m.last_error}`) : null,
      h('div', { class: 'actions' }, test, editButton, remove),
      result,
    );
  };
  void refresh();
}

function mailboxForm(m: Mailbox | null, groups: Group[], saved: () => Promise<void>, cancel: () => void): HTMLFormElement {
  const field = (label: string, input: HTMLElement, hint?: string): HTMLElement => {
    const id = uid('mb');
    input.id = id;
    return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint muted' }, hint) : null);
  };
  const address = h('input', { type: 'email', required: true, testid: 'mailbox-address-input', props: { value: m?.address ?? '' } });
  const name = h('input', { type: 'text', testid: 'mailbox-name-input', props: { value: m?.name ?? '' } });
  const group = h('select', { testid: 'mailbox-group-input' }, h('option', { value: '' }, '— none —'),
    ...groups.map((g) => h('option', { value: String(g.id), props: { selected: m?.group_id === g.id } }, g.name)));
  const host = h('input', { type: 'text', testid: 'mailbox-host-input', props: { value: m?.imap_host ?? '' } });
  const port = h('input', { type: 'number', min: 1, max: 65535, testid: 'mailbox-port-input', props: { value: m?.imap_port ? String(m.imap_port) : '' } });
  const tls = h('select', { testid: 'mailbox-tls-input' },
    h('option', { value: 'imaps', props: { selected: (m?.imap_tls ?? 'imaps') === 'imaps' } }, 'IMAPS (TLS, port 993)'),
    h('option', { value: 'starttls', props: { selected: m?.imap_tls === 'starttls' } }, 'STARTTLS (port 143)'),
    h('option', { value: 'none', props: { selected: m?.imap_tls === 'none' } }, 'None (plaintext, local servers only)'));
  const user = h('input', { type: 'text', autocomplete: 'off', testid: 'mailbox-user-input', props: { value: m?.imap_user ?? '' } });
  const password = h('input', { type: 'password', autocomplete: 'new-password', testid: 'mailbox-password-input' });
  const folder = h('input', { type: 'text', testid: 'mailbox-folder-input', props: { value: m?.imap_folder ?? 'INBOX' } });
  const feedback = h('div', { 'aria-live': 'polite', testid: 'mailbox-form-feedback' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'mailbox-save' }, m ? 'Save' : 'Add');
  const cancelButton = h('button', { type: 'button', testid: 'mailbox-cancel' }, 'Cancel');
  cancelButton.addEventListener('click', cancel);
  const form = h(
    'form',
    { class: 'mailbox-form', 'aria-label': m ? `Edit ${m.address}` : 'New mailbox', novalidate: true, testid: 'mailbox-form' },
    field('Support address', address),
    field('Display name', name),
    field('Group for new tickets', group),
    field('IMAP host', host, 'Leave empty when mail is piped to `rapport mail receive` or posted to the inbound endpoint.'),
    field('IMAP port', port),
    field('Security', tls),
    field('IMAP user', user),
    field('IMAP password', password, m?.imap_password_set ? 'A password is saved. Type a new one to replace it.' : undefined),
    field('Folder', folder),
    feedback,
    h('div', { class: 'actions' }, submit, cancelButton),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input: MailboxInput = {
      address: address.value.trim(),
      name: name.value.trim(),
      group_id: group.value ? Number(group.value) : null,
      imap_host: host.value.trim() || null,
      imap_port: port.value ? Number(port.value) : null,
      imap_tls: tls.value,
      imap_user: user.value.trim() || null,
      imap_folder: folder.value.trim() || 'INBOX',
    };
    if (password.value) input.imap_password = password.value;
    submit.disabled = true;
    replaceChildren(feedback);
    try {
      await saveMailbox(m?.id ?? null, input);
      await saved();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const v = validationMessages(err.body);
        replaceChildren(feedback, errorBox(v.description, ...v.details));
      } else {
        replaceChildren(feedback, errorBox(messageOf(err)));
      }
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
