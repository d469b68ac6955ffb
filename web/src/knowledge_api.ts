// The knowledge base (Help Center API), article suggestions on a ticket, and known incidents.
import { request, type User } from './api';

const HC = '/api/v2/help_center';

export interface Category {
  id: number;
  name: string;
  description: string;
  position: number;
}

export interface Section {
  id: number;
  category_id: number;
  name: string;
  description: string;
  position: number;
  article_count: number;
}

export interface Article {
  id: number;
  section_id: number;
  category_id: number;
  title: string;
  body: string;
  body_markdown?: string;
  draft: boolean;
  visibility: 'public' | 'internal';
  label_names: string[];
  position: number;
  html_url: string;
  updated_at: string;
  /** Search results and suggestions: escaped HTML with <em> around the matched words. */
  snippet?: string;
}

export interface ArticleInput {
  title?: string;
  body?: string;
  draft?: boolean;
  visibility?: 'public' | 'internal';
  label_names?: string[];
  section_id?: number;
}

export interface Incident {
  id: number;
  title: string;
  service: string;
  regions: string[];
  keywords: string[];
  category_tag: string | null;
  public_message: string;
  resolution_message: string;
  status: 'open' | 'resolved';
  starts_at: string;
  ends_at: string | null;
  linked_tickets: number;
  solved_tickets: number;
}

export interface IncidentInput {
  title: string;
  service: string;
  regions: string[];
  keywords: string[];
  category_tag?: string | null;
  public_message: string;
}

/** Admins, managers and team leads write the knowledge base (the server enforces it). */
export function editsKnowledge(u: User): boolean {
  return u.role === 'admin' || ((u.role === 'agent' || u.role === 'admin') && (u.rapport_role === 'manager' || u.rapport_role === 'team_lead'));
}

/** Admins and managers open and resolve incidents. */
export function managesIncidents(u: User): boolean {
  return u.role === 'admin' || (u.role === 'agent' && u.rapport_role === 'manager');
}

export async function listCategories(): Promise<Category[]> {
  return (await request<{ categories: Category[] }>('GET', `${HC}/categories.json`)).categories;
}

export async function listSections(): Promise<Section[]> {
  return (await request<{ sections: Section[] }>('GET', `${HC}/sections.json`)).sections;
}

export async function createCategory(name: string): Promise<Category> {
  return (await request<{ category: Category }>('POST', `${HC}/categories.json`, { body: { category: { name } } })).category;
}

export async function createSection(categoryId: number, name: string): Promise<Section> {
  return (await request<{ section: Section }>('POST', `${HC}/categories/${categoryId}/sections.json`, { body: { section: { name } } })).section;
}

export async function listArticles(sectionId: number): Promise<Article[]> {
  return (await request<{ articles: Article[] }>('GET', `${HC}/sections/${sectionId}/articles.json?per_page=100`)).articles;
}

export async function getArticle(id: number): Promise<Article> {
  return (await request<{ article: Article }>('GET', `${HC}/articles/${id}.json`)).article;
}

export async function createArticle(sectionId: number, input: ArticleInput): Promise<Article> {
  return (await request<{ article: Article }>('POST', `${HC}/sections/${sectionId}/articles.json`, { body: { article: input } })).article;
}

export async function updateArticle(id: number, input: ArticleInput): Promise<Article> {
  return (await request<{ article: Article }>('PUT', `${HC}/articles/${id}.json`, { body: { article: input } })).article;
}

/** The server's rendering of Markdown (cmark-gfm, raw HTML omitted), for the editor's preview. */
export async function previewMarkdown(body: string): Promise<string> {
  return (await request<{ article: { body: string } }>('POST', `${HC}/articles/preview.json`, { body: { article: { body } } })).article.body;
}

export async function ticketSuggestions(ticketId: number): Promise<Article[]> {
  return (await request<{ articles: Article[] }>('GET', `/api/v2/tickets/${ticketId}/article_suggestions.json`)).articles;
}

export async function recordSuggestion(ticketId: number, articleId: number, action: 'clicked' | 'inserted'): Promise<void> {
  await request<void>('POST', `/api/v2/tickets/${ticketId}/article_suggestions.json`, {
    body: { article_suggestion: { article_id: articleId, action } },
  });
}

export async function listIncidents(): Promise<Incident[]> {
  return (await request<{ incidents: Incident[] }>('GET', '/api/v2/incidents.json?sort_by=id&sort_order=desc&per_page=100')).incidents;
}

export async function createIncident(input: IncidentInput): Promise<Incident> {
  return (await request<{ incident: Incident }>('POST', '/api/v2/incidents.json', { body: { incident: input } })).incident;
}

export async function resolveIncident(id: number, message: string): Promise<Incident> {
  const body = message.trim() ? { incident: { resolution_message: message } } : undefined;
  return (await request<{ incident: Incident }>('POST', `/api/v2/incidents/${id}/resolve.json`, { body })).incident;
}
