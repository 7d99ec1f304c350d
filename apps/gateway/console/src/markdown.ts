import DOMPurify from 'dompurify';
import { marked } from 'marked';

/*
 * A model's Markdown as safe HTML: marked renders it, DOMPurify removes every script, event handler,
 * style, form, frame and image (an image would fetch a URL the model chose, and the CSP would refuse
 * it anyway) before Preact puts it in the page. Links open in a new tab without a referrer.
 */

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
  const html = marked.parse(md, { async: false, gfm: true }) as string;
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS, FORBID_ATTR: ['style', 'srcset'] });
}
