// The knowledge-base editor: categories and sections with their articles (#/kb), and one article's
// Markdown editor with a live preview rendered by the server (#/kb/articles/:id, #/kb/new/:section).
import { ApiError, validationMessages } from './api';
import { h, replaceChildren, timeAgo, uid } from './dom';
import {
  createArticle,
  createCategory,
  createSection,
  getArticle,
  listArticles,
  listCategories,
  listSections,
  previewMarkdown,
  updateArticle,
  type Article,
  type ArticleInput,
  type Section,
} from './knowledge_api';
import type { RouteContext } from './router';
import { safeFragment } from './safe_html';
import { errorBox, loading, messageOf, setTitle } from './ui';

function articleBadges(a: Article): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (a.draft) out.push(h('span', { class: 'badge badge-draft', testid: 'kb-badge-draft' }, 'Draft'));
  if (a.visibility === 'internal') out.push(h('span', { class: 'badge badge-internal', testid: 'kb-badge-internal' }, 'Internal'));
  return out;
}

function failure(err: unknown): HTMLElement {
  if (err instanceof ApiError && err.status === 422) {
    const { description, details } = validationMessages(err.body);
    return errorBox(description, ...details);
  }
  return errorBox(messageOf(err));
}

export function renderKnowledge(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Knowledge base');
  replaceChildren(container, h('h1', null, 'Knowledge base'), loading());
  const refresh = (): void => renderKnowledge(container, ctx);

  Promise.all([listCategories(), listSections()]).then(
    async ([categories, sections]) => {
      const articles = new Map<number, Article[]>();
      await Promise.all(sections.map(async (s) => articles.set(s.id, await listArticles(s.id))));
      if (!ctx.isCurrent()) return;

      const feedback = h('div', { 'aria-live': 'polite' });
      const catName = h('input', { id: uid('cat'), name: 'name', required: true, maxlength: 255, testid: 'kb-category-name' });
      const catForm = h(
        'form',
        { class: 'inline-form', testid: 'kb-category-form' },
        h('label', { for: catName.id }, 'New category'),
        catName,
        h('button', { type: 'submit' }, 'Add category'),
      );
      catForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        createCategory(catName.value).then(refresh, (err: unknown) => replaceChildren(feedback, failure(err)));
      });

      const secCategory = h('select', { id: uid('seccat'), testid: 'kb-section-category' });
      for (const c of categories) secCategory.append(h('option', { value: String(c.id) }, c.name));
      const secName = h('input', { id: uid('sec'), name: 'name', required: true, maxlength: 255, testid: 'kb-section-name' });
      const secForm = h(
        'form',
        { class: 'inline-form', testid: 'kb-section-form' },
        h('label', { for: secName.id }, 'New section in'),
        secCategory,
        secName,
        h('button', { type: 'submit' }, 'Add section'),
      );
      secForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        createSection(Number(secCategory.value), secName.value).then(refresh, (err: unknown) => replaceChildren(feedback, failure(err)));
      });

      const tree = categories.map((c) =>
        h(
          'section',
          { class: 'kb-category', testid: 'kb-category' },
          h('h2', null, c.name),
          ...sections
            .filter((s) => s.category_id === c.id)
            .map((s) =>
              h(
                'div',
                { class: 'kb-section card-like', testid: 'kb-section' },
                h(
                  'h3',
                  null,
                  s.name,
                  ' ',
                  h('a', { href: `#/kb/new/${s.id}`, class: 'button-link', testid: 'kb-new-article' }, 'New article'),
                ),
                h(
                  'ul',
                  { class: 'kb-articles' },
                  ...(articles.get(s.id) ?? []).map((a) =>
                    h(
                      'li',
                      { testid: 'kb-article' },
                      h('a', { href: `#/kb/articles/${a.id}` }, a.title),
                      ' ',
                      ...articleBadges(a),
                      h('span', { class: 'muted' }, ' · updated ', timeAgo(a.updated_at)),
                    ),
                  ),
                ),
              ),
            ),
        ),
      );
      replaceChildren(
        container,
        h('h1', null, 'Knowledge base'),
        h('p', { class: 'muted' }, 'Articles are written in Markdown. Customers see published public articles in the ', h('a', { href: '/hc', target: '_blank' }, 'help center'), '.'),
        feedback,
        catForm,
        categories.length ? secForm : null,
        ...tree,
      );
    },
    (err: unknown) => {
      if (ctx.isCurrent()) replaceChildren(container, h('h1', null, 'Knowledge base'), errorBox(`Couldn't load the knowledge base. ${messageOf(err)}`));
    },
  );
}

