import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidConfigurationError } from '../config/environment';
import {
  DEFAULT_TEMPLATES,
  MailTemplate,
  TEMPLATE_VALUES,
  TemplateName,
  TemplateValues,
} from './default-templates';

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;
const PARTS = { subject: 'subject.txt', text: 'txt', html: 'html' } as const;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

function fill(template: string, values: TemplateValues, escape: (text: string) => string): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => escape(values[name] ?? ''));
}

function checkPlaceholders(name: TemplateName, file: string, text: string): void {
  const allowed: readonly string[] = TEMPLATE_VALUES[name];
  for (const [, value] of text.matchAll(PLACEHOLDER)) {
    if (!allowed.includes(value)) {
      throw new InvalidConfigurationError(
        `Invalid configuration: MAIL_TEMPLATES_DIR ${file} uses {{${value}}}; it may use ${allowed.join(', ')}`,
      );
    }
  }
}

/**
 * Each template's subject, text and HTML, each replaceable by `<name>.subject.txt`, `<name>.txt`
 * and `<name>.html` in MAIL_TEMPLATES_DIR (read once, at start). Values are escaped in the HTML.
 */
export class MailTemplates {
  private readonly templates: Record<TemplateName, MailTemplate>;

  constructor(directory?: string) {
    if (directory !== undefined && !existsSync(directory)) {
      throw new InvalidConfigurationError(
        `Invalid configuration: MAIL_TEMPLATES_DIR ${directory} does not exist`,
      );
    }
    const read = (name: TemplateName, part: keyof MailTemplate): string => {
      const file = directory && join(directory, `${name}.${PARTS[part]}`);
      if (!file || !existsSync(file)) {
        return DEFAULT_TEMPLATES[name][part];
      }
      const text = readFileSync(file, 'utf8');
      checkPlaceholders(name, file, text);
      return part === 'subject' ? text.trim() : text;
    };
    const names = Object.keys(DEFAULT_TEMPLATES) as TemplateName[];
    this.templates = Object.fromEntries(
      names.map((name) => [
        name,
        { subject: read(name, 'subject'), text: read(name, 'text'), html: read(name, 'html') },
      ]),
    ) as Record<TemplateName, MailTemplate>;
  }

  render(name: TemplateName, values: TemplateValues): MailTemplate {
    const template = this.templates[name];
    const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ');
    return {
      subject: oneLine(fill(template.subject, values, oneLine)),
      text: fill(template.text, values, (text) => text),
      html: fill(template.html, values, escapeHtml),
    };
  }
}
