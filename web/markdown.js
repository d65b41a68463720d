import { html } from './lib.js';

/**
 * A small, safe markdown subset for procedures and notes: paragraphs, `-` lists, **bold** and `code`.
 * It builds elements, never HTML text, so a template cannot inject markup into the console.
 */
function inline(text) {
  return text.split(/(\*\*[^*]+\*\*|`[^`]+`)/g).map((part) => {
    if (part.startsWith('**') && part.endsWith('**') && part.length > 4) return html`<strong>${part.slice(2, -2)}</strong>`;
    if (part.startsWith('`') && part.endsWith('`') && part.length > 2) return html`<code>${part.slice(1, -1)}</code>`;
    return part;
  });
}

export function Markdown({ text }) {
  const blocks = String(text ?? '').trim().split(/\n\s*\n/);
  return html`${blocks.map((block) => {
    const lines = block.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length && lines.every((l) => l.startsWith('- '))) return html`<ul>${lines.map((l) => html`<li>${inline(l.slice(2))}</li>`)}</ul>`;
    // A list item that wraps onto the next line continues it.
    if (lines[0]?.startsWith('- ')) {
      const items = [];
      for (const l of lines) if (l.startsWith('- ')) items.push(l.slice(2)); else items[items.length - 1] += ` ${l}`;
      return html`<ul>${items.map((item) => html`<li>${inline(item)}</li>`)}</ul>`;
    }
    return html`<p>${inline(lines.join(' '))}</p>`;
  })}`;
}