/** #/kb/articles/:id (edit) and #/kb/new/:section (create). */
export function renderArticleEditor(container: HTMLElement, ctx: RouteContext): void {
  const id = ctx.params.id ? Number(ctx.params.id) : null;
  const newIn = ctx.params.section ? Number(ctx.params.section) : null;
  setTitle(id ? `Article #${id}` : 'New article');
  replaceChildren(container, loading());

  Promise.all([id ? getArticle(id) : Promise.resolve(null), listSections()]).then(
    ([article, sections]) => {
      if (!ctx.isCurrent()) return;
      container.replaceChildren(editor(article, sections, newIn, ctx));
    },
    (err: unknown) => {
      if (ctx.isCurrent()) replaceChildren(container, errorBox(`Couldn't load the article. ${messageOf(err)}`));
    },
  );
}

function editor(article: Article | null, sections: Section[], sectionId: number | null, ctx: RouteContext): HTMLElement {
  const title = h('input', { id: uid('title'), maxlength: 255, required: true, testid: 'kb-title', props: { value: article?.title ?? '' } });
  const section = h('select', { id: uid('section'), testid: 'kb-section-select' });
  for (const s of sections) section.append(h('option', { value: String(s.id) }, s.name));
  section.value = String(article?.section_id ?? sectionId ?? sections[0]?.id ?? '');
  const visibility = h(
    'select',
    { id: uid('visibility'), testid: 'kb-visibility' },
    h('option', { value: 'public' }, 'Public: customers and agents'),
    h('option', { value: 'internal' }, 'Internal: agents only'),
  );
  visibility.value = article?.visibility ?? 'public';
  const labels = h('input', { id: uid('labels'), testid: 'kb-labels', props: { value: (article?.label_names ?? []).join(', ') } });
  const body = h('textarea', { id: uid('body'), rows: 18, class: 'markdown', testid: 'kb-body', props: { value: article?.body_markdown ?? '' } });
  const preview = h('div', { class: 'kb-preview article-body', testid: 'kb-preview', 'aria-live': 'polite' });
  const feedback = h('div', { 'aria-live': 'polite', testid: 'kb-feedback' });
  const state = h('p', { class: 'muted', testid: 'kb-state' });
  const saveDraft = h('button', { type: 'button', testid: 'kb-save-draft' }, 'Save draft');
  const publish = h('button', { type: 'button', class: 'primary', testid: 'kb-publish' }, 'Publish');
  let current = article;

  const showState = (): void => {
    state.textContent = current ? (current.draft ? 'Draft: only editors can see it.' : 'Published.') : 'Not saved yet.';
    saveDraft.textContent = current && !current.draft ? 'Unpublish' : 'Save draft';
    publish.textContent = current && !current.draft ? 'Save' : 'Publish';
  };
  showState();

  let timer: number | undefined;
  let seq = 0;
  const renderPreview = (): void => {
    const mine = ++seq;
    previewMarkdown(body.value).then(
      (html) => {
        if (mine === seq) preview.replaceChildren(safeFragment(html));
      },
      (err: unknown) => {
        if (mine === seq) preview.replaceChildren(errorBox(`Preview failed. ${messageOf(err)}`));
      },
    );
  };
  body.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(renderPreview, 300);
  });
  renderPreview();

  const save = async (draft: boolean): Promise<void> => {
    const input: ArticleInput = {
      title: title.value,
      body: body.value,
      draft,
      visibility: visibility.value as 'public' | 'internal',
      label_names: labels.value.split(',').map((l) => l.trim()).filter(Boolean),
      section_id: Number(section.value),
    };
    saveDraft.disabled = publish.disabled = true;
    replaceChildren(feedback);
    try {
      if (current) {
        current = await updateArticle(current.id, input);
      } else {
        const { section_id: sid, ...rest } = input;
        current = await createArticle(sid ?? 0, rest);
        window.history.replaceState(null, '', `#/kb/articles/${current.id}`);
      }
      if (!ctx.isCurrent()) return;
      showState();
      replaceChildren(feedback, h('p', { class: 'success', role: 'status' }, draft ? 'Saved as a draft.' : 'Published.'));
    } catch (err) {
      replaceChildren(feedback, failure(err));
    } finally {
      saveDraft.disabled = publish.disabled = false;
    }
  };
  saveDraft.addEventListener('click', () => void save(true));
  publish.addEventListener('click', () => void save(false));

  const field = (label: string, control: HTMLElement): HTMLElement =>
    h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  return h(
    'div',
    { class: 'kb-editor' },
    h('p', { class: 'back' }, h('a', { href: '#/kb' }, '← Knowledge base')),
    h('h1', null, article ? 'Edit article' : 'New article'),
    state,
    field('Title', title),
    h('div', { class: 'kb-row' }, field('Section', section), field('Who can read it', visibility), field('Labels (comma-separated)', labels)),
    h(
      'div',
      { class: 'kb-split' },
      field('Body (Markdown)', body),
      h('div', { class: 'field' }, h('span', { class: 'label' }, 'Preview'), preview),
    ),
    feedback,
    h('div', { class: 'composer-actions' }, saveDraft, publish),
  );
}
