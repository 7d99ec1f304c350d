import DOMPurify from 'dompurify';
import { Marked } from 'marked';

/*
 * A model's Markdown as safe HTML, two layers deep:
 * 1. marked renders the Markdown with raw HTML *escaped*: a `<script>` or `<img onerror>` the model
 *    wrote is shown as text, never parsed as markup (which also keeps the browser's HTML parser, and
 *    so the CSP's violation reports, away from it);
 * 2. DOMPurify then sanitises what marked produced: no script, event handler, style, form, frame or
 *    image survives (an image would fetch a URL the model chose), and links open in a new tab without
 *    a referrer.
 */

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const marked = new Marked({ gfm: true, async: false });
marked.use({ renderer: { html: ({ text }) => escapeHtml(text) } });

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

const FORBID_TAGS = [
  'style',
  'img',
  'picture',
  'source',
  'video',
  'audio',
  'iframe',
  'object',
  'embed',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'svg',
  'math',
  'link',
  'meta',
  'base',
];

export function renderMarkdown(md: string): string {
  const html = marked.parse(md, { async: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS, FORBID_ATTR: ['style', 'srcset'] });
}
