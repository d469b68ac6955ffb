// Article bodies are HTML rendered by the server (cmark-gfm, raw HTML omitted). The UI still never
// assigns markup: it parses the HTML in an inert document and rebuilds only an allow-list of
// elements and attributes, so even a server bug could not inject script or event handlers.

const ALLOWED = new Set([
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'strong', 'em', 'del', 'code', 'pre', 'blockquote',
  'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr', 'br', 'input', 'span', 'sup', 'sub',
]);

function safeHref(href: string): string | null {
  const trimmed = href.trim();
  if (/^(https?:|mailto:)/i.test(trimmed) || trimmed.startsWith('/') || trimmed.startsWith('#')) return trimmed;
  return null;
}

function copy(node: Node, into: Node): void {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) {
      into.appendChild(document.createTextNode(child.textContent ?? ''));
      continue;
    }
    if (child.nodeType !== Node.ELEMENT_NODE) continue;
    const el = child as Element;
    const tag = el.tagName.toLowerCase();
    if (!ALLOWED.has(tag)) {
      copy(el, into); // keep the words, drop the element
      continue;
    }
    const out = document.createElement(tag);
    if (tag === 'a') {
      const href = safeHref(el.getAttribute('href') ?? '');
      if (href) out.setAttribute('href', href);
      out.setAttribute('rel', 'noopener noreferrer');
      out.setAttribute('target', '_blank');
    } else if (tag === 'input') {
      if (el.getAttribute('type') !== 'checkbox') continue;
      out.setAttribute('type', 'checkbox');
      out.setAttribute('disabled', '');
      if (el.hasAttribute('checked')) out.setAttribute('checked', '');
    } else if ((tag === 'td' || tag === 'th') && el.getAttribute('align')) {
      out.setAttribute('align', el.getAttribute('align') ?? '');
    }
    copy(el, out);
    into.appendChild(out);
  }
}

/** A fragment with the allowed parts of `html`. */
export function safeFragment(html: string): DocumentFragment {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  const fragment = document.createDocumentFragment();
  copy(parsed.body, fragment);
  return fragment;
}
