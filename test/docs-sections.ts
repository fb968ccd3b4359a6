import type { Command, Option } from 'commander';
import { buildCli } from '../src/cli/main.js';
import { featureReference, recipeReference } from '../src/config/docs.js';
import { ERROR_CODES, type ErrorCode, httpStatus, WARNING_CODES } from '../src/core/errors.js';

function cliReference(): string {
  const program = buildCli();
  const opt = (o: Option) =>
    `\`${o.flags}\`${o.description ? ` ${o.description}` : ''}${o.defaultValue !== undefined && !Array.isArray(o.defaultValue) ? ` (default: ${JSON.stringify(o.defaultValue)})` : ''}`;
  const cmd = (c: Command, parent = ''): string => {
    const args = c.registeredArguments
      .map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}]`))
      .join(' ');
    const name = `${parent}${c.name()}`;
    return [
      `### \`segmint ${name}${args ? ` ${args}` : ''}\``,
      '',
      `${c.description().charAt(0).toUpperCase()}${c.description().slice(1)}.`,
      '',
      ...c.options.map((o) => `- ${opt(o)}`),
      '',
      ...c.commands.map((sub) => cmd(sub, `${name} `)),
    ].join('\n');
  };
  return program.commands
    .map((c) => cmd(c))
    .join('\n')
    .trim();
}

function errorReference(): string {
  const exit = { usage: 2, recipe: 2, data: 3, model: 3, internal: 1 } as const;
  return [
    '| code | exit | HTTP | what to do |',
    '|---|---|---|---|',
    ...Object.entries(ERROR_CODES).map(
      ([code, e]) =>
        `| \`${code}\` | ${exit[e.category]} | ${httpStatus(code as ErrorCode)} | ${e.hint.replace(/\|/g, '\\|')} |`,
    ),
  ].join('\n');
}

export function generatedSections(): Record<string, string> {
  return {
    'recipe-reference': recipeReference(),
    'feature-catalogue': featureReference(),
    'cli-reference': cliReference(),
    'error-codes': errorReference(),
    'warning-codes': warningReference(),
  };
}

function warningReference(): string {
  return [
    '| warning | meaning |',
    '|---|---|',
    ...Object.entries(WARNING_CODES).map(([code, text]) => `| \`${code}\` | ${text} |`),
  ].join('\n');
}

export function replaceSections(text: string, sections: Record<string, string>): string {
  let out = text;
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`README.md has no section markers for ${name}`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}\n${body}\n${b}`);
  }
  return out;
}
