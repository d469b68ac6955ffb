// An email comment in its sender's formatting.
//
// Two independent walls. The server stores the email's HTML already reduced to an allow-list
// (src/rapport/email/html.hpp: no script, handlers, forms, frames, style sheets or remote loads)
// and serves it as a document of its own (GET .../comments/{id}/html) under a Content-Security-
// Policy that allows no script and no fetches but this server's images, with the CSP `sandbox`
// directive. Here it is shown in an <iframe> sandboxed WITHOUT allow-scripts, so even markup the
// server let through by mistake could neither run nor load anything. The frame keeps
// allow-same-origin only so this page can size it to its content (with scripts off nothing in the
// frame can use that origin); allow-popups(-to-escape-sandbox) lets links open in a new tab.
//
// Not an <iframe srcdoc>: a srcdoc document inherits this page's policy, which forbids inline
// styles (email formatting is made of them) and remote images.
//
// Remote images (tracking pixels) arrive as `data-remote-src` without a `src`. "Show remote images"
// loads the document again with ?remote_images=1, for that message only.
import type { Comment } from './api';
import { h } from './dom';
import { emailHtmlUrl } from './email_api';

/** metadata.email.html: "sanitized" (html_body is the sender's HTML, made safe) or "too_large". */
export function emailHtmlState(c: Comment): string | undefined {
  const state = c.metadata?.email?.html;
  return typeof state === 'string' ? state : undefined;
}

/** The frame's height follows its content (images loading, quoted text opened). */
function fitToContent(frame: HTMLIFrameElement): void {
  const doc = frame.contentDocument;
  if (!doc?.documentElement) return;
  const fit = () => {
    frame.style.height = `${Math.min(Math.max(doc.documentElement.scrollHeight, 24), 20_000)}px`;
  };
  fit();
  doc.addEventListener('toggle', fit, true);
  doc.addEventListener('load', fit, true); // images
  if (typeof ResizeObserver !== 'undefined' && doc.body) new ResizeObserver(fit).observe(doc.body);
}

function emailFrame(ticketId: number, commentId: number, remote: boolean): HTMLIFrameElement {
  const frame = h('iframe', {
    class: 'email-frame',
    title: 'Email message',
    sandbox: 'allow-same-origin allow-popups allow-popups-to-escape-sandbox',
    referrerpolicy: 'no-referrer',
    src: emailHtmlUrl(ticketId, commentId, remote),
    testid: 'comment-html',
  });
  frame.addEventListener('load', () => fitToContent(frame));
  return frame;
}

/** The body of an email comment whose HTML the server sanitized. */
export function emailBody(ticketId: number, c: Comment): HTMLElement {
  const remoteCount = ((c.html_body ?? '').match(/<img data-remote-src=/g) ?? []).length;
  const frame = emailFrame(ticketId, c.id, false);
  const bar = remoteCount
    ? h(
        'div',
        { class: 'email-remote muted', testid: 'remote-images-note' },
        `${remoteCount === 1 ? 'A remote image is' : `${remoteCount} remote images are`} not loaded, so the sender cannot see that you read this. `,
      )
    : null;
  if (bar) {
    const show = h('button', { type: 'button', class: 'link', testid: 'show-remote-images' }, 'Show remote images');
    show.addEventListener('click', () => {
      frame.replaceWith(emailFrame(ticketId, c.id, true));
      bar.remove();
    });
    bar.append(show);
  }
  return h('div', { class: 'comment-body email-html', testid: 'comment-body' }, bar, frame);
}

/** The note shown above the text of an email whose HTML was too large to show. */
export function tooLargeNote(): HTMLElement {
  return h(
    'p',
    { class: 'muted email-note', testid: 'comment-html-note' },
    'This email’s formatting is over 1 MiB, so it is shown as text. “Show original email” has the full message.',
  );
}
